import { spawnSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import AxeBuilder from "@axe-core/playwright";
import { type CDPSession, expect, type Page } from "@playwright/test";

const REPO_ROOT = fileURLToPath(new URL("../../..", import.meta.url));

/**
 * Runs axe on the page (WCAG 2.0 and 2.1, A and AA) and fails listing every serious or critical
 * violation with the elements it found.
 */
export async function checkA11y(page: Page): Promise<void> {
  const results = await new AxeBuilder({ page }).withTags(["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]).analyze();
  const grave = results.violations.filter((v) => v.impact === "serious" || v.impact === "critical");
  if (grave.length > 0) {
    const report = grave
      .map((v) => `- ${v.id} (${v.impact}): ${v.help}\n    ${v.nodes.map((n) => n.target.join(" ")).join("\n    ")}`)
      .join("\n");
    throw new Error(`${grave.length} serious or critical accessibility violation(s) on ${page.url()}:\n${report}`);
  }
}

/**
 * A screenshot of what the phone shows (CSS pixels, the viewport only, so the PNG stays small).
 * With `UPDATE_SCREENSHOTS=1` it is also written to `docs/screenshots/<name>.png`, squeezed by
 * optipng when that is installed; otherwise the docs are left alone.
 */
export async function screenshot(page: Page, name: string): Promise<Buffer> {
  if (!/^[a-z0-9][a-z0-9-]*$/.test(name)) {
    throw new Error(`screenshot name "${name}": use lower-case letters, digits and dashes`);
  }
  const png = await page.screenshot({ scale: "css", fullPage: false, animations: "disabled", caret: "hide" });
  if (process.env.UPDATE_SCREENSHOTS === "1") {
    const dir = join(REPO_ROOT, "docs", "screenshots");
    mkdirSync(dir, { recursive: true });
    const file = join(dir, `${name}.png`);
    writeFileSync(file, png);
    spawnSync("optipng", ["-quiet", "-o2", "-strip", "all", file], { stdio: "ignore" });
  }
  return png;
}

/**
 * What loading `url` in a fresh page of the same browser context costs over the wire: the sum of
 * `encodedDataLength` (compressed bytes, headers included) of every response, with the cache
 * disabled, once the page has loaded and the network has been idle.
 */
export async function transferredBytes(page: Page, url: string): Promise<number> {
  const fresh = await page.context().newPage();
  try {
    const cdp = await page.context().newCDPSession(fresh);
    await cdp.send("Network.enable");
    await cdp.send("Network.setCacheDisabled", { cacheDisabled: true });
    let total = 0;
    cdp.on("Network.loadingFinished", (event) => {
      total += event.encodedDataLength;
    });
    await fresh.goto(url, { waitUntil: "load" });
    await fresh.waitForLoadState("networkidle");
    await cdp.detach();
    return total;
  } finally {
    await fresh.close();
  }
}

/** A slow mobile link for `page` (e.g. 400 kbit/s down, 150 up, 400 ms): returns its CDP session. */
export async function emulateSlowLink(
  page: Page,
  link: { downloadKbps: number; uploadKbps: number; latencyMs: number },
): Promise<CDPSession> {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send("Network.enable");
  await cdp.send("Network.emulateNetworkConditions", {
    offline: false,
    latency: link.latencyMs,
    // Bytes per second.
    downloadThroughput: (link.downloadKbps * 1000) / 8,
    uploadThroughput: (link.uploadKbps * 1000) / 8,
  });
  return cdp;
}

/** Signs `page` in through the console's own sign-in page, as an officer does. */
export async function consoleSignIn(page: Page, account: { username: string; password: string }): Promise<void> {
  await page.goto("/petugas/masuk");
  await page.getByLabel("Nama pengguna").fill(account.username);
  await page.getByLabel("Kata sandi").fill(account.password);
  await page.getByRole("button", { name: "Masuk" }).click();
  await expect(page.getByRole("heading", { name: /Selamat bekerja/ })).toBeVisible();
}
