// The manual's whole walk as a resident does it on a phone, against the real server: register
// with files chosen in the file dialog, verification, sign-in, Akta Kelahiran with uploads, a
// live status change when the officer asks for a document again, "Klik Disini", completion,
// and the download compared byte for byte. Every page is checked with axe and photographed.

import { readFileSync } from "node:fs";
import type { Page } from "@playwright/test";
import {
  checkA11y,
  expect,
  newRegistration,
  pdf,
  photo,
  screenshot,
  signedInStaff,
  solvePageCaptcha,
  test,
} from "./harness";

/** Chooses `file` through the slot's own button, as a person does: the file dialog opens. */
async function chooseFile(page: Page, slotLabel: string, file: { name: string; mimeType: string; buffer: Buffer }) {
  const slot = page.locator(".file-slot").filter({ has: page.getByLabel(slotLabel, { exact: true }) });
  const chooser = page.waitForEvent("filechooser");
  await slot.locator(".file-button").click();
  await (await chooser).setFiles(file);
  await expect(slot.locator(".slot-status")).toContainText(/Siap dikirim|Terunggah/);
}

test("the manual's walk: register, verified, sign in, Akta Kelahiran, re-upload, download", async ({
  page,
  server,
}) => {
  test.setTimeout(180_000);
  const officer = await signedInStaff(server, "SUPERVISOR");
  const person = newRegistration({ email: "warga@example.co.id" });

  await test.step("public home with the manual's five questions", async () => {
    await page.goto("/");
    await expect(page.getByRole("heading", { level: 1 })).toHaveText(/Layanan Online/);
    await expect(page.locator("details.faq")).toHaveCount(5);
    await expect(page.getByRole("link", { name: "Pendaftaran Akun Baru" })).toBeVisible();
    await checkA11y(page);
    await screenshot(page, "portal-beranda-publik");
  });

  await test.step("Pendaftaran Akun Baru with the three photos", async () => {
    await page.getByRole("link", { name: "Pendaftaran Akun Baru" }).click();
    await expect(page.getByRole("heading", { name: "Pendaftaran Akun Baru" })).toBeVisible();
    await checkA11y(page);
    await screenshot(page, "portal-pendaftaran");
    await page.getByLabel("NIK KTP Elektronik").fill(person.nik);
    await page.getByLabel("Nama lengkap").fill(person.fullName);
    await page.getByLabel("Nomor HP/WhatsApp aktif").fill(person.phone);
    await page.getByLabel("E-mail").fill(person.email ?? "");
    await page.getByLabel("Kata sandi", { exact: true }).fill(person.password);
    await chooseFile(page, "Foto KTP Elektronik", {
      name: "ktp.jpg",
      mimeType: "image/jpeg",
      buffer: photo(1200, 760),
    });
    await chooseFile(page, "Foto Kartu Keluarga (KK)", {
      name: "kk.jpg",
      mimeType: "image/jpeg",
      buffer: photo(1400, 1000),
    });
    await chooseFile(page, "Foto selfie wajah", {
      name: "selfie.jpg",
      mimeType: "image/jpeg",
      buffer: photo(600, 800),
    });
    await expect(page.getByLabel("Foto selfie wajah")).toHaveAttribute("capture", "user");
    await solvePageCaptcha(page, server);
    await page.getByRole("button", { name: "Kirim data akun" }).click();
    await expect(page.getByRole("heading", { name: "Data akun baru terkirim" })).toBeVisible();
    const whatsapp = page.getByRole("link", { name: /Admin Verifikasi Akun via WhatsApp/ });
    await expect(whatsapp).toHaveAttribute("href", /^https:\/\/wa\.me\/6281234567890/);
    await checkA11y(page);
    await screenshot(page, "portal-pendaftaran-terkirim");
  });

  await test.step("the office verifies the account", async () => {
    const waiting = await officer.findAccount(person.fullName);
    await officer.approveAccount(waiting.accountId);
  });

  await test.step("Login Penduduk with the captcha", async () => {
    await page.goto("/masuk");
    await expect(page.getByRole("img", { name: /kode keamanan/ })).toBeVisible();
    await checkA11y(page);
    await screenshot(page, "portal-login");
    await page.getByLabel("NIK", { exact: true }).fill(person.nik);
    await page.getByLabel("Kata sandi").fill(person.password);
    await solvePageCaptcha(page, server);
    await page.getByRole("button", { name: "Login" }).click();
    await expect(page).toHaveURL(/\/beranda$/);
    await expect(page.getByText(person.fullName)).toBeVisible();
    await expect(page.getByText("Belum ada pengajuan")).toBeVisible();
    await checkA11y(page);
  });

  let number = "";
  await test.step("Pilihan Layanan, then Pengajuan Akta Kelahiran with a review before Kirim", async () => {
    await page.getByRole("link", { name: "Pilih Layanan" }).click();
    await expect(page.getByRole("heading", { name: "Pilihan Layanan" })).toBeVisible();
    await checkA11y(page);
    await screenshot(page, "portal-pilihan-layanan");
    await page.getByRole("link", { name: "Ajukan Akta Kelahiran" }).click();
    await expect(page.getByRole("heading", { name: "Pengajuan Akta Kelahiran" })).toBeVisible();
    await checkA11y(page);
    await screenshot(page, "portal-pengajuan-akta");
    await page.getByLabel("Nama lengkap anak").fill("Dayang Sumbi");
    await page.getByLabel("Perempuan").check();
    await page.getByLabel("Tempat lahir").fill("Putussibau");
    await page.getByLabel("Tanggal lahir").fill("2026-11-20");
    await page.getByLabel("Anak ke-").fill("1");
    await page.getByLabel("NIK ibu").fill(person.nik);
    await chooseFile(page, "Surat keterangan lahir dari dokter/bidan/rumah sakit", {
      name: "surat-lahir.pdf",
      mimeType: "application/pdf",
      buffer: pdf(["Surat keterangan lahir"]),
    });
    await chooseFile(page, "Kartu Keluarga", { name: "kk.jpg", mimeType: "image/jpeg", buffer: photo(900, 700) });
    await chooseFile(page, "KTP-el ayah dan ibu", { name: "ktp.jpg", mimeType: "image/jpeg", buffer: photo(900, 600) });
    await page.getByRole("button", { name: "Periksa kembali" }).click();
    await expect(page.getByRole("heading", { name: /Periksa kembali/ })).toBeVisible();
    await expect(page.locator("dl.review")).toContainText("Dayang Sumbi");
    await expect(page.locator("dl.review")).toContainText("Jumat, 20 November 2026");
    await checkA11y(page);
    await screenshot(page, "portal-periksa-kembali");
    await page.getByRole("button", { name: "Kirim", exact: true }).click();
    await expect(page.getByRole("heading", { name: "Pengajuan Berhasil Dikirim" })).toBeVisible();
    number = (await page.locator(".notice .request-number").textContent()) ?? "";
    expect(number).toMatch(/^[A-Z]+-\d{4}-\d+$/);
    await checkA11y(page);
    await screenshot(page, "portal-pengajuan-terkirim");
    await page.getByRole("button", { name: "OK" }).click();
    await expect(page).toHaveURL(/\/beranda$/);
    await expect(page.locator(`tr[data-request="${number}"]`)).toContainText("Akta Kelahiran");
  });

  const row = page.locator(`tr[data-request="${number}"]`);
  let requestId = "";
  await test.step("the officer asks for the birth letter again: the board changes without a refresh", async () => {
    const item = await officer.findRequest(number);
    requestId = item.requestId;
    await officer.claimRequest(requestId);
    await officer.demandReupload(requestId, [
      { documentCode: "SURAT_KETERANGAN_LAHIR", reason: "Foto surat buram, tanda tangan bidan tidak terbaca." },
    ]);
    await expect(row.getByRole("link", { name: "Klik Disini" })).toBeVisible();
    await expect(row).toContainText("tanda tangan bidan tidak terbaca");
    await expect(page.locator(".live-status")).toContainText("Terakhir diperbarui");
    await checkA11y(page);
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(360);
    await row.getByRole("link", { name: "Klik Disini" }).scrollIntoViewIfNeeded();
    await screenshot(page, "portal-status-upload-ulang");
  });

  await test.step("Klik Disini: the new document goes in and the request is back in the queue", async () => {
    await row.getByRole("link", { name: "Klik Disini" }).click();
    await expect(page.getByRole("heading", { name: "Upload ulang dokumen" })).toBeVisible();
    await expect(page.getByText("Alasan petugas: Foto surat buram")).toBeVisible();
    await checkA11y(page);
    await screenshot(page, "portal-upload-ulang");
    await chooseFile(page, "Surat keterangan lahir dari dokter/bidan/rumah sakit", {
      name: "surat-lahir-baru.jpg",
      mimeType: "image/jpeg",
      buffer: photo(1000, 1400),
    });
    await page.getByRole("button", { name: "Kirim dokumen" }).click();
    await expect(page.getByRole("heading", { name: "Dokumen terkirim" })).toBeVisible();
    await page.getByRole("button", { name: "OK" }).click();
    await expect(row.getByRole("link", { name: "Klik Disini" })).toHaveCount(0);
  });

  await test.step("completion: the download column offers the signed PDF, byte for byte", async () => {
    const signed = pdf(["Kutipan Akta Kelahiran", "Dayang Sumbi"]);
    const uploadId = await officer.upload({ name: "akta.pdf", mimeType: "application/pdf", buffer: signed });
    // The answered request went back to the queue: the officer takes it again to finish it.
    await officer.claimRequest(requestId);
    await officer.completeRequest(requestId, [uploadId]);
    const link = row.getByRole("link", { name: /Unduh/ });
    await expect(link).toBeVisible();
    await expect(row).toContainText("Selesai");
    await checkA11y(page);
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(360);
    await row.scrollIntoViewIfNeeded();
    await screenshot(page, "portal-status-selesai");
    const download = page.waitForEvent("download");
    await link.click();
    const file = await download;
    expect(file.suggestedFilename(), "the name the server gives it").toBe(`akta-kelahiran-${number}.pdf`);
    const path = await file.path();
    expect(readFileSync(path).equals(signed)).toBe(true);
  });

  await test.step("sign out", async () => {
    await page.getByRole("button", { name: "Keluar" }).click();
    await expect(page).toHaveURL(/\/masuk\?keluar=1$/);
    await page.goto("/beranda");
    await expect(page).toHaveURL(/\/masuk\?lanjut=/);
  });
});
