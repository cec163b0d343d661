// An officer's day in the console, against the real server: find a registration by the NIK a
// resident sent on WhatsApp, check the documents, approve; then work the queue — claim, ask for
// a document again, see the resident's answer arrive live, complete with the signed PDF — while
// the resident, in a second browser, sees the result.

import { readFileSync } from "node:fs";
import type { Browser } from "@playwright/test";
import {
  activeResident,
  checkA11y,
  consoleSignIn,
  expect,
  pdf,
  photoFile,
  Resident,
  type Server,
  Staff,
  screenshot,
  signedInAdmin,
  test,
} from "./harness";

test.use({ viewport: { width: 1366, height: 768 }, isMobile: false, hasTouch: false });

async function residentBrowser(browser: Browser, server: Server) {
  const context = await browser.newContext({ baseURL: server.url, viewport: { width: 360, height: 740 } });
  return context.newPage();
}

test("an officer's day: verify by NIK, then claim, demand a re-upload, see it answered live, complete", async ({
  page,
  server,
  browser,
}) => {
  test.setTimeout(180_000);
  const admin = await signedInAdmin(server);
  const operator = await admin.createStaff("OPERATOR", { displayName: "Budi Santoso" });

  // A resident registered through the portal's API and sent their NIK on WhatsApp.
  const registering = await Resident.create(server);
  const person = await registering.register();

  await consoleSignIn(page, operator);
  await checkA11y(page);
  await screenshot(page, "console-beranda");
  await page.getByRole("link", { name: "Verifikasi Akun" }).first().click();
  await expect(page.getByRole("heading", { name: "Verifikasi Akun" })).toBeVisible();
  await page.getByLabel("Cari NIK, nama atau nomor HP").fill(person.nik);
  await page.getByRole("button", { name: "Cari", exact: true }).click();
  await expect(page.locator(".notice")).toContainText("Ditemukan menurut NIK");
  const entry = page.getByRole("button", { name: new RegExp(person.fullName) });
  await expect(entry).toHaveCount(1);
  await entry.click();
  await expect(page.getByRole("heading", { name: person.fullName })).toBeVisible();
  await page.getByRole("button", { name: /berdampingan/ }).click();
  await expect(page.locator(".viewer-panes.two img")).toHaveCount(2);
  await page.getByRole("button", { name: "Putar" }).first().click();
  await checkA11y(page);
  await screenshot(page, "console-verifikasi");
  await page.getByRole("button", { name: "Setujui akun" }).click();
  const whatsapp = page.getByRole("link", { name: "Hubungi via WhatsApp" });
  await expect(whatsapp).toHaveAttribute("href", /^https:\/\/wa\.me\/6281234567890\?text=.*diverifikasi/);
  const resident = await Resident.create(server);
  expect((await resident.login(person.nik, person.password)).status).toBe("ACTIVE");

  // The resident submits an Akta Kelahiran, and watches the board in their own browser.
  const residentPage = await residentBrowser(browser, server);
  const shared = await Resident.create(server, residentPage.request);
  await shared.login(person.nik, person.password);
  const receipt = await shared.submitBirthCertificate("Bujang Kumang");
  await residentPage.goto("/beranda");
  const residentRow = residentPage.locator(`tr[data-request="${receipt.number}"]`);
  await expect(residentRow).toContainText("Menunggu diproses");

  await page.getByRole("link", { name: "Antrean Pengajuan" }).click();
  const row = page.locator(`tr[data-request="${receipt.number}"]`);
  await expect(row).toContainText(person.fullName);
  await expect(row.locator(".due")).toHaveText(/Sisa|Lewat|dihentikan/);
  await checkA11y(page);
  await screenshot(page, "console-antrean");
  await row.getByRole("button", { name: "Ambil" }).click();
  await expect(row).toContainText("Budi Santoso");
  await row.getByRole("link", { name: receipt.number }).click();
  await expect(page.getByRole("heading", { name: new RegExp(receipt.number) })).toBeVisible();
  await expect(page.locator(".facts")).toContainText("Bujang Kumang");
  await checkA11y(page);
  await screenshot(page, "console-pengajuan");

  // Ask for the birth letter again; the resident's board changes without a refresh.
  await page.getByRole("checkbox", { name: "Surat keterangan lahir dari dokter/bidan/rumah sakit" }).check();
  await page.getByLabel(/^Alasan untuk Surat keterangan lahir/).fill("Cap rumah sakit tidak terbaca.");
  await page.getByRole("button", { name: "Kirim permintaan upload ulang" }).click();
  await expect(page.getByText("Permintaan upload ulang terkirim")).toBeVisible();
  await expect(residentRow.getByRole("link", { name: "Klik Disini" })).toBeVisible();
  await expect(residentRow).toContainText("Cap rumah sakit tidak terbaca.");

  // The resident answers; the officer's queue shows it back, live.
  await page.getByRole("link", { name: "← Kembali ke antrean" }).click();
  await expect(row).toContainText("Menunggu upload ulang");
  const answer = await shared.upload(photoFile("surat-lahir-baru.jpg", 1000, 1400));
  await shared.gql(
    "mutation($r: ID!, $d: [DocumentUploadInput!]!) { reuploadDocuments(requestId: $r, documents: $d) }",
    {
      r: receipt.requestId,
      d: [{ code: "SURAT_KETERANGAN_LAHIR", uploadId: answer }],
    },
  );
  await expect(row).not.toContainText("Menunggu upload ulang");
  // Back with the officer who asked: still theirs, nothing to claim.
  await expect(row.getByRole("button", { name: "Lepaskan" })).toBeVisible();

  // Complete with the signed PDF (uploaded with progress), and the resident can download it.
  await row.getByRole("link", { name: receipt.number }).click();
  const signed = pdf(["Kutipan Akta Kelahiran", "Bujang Kumang"]);
  await page
    .getByLabel("Dokumen hasil (PDF bertanda tangan)", { exact: true })
    .setInputFiles({ name: "akta.pdf", mimeType: "application/pdf", buffer: signed });
  await expect(page.locator(".slot-status .ok")).toBeVisible();
  await page.getByRole("button", { name: "Selesaikan pengajuan" }).click();
  await expect(page.getByText("Pengajuan selesai")).toBeVisible();
  const download = residentRow.getByRole("link", { name: /Unduh/ });
  await expect(download).toBeVisible();
  const saved = residentPage.waitForEvent("download");
  await download.click();
  expect(readFileSync(await (await saved).path()).equals(signed)).toBe(true);
  await residentPage.context().close();
});

