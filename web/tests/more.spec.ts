// The rest of the manual's resident side: the KTP-el pick-up notice, a forgotten password
// (FAQ 3), the old portal's documents during a 24-hour grant (FAQ 2), and Kontak Bantuan with
// the office hours and a declared outage.

import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  activeResident,
  checkA11y,
  eventually,
  expect,
  pdf,
  photo,
  photoFile,
  Resident,
  screenshot,
  signedInStaff,
  solvePageCaptcha,
  test,
} from "./harness";

test("KTP-el: when the card is ready, the Layanan column says where and from when", async ({ page, server }) => {
  const officer = await signedInStaff(server);
  const { resident } = await activeResident(server, officer, {}, page.request);
  const receipt = await resident.submitRequest(
    "KTP_EL_HILANG",
    { tanggal_kehilangan: "2026-11-02" },
    {
      SURAT_KEHILANGAN: await resident.upload(photoFile("surat.jpg")),
      KARTU_KELUARGA: await resident.upload(photoFile("kk.jpg")),
    },
  );
  await page.goto("/beranda");
  const row = page.locator(`tr[data-request="${receipt.number}"]`);
  await expect(row).toContainText("Menunggu diproses");
  const item = await officer.findRequest(receipt.number);
  await officer.claimRequest(item.requestId);
  await officer.markReadyForPickup(item.requestId, "Kantor Dinas Dukcapil, Putussibau", "2026-12-07T01:00:00Z");
  await expect(row).toContainText("Siap diambil");
  await expect(row.locator(".pickup-box")).toContainText("Kantor Dinas Dukcapil, Putussibau");
  await expect(row.locator(".pickup-box")).toContainText("Senin, 7 Desember 2026 pukul 08.00 WIB");
  await expect(row.getByRole("link", { name: /Unduh/ })).toHaveCount(0);
  await checkA11y(page);
  await row.locator(".pickup-box").scrollIntoViewIfNeeded();
  await screenshot(page, "portal-status-siap-diambil");
});

test("forgotten password: request with the three photos, then the code from WhatsApp", async ({ page, server }) => {
  const officer = await signedInStaff(server);
  const { registration } = await activeResident(server, officer);
  await page.goto("/masuk");
  await page.getByRole("link", { name: "Lupa kata sandi?" }).click();
  await expect(page.getByRole("heading", { name: "Lupa Kata Sandi" })).toBeVisible();
  await checkA11y(page);
  await screenshot(page, "portal-lupa-kata-sandi");
  await page.getByLabel("NIK", { exact: true }).fill(registration.nik);
  await page.getByLabel("Nama lengkap").fill(registration.fullName);
  await page
    .getByLabel("Foto KTP Elektronik", { exact: true })
    .setInputFiles({ name: "ktp.jpg", mimeType: "image/jpeg", buffer: photo(800, 520) });
  await page
    .getByLabel("Foto Kartu Keluarga (KK)", { exact: true })
    .setInputFiles({ name: "kk.jpg", mimeType: "image/jpeg", buffer: photo(900, 640) });
  await page
    .getByLabel("Foto selfie wajah", { exact: true })
    .setInputFiles({ name: "selfie.jpg", mimeType: "image/jpeg", buffer: photo(480, 640) });
  await solvePageCaptcha(page, server);
  await page.getByRole("button", { name: "Kirim permintaan" }).click();
  await expect(page.getByRole("heading", { name: "Permintaan terkirim" })).toBeVisible();

  const waiting = await officer.findPasswordReset(registration.fullName);
  const code = await officer.approvePasswordReset(waiting.accountId);
  await page.getByRole("link", { name: "Saya sudah menerima kode" }).click();
  await checkA11y(page);
  await page.getByLabel("NIK", { exact: true }).fill(registration.nik);
  await page.getByLabel("Kode reset").fill("SALAH-KODE1");
  await page.getByLabel("Kata sandi baru").fill("sungai kapuas panjang");
  await page.getByRole("button", { name: "Simpan kata sandi baru" }).click();
  await expect(page.locator(".error-summary")).toBeVisible();
  await page.getByLabel("Kode reset").fill(code);
  await page.getByRole("button", { name: "Simpan kata sandi baru" }).click();
  await expect(page.getByRole("heading", { name: "Kata sandi sudah diganti" })).toBeVisible();

  const again = await Resident.create(server);
  const signedIn = await again.login(registration.nik, "sungai kapuas panjang");
  expect(signedIn.status).toBe("ACTIVE");
});

