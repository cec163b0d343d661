// Notifications as people see them: the board says how the office told the resident about each
// request; the resident turns e-mail off on "Pengaturan Pemberitahuan" (on a phone); a
// supervisor opens "Pemberitahuan Gagal". (The server's channels are `log` here; delivery through
// a real gateway and mail server, failures and dead letters are tested in
// tests/tests/notifications.rs.)

import {
  activeResident,
  checkA11y,
  consoleSignIn,
  expect,
  screenshot,
  signedInAdmin,
  signedInStaff,
  test,
} from "./harness";

test.use({ viewport: { width: 360, height: 740 } });

test("the board names the message sent about a request, and the resident chooses the channels", async ({
  page,
  server,
}) => {
  const officer = await signedInStaff(server);
  const { resident } = await activeResident(server, officer, {}, page.request);
  const submitted = await resident.submitBirthCertificate();
  await officer.claimRequest(submitted.requestId);
  await officer.demandReupload(submitted.requestId, [{ documentCode: "KARTU_KELUARGA", reason: "Foto KK buram." }]);
  await page.goto("/beranda");
  const row = page.locator(`tr[data-request="${submitted.number}"]`);
  await expect(row.getByText(/^Pemberitahuan terkirim via WhatsApp \d{2}-\d{2}-\d{4} \d{2}\.\d{2} WIB$/)).toBeVisible({
    timeout: 20_000,
  });
  await checkA11y(page);

  await page.getByRole("link", { name: "Pengaturan pemberitahuan" }).click();
  await expect(page.getByRole("heading", { name: "Pengaturan Pemberitahuan" })).toBeVisible();
  const whatsapp = page.getByRole("checkbox", { name: /WhatsApp ke nomor terdaftar/ });
  await expect(whatsapp).toBeChecked();
  await whatsapp.uncheck();
  await page.getByRole("button", { name: "Simpan" }).click();
  await expect(page.getByRole("status")).toHaveText("Pengaturan pemberitahuan disimpan.");
  await checkA11y(page);
  await screenshot(page, "portal-pengaturan-pemberitahuan");
  const me = await resident.gql<{ me: { notificationSettings: { whatsapp: boolean; email: boolean } } }>(
    "{ me { notificationSettings { whatsapp email } } }",
  );
  expect(me.me.notificationSettings.whatsapp).toBe(false);
  await page.reload();
  await expect(page.getByRole("checkbox", { name: /WhatsApp ke nomor terdaftar/ })).not.toBeChecked();
});

test("a supervisor opens the failed notifications; an operator's console does not offer them", async ({
  page,
  server,
}) => {
  await page.setViewportSize({ width: 1366, height: 768 });
  const admin = await signedInAdmin(server);
  const supervisor = await admin.createStaff("SUPERVISOR");
  await admin.dispose();
  await consoleSignIn(page, supervisor);
  await page.getByRole("link", { name: "Pemberitahuan Gagal" }).click();
  await expect(page.getByRole("heading", { name: "Pemberitahuan Gagal" })).toBeVisible();
  await expect(page.getByText("Tidak ada pemberitahuan yang gagal.")).toBeVisible();
  await checkA11y(page);
});
