import { chromium } from "@playwright/test";

const browser = await chromium.launch({ executablePath: "/usr/bin/chromium", args: ["--no-sandbox"] });
const context = await browser.newContext({
  viewport: { width: 360, height: 740 },
  isMobile: true,
  hasTouch: true,
  locale: "id-ID",
});
const page = await context.newPage();
page.on("console", (m) => console.log("console:", m.type(), m.text()));
page.on("pageerror", (e) => console.log("pageerror:", e.message));
for (const path of (process.argv[2] ?? "/,/daftar,/masuk,/kontak,/lupa-kata-sandi").split(",")) {
  await page.goto("http://127.0.0.1:4173" + path);
  await page.waitForTimeout(1200);
  const name = path === "/" ? "home" : path.replaceAll("/", "_");
  await page.screenshot({ path: `/tmp/shots/${name}.png`, fullPage: true });
  const width = await page.evaluate(() => document.documentElement.scrollWidth);
  console.log(path, "scrollWidth", width);
}
await browser.close();