test("old-portal documents appear on Beranda while a 24-hour grant is active", async ({ page, server }) => {
  const officer = await signedInStaff(server);
  const { registration, accountId } = await activeResident(server, officer, {}, page.request);
  const dir = mkdtempSync(join(tmpdir(), "legacy-"));
  writeFileSync(join(dir, "kk-lama.pdf"), pdf(["Kartu Keluarga (layanan lama)"]));
  writeFileSync(
    join(dir, "export.json"),
    JSON.stringify([
      { nik: registration.nik, name: registration.fullName, documents: [{ title: "KK lama", file: "kk-lama.pdf" }] },
    ]),
  );
  const imported = await server.run(["import-legacy", "--file", join(dir, "export.json")]);
  expect(imported.code, imported.stderr).toBe(0);
  // The import's events reach the read model through the projector.
  const legacy = await eventually("the imported old-portal account", async () => {
    const found = await officer.gql<{ legacyAccount: { id: string } | null }>(
      "query($n: String!) { legacyAccount(nik: $n) { id } }",
      { n: registration.nik },
    );
    return found.legacyAccount ?? undefined;
  });
  await officer.gql("mutation($l: ID!, $a: ID!) { grantLegacyAccess(legacyAccountId: $l, accountId: $a) { until } }", {
    l: legacy.id,
    a: accountId,
  });
  await page.goto("/beranda");
  const section = page.locator("section").filter({ has: page.getByRole("heading", { name: "Dokumen layanan lama" }) });
  await expect(section.getByRole("link", { name: "KK lama" })).toBeVisible();
  await expect(section).toContainText("tersedia sampai");
  await checkA11y(page);
});

test("Kontak Bantuan: WhatsApp links, hours, open or closed, and an outage in plain words", async ({
  page,
  server,
}) => {
  await page.goto("/kontak");
  const verification = page.getByRole("link", { name: /Admin Verifikasi Akun: 6281234567890/ });
  await expect(verification).toHaveAttribute("href", /^https:\/\/wa\.me\/6281234567890/);
  // (Not just /Senin/: on a closed day "Buka kembali Senin, …" says it too.)
  await expect(page.locator("main").getByText(/Senin sampai Jumat/)).toBeVisible();
  await expect(page.getByText(/Kantor sedang (buka|tutup)/)).toBeVisible();
  await checkA11y(page);
  await screenshot(page, "portal-kontak-bantuan");

  const supervisor = await signedInStaff(server, "SUPERVISOR");
  await supervisor.gql("mutation($r: String!) { declareOutage(reason: $r) { declaredAt } }", {
    r: "Jaringan ke data center Dukcapil Kemendagri terputus",
  });
  // The page reads the calendar's read model: reload once the projector has applied the outage.
  await eventually("the outage projected", async () => {
    const info = await supervisor.gql<{ contactInfo: { outage: { reason: string } | null } }>(
      "{ contactInfo { outage { reason } } }",
    );
    return info.contactInfo.outage ?? undefined;
  });
  await page.reload();
  const warning = page.locator(".notice.warning");
  await expect(warning).toContainText("Layanan sedang terganggu");
  await expect(warning).toContainText("Jaringan ke data center Dukcapil Kemendagri terputus");
  await checkA11y(page);
});