test("an operator is refused the supervisor's pages, by the console and by the API", async ({ page, server }) => {
  const admin = await signedInAdmin(server);
  const operator = await admin.createStaff("OPERATOR");
  await consoleSignIn(page, operator);
  await expect(page.getByRole("link", { name: "Kalender Kantor" })).toHaveCount(0);
  await expect(page.getByRole("link", { name: "Staf" })).toHaveCount(0);
  await page.goto("/petugas/kalender");
  await expect(page.getByRole("heading", { name: "Tidak ada akses" })).toBeVisible();
  const refused = await page.request.post("/graphql", {
    data: { query: 'mutation { addHoliday(date: "2030-01-02", name: "Uji") { date } }' },
  });
  const body = await refused.json();
  expect(body.errors?.[0]?.extensions?.code).toBe("FORBIDDEN");
});

test("a supervisor closes the office on the due day: the due times move on screen", async ({ page, server }) => {
  const admin = await signedInAdmin(server);
  const supervisorAccount = await admin.createStaff("SUPERVISOR");
  const operator = await Staff.signIn(server, await admin.createStaff("OPERATOR"));
  const { resident } = await activeResident(server, operator);
  const receipt = await resident.submitBirthCertificate();
  const item = await operator.findRequest(receipt.number);
  const dueDay = new Date(new Date(item.dueAt ?? "").getTime() + 7 * 3600_000).toISOString().slice(0, 10);

  await consoleSignIn(page, supervisorAccount);
  await page.getByRole("link", { name: "Antrean Pengajuan" }).click();
  const due = page.locator(`tr[data-request="${receipt.number}"] .due + .block`);
  const before = await due.textContent();
  expect(before).toBeTruthy();
  const supervisor = await Staff.signIn(server, supervisorAccount);
  await supervisor.gql(
    'mutation($d: String!) { addHoliday(date: $d, name: "Cuti bersama uji", kind: CUTI_BERSAMA) { date } }',
    {
      d: dueDay,
    },
  );
  await expect(due).not.toHaveText(before ?? "");

  // The supervisor hands the request to the operator, without ever seeing an id.
  await page.locator(`tr[data-request="${receipt.number}"]`).getByRole("link", { name: receipt.number }).click();
  await page.getByLabel("Petugas tujuan").selectOption({ label: operator.profile?.displayName ?? "" });
  await page.getByRole("button", { name: "Pindahkan" }).click();
  await expect(page.getByText(`Pengajuan dipindahkan ke ${operator.profile?.displayName}`)).toBeVisible();
  await expect.poll(async () => (await operator.findRequest(receipt.number)).claimedBy).toBe(operator.profile?.id);
});
