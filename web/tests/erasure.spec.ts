// Erasure of a resident's personal data (UU PDP) in the console: an operator files it with a
// reason from the resident look-up, a supervisor other than the one who filed it approves it,
// and the look-up then shows the account as erased.

import { activeResident, checkA11y, consoleSignIn, expect, Staff, signedInAdmin, test } from "./harness";

test.use({ viewport: { width: 1366, height: 768 }, isMobile: false, hasTouch: false });

test("an operator files an erasure, another supervisor approves it, the person is gone", async ({ page, server }) => {
  const admin = await signedInAdmin(server);
  const operatorAccount = await admin.createStaff("OPERATOR");
  const supervisorAccount = await admin.createStaff("SUPERVISOR");
  const operator = await Staff.signIn(server, operatorAccount);
  const { registration } = await activeResident(server, operator);

  const lookUp = async () => {
    await page.getByRole("link", { name: "Verifikasi Akun" }).first().click();
    await page.getByLabel("Cari NIK, nama atau nomor HP").fill(registration.nik);
    await page.getByRole("button", { name: "Cari", exact: true }).click();
    await expect(page.locator(".notice").first()).toContainText("Ditemukan menurut NIK");
  };

  await consoleSignIn(page, operatorAccount);
  await lookUp();
  await page.getByText("Hapus data pribadi (UU PDP)").click();
  await expect(page.getByRole("button", { name: "Setujui penghapusan" })).toHaveCount(0);
  await page.getByLabel("Alasan penghapusan").fill("Permintaan penduduk, identitas diperiksa di kantor");
  await page.getByRole("button", { name: "Ajukan penghapusan" }).click();
  await expect(page.getByRole("status")).toContainText("Menunggu persetujuan supervisor lain");
  await checkA11y(page);
  await page.getByRole("button", { name: "Cari", exact: true }).click();
  await expect(page.locator(".notice").first()).toContainText("penghapusan data diajukan");
  await page.getByText("Hapus data pribadi (UU PDP)").click();
  await expect(page.getByRole("button", { name: "Ajukan penghapusan" })).toHaveCount(0);

  await page.context().clearCookies();
  await consoleSignIn(page, supervisorAccount);
  await lookUp();
  await page.getByText("Hapus data pribadi (UU PDP)").click();
  page.once("dialog", (dialog) => void dialog.accept());
  await page.getByRole("button", { name: "Setujui penghapusan" }).click();
  await expect(page.getByRole("status")).toContainText("Data pribadi dihapus");
  await checkA11y(page);

  await page.getByRole("button", { name: "Cari", exact: true }).click();
  await expect(page.locator(".notice").first()).toContainText("akun data dihapus");
  await expect(page.locator(".notice").first()).not.toContainText(registration.fullName);
});
