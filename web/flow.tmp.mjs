import { createHash } from "node:crypto";
import { chromium } from "@playwright/test";
import pg from "pg";

const base = "http://127.0.0.1:4173";
const db = new pg.Client({ connectionString: "postgres://postgres@127.0.0.1:5432/dukcapil_dev" });
await db.connect();
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
async function jpeg(w, h) {
  const b64 = await page.evaluate(
    async ([w, h]) => {
      const c = document.createElement("canvas");
      c.width = w;
      c.height = h;
      const x = c.getContext("2d");
      for (let i = 0; i < 400; i++) {
        x.fillStyle = `hsl(${Math.random() * 360},60%,50%)`;
        x.fillRect(Math.random() * w, Math.random() * h, (Math.random() * w) / 5, (Math.random() * h) / 8);
      }
      x.fillStyle = "#000";
      x.font = `${Math.round(h / 20)}px sans-serif`;
      for (let r = 0; r < 15; r++) x.fillText("NIK 6106015205900001 NAMA SITI AMINAH", 20, ((r + 1) * h) / 16);
      const blob = await new Promise((res) => c.toBlob(res, "image/jpeg", 0.95));
      const buf = new Uint8Array(await blob.arrayBuffer());
      let s = "";
      for (const b of buf) s += String.fromCharCode(b);
      return btoa(s);
    },
    [w, h],
  );
  return Buffer.from(b64, "base64");
}
await page.goto(base + "/daftar");
await page.waitForSelector("img[alt^='Gambar kode']");
const big = await jpeg(4000, 3000);
console.log("big jpeg bytes", big.length);
await page.getByLabel("NIK KTP Elektronik").fill("6106015205900001");
await page.getByLabel("Nama lengkap").fill("Siti Aminah");
await page.getByLabel("Nomor HP/WhatsApp aktif").fill("081234567890");
await page.getByLabel("Kata sandi", { exact: true }).fill("password");
await page.setInputFiles("#f-identityUploadId", { name: "ktp.jpg", mimeType: "image/jpeg", buffer: big });
await page.setInputFiles("#f-familyCardUploadId", {
  name: "kk.jpg",
  mimeType: "image/jpeg",
  buffer: await jpeg(1600, 1100),
});
await page.setInputFiles("#f-selfieUploadId", {
  name: "selfie.jpg",
  mimeType: "image/jpeg",
  buffer: await jpeg(900, 1200),
});
await page.waitForTimeout(1500);
await db.query("UPDATE captchas SET answer_hash = $1 WHERE used_at IS NULL", [
  createHash("sha256").update("abcde").digest(),
]);
await page.getByLabel("Kode keamanan (captcha)").fill("abcde");
await page.getByRole("button", { name: "Kirim data akun" }).click();
await page.waitForTimeout(4000);
await page.screenshot({ path: "/tmp/shots/reg-error.png", fullPage: true });
console.log(
  await page
    .locator(".error-summary")
    .innerText()
    .catch(() => "no summary"),
);
await page.getByLabel("Kata sandi", { exact: true }).fill("rumah panjang 2026");
await page.getByRole("button", { name: "Kirim data akun" }).click();
await page.waitForTimeout(3000);
await page.screenshot({ path: "/tmp/shots/reg-ok.png", fullPage: true });
console.log(await page.locator("main").innerText());
const sizes = await db.query("SELECT byte_size, content_type FROM files ORDER BY created_at");
console.log(sizes.rows);
await browser.close();
await db.end();
