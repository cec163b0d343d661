// What a resident on a cheap phone over a weak link gets: the time until the registration page
// can be used, at 400 kbit/s with 400 ms round trips against an unthrottled load, and what a
// 12-megapixel phone photo costs on the way up once the browser has shrunk it.

import { readFileSync } from "node:fs";
import type { Browser } from "@playwright/test";
import { MAX_SIDE } from "../src/lib/image";
import { emulateSlowLink, expect, largePhotoFile, solvePageCaptcha, test } from "../tests/harness";

const QUICK = process.env.BENCH_QUICK === "1";
const RUNS = QUICK ? 1 : 5;
const SLOW = { downloadKbps: 400, uploadKbps: 400, latencyMs: 400 };

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}

/** Milliseconds from navigation until the form is usable: its fields, photo slots and captcha shown. */
async function timeToUsableRegistration(browser: Browser, url: string, slow: boolean): Promise<number> {
  const context = await browser.newContext({ viewport: { width: 360, height: 740 }, isMobile: true, locale: "id-ID" });
  const page = await context.newPage();
  try {
    if (slow) await emulateSlowLink(page, SLOW);
    await page.goto(`${url}/daftar`, { waitUntil: "commit" });
    await page.getByRole("button", { name: "Kirim data akun" }).waitFor();
    await page.locator("img[data-captcha-id]").waitFor();
    return await page.evaluate(() => performance.now());
  } finally {
    await context.close();
  }
}

test("registration page: time to usable, unthrottled and at 400 kbit/s, 400 ms RTT", async ({ browser, server }) => {
  const fast: number[] = [];
  const slow: number[] = [];
  for (let run = 0; run < RUNS; run++) {
    fast.push(await timeToUsableRegistration(browser, server.url, false));
    slow.push(await timeToUsableRegistration(browser, server.url, true));
  }
  const [f, s] = [median(fast), median(slow)];
  console.log(
    `time to a usable registration page (median of ${RUNS}): unthrottled ${f.toFixed(0)} ms, ` +
      `400 kbit/s + 400 ms RTT ${s.toFixed(0)} ms (×${(s / f).toFixed(1)})`,
  );
});

test("a 4000 × 3000 phone photo: bytes sent after the browser shrinks it", async ({ page, server }) => {
  const path = largePhotoFile();
  const photo = readFileSync(path);
  await page.goto("/daftar");
  const bodies: number[] = [];
  page.on("requestfinished", async (request) => {
    if (request.url().endsWith("/uploads")) bodies.push(Number((await request.allHeaders())["content-length"] ?? 0));
  });
  for (const label of ["Foto KTP Elektronik", "Foto Kartu Keluarga (KK)", "Foto selfie wajah"]) {
    await page
      .getByLabel(label, { exact: true })
      .setInputFiles({ name: "IMG_4000x3000.jpg", mimeType: "image/jpeg", buffer: photo });
  }
  // Kirim with the account fields empty: the photos go up, the form is then refused.
  await solvePageCaptcha(page, server);
  await page.getByRole("button", { name: "Kirim data akun" }).click();
  await page.locator(".slot-status .ok").nth(2).waitFor();
  await expect.poll(() => bodies.length).toBe(3);
  const sent = median(bodies);
  const seconds = (bytes: number) => (bytes * 8) / (SLOW.uploadKbps * 1000);
  console.log(
    `4000 × 3000 photo: ${(photo.length / 1024).toFixed(0)} KiB chosen, ${(sent / 1024).toFixed(0)} KiB sent ` +
      `(×${(sent / photo.length).toFixed(2)}; longest side ${MAX_SIDE} px); at 400 kbit/s up ` +
      `${seconds(sent).toFixed(1)} s instead of ${seconds(photo.length).toFixed(1)} s`,
  );
});
