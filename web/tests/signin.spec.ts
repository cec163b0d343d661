// Sign-in refusals in plain words: not yet verified, a wrong password, and the throttle after
// repeated failures. A file of its own: the throttle counts per client address, and every test
// browser is 127.0.0.1.

import { checkA11y, expect, Resident, screenshot, signedInStaff, solvePageCaptcha, test } from "./harness";

test("sign-in: wrong password, not yet verified and throttled are answered plainly", async ({ page, server }) => {
  const officer = await signedInStaff(server);
  const registering = await Resident.create(server);
  const waiting = await registering.register();
  const login = async (nik: string, password: string) => {
    await page.getByLabel("NIK", { exact: true }).fill(nik);
    await page.getByLabel("Kata sandi").fill(password);
    await solvePageCaptcha(page, server);
    await page.getByRole("button", { name: "Login" }).click();
  };
  await page.goto("/masuk");
  await login(waiting.nik, waiting.password);
  await expect(page.locator(".error-summary")).toContainText("masih menunggu verifikasi");
  await expect(page.getByText("Belum diverifikasi?")).toBeVisible();

  const { accountId } = await officer.findAccount(waiting.fullName);
  await officer.approveAccount(accountId);
  await login(waiting.nik, "bukan sandi yang benar");
  await expect(page.locator(".error-summary")).toContainText("NIK atau kata sandi salah");
  // Still typed: the NIK stays, the captcha is new (one use each).
  await expect(page.getByLabel("NIK", { exact: true })).toHaveValue(waiting.nik);
  await expect(page.getByLabel("Kode keamanan (captcha)")).toHaveValue("");

  for (let attempt = 0; attempt < 5; attempt++) await login(waiting.nik, `salah ${attempt} sekali`);
  await expect(page.locator(".error-summary")).toContainText(/Terlalu banyak percobaan/);
  await checkA11y(page);
  await screenshot(page, "portal-login-kesalahan");
});
