// Every refusal of registration, sign-in and submission reaches the resident beside the right
// field, in the server's words, with an error summary that links to it — and nothing typed is
// lost.

import type { Page } from "@playwright/test";
import {
  activeResident,
  checkA11y,
  expect,
  misreadPageCaptcha,
  newRegistration,
  photo,
  screenshot,
  signedInStaff,
  solvePageCaptcha,
  test,
} from "./harness";

function fieldError(page: Page, id: string) {
  return page.locator(`#${id}-error`);
}

test("registration: each wrong field is shown beside it and in the summary; typing is kept", async ({
  page,
  server,
}) => {
  await page.goto("/daftar");
  await page.getByLabel("NIK KTP Elektronik").fill("61060152059000");
  await page.getByLabel("Nama lengkap").fill("Siti 2");
  await page.getByLabel("Nomor HP/WhatsApp aktif").fill("0812");
  await page.getByLabel("E-mail").fill("siti@");
  await page.getByLabel("Kata sandi", { exact: true }).fill("password");
  for (const [label, name] of [
    ["Foto KTP Elektronik", "ktp.jpg"],
    ["Foto Kartu Keluarga (KK)", "kk.jpg"],
    ["Foto selfie wajah", "selfie.jpg"],
  ] as const) {
    await page
      .getByLabel(label, { exact: true })
      .setInputFiles({ name, mimeType: "image/jpeg", buffer: photo(640, 480) });
  }

  // A wrong captcha first: nothing is uploaded, the captcha field says why, a new image appears.
  const before = await page.getByRole("img", { name: /kode keamanan/ }).getAttribute("src");
  await misreadPageCaptcha(page);
  await page.getByRole("button", { name: "Kirim data akun" }).click();
  await expect(fieldError(page, "f-captchaAnswer")).toContainText("Jawaban captcha salah");
  await expect(page.getByRole("img", { name: /kode keamanan/ })).not.toHaveAttribute("src", before ?? "");

  await solvePageCaptcha(page, server);
  await page.getByRole("button", { name: "Kirim data akun" }).click();
  const summary = page.locator(".error-summary");
  await expect(summary).toBeFocused();
  await expect(summary).toContainText("Periksa kembali isian berikut");
  await expect(fieldError(page, "f-nik")).toHaveText(/NIK harus terdiri dari tepat 16 angka/);
  await expect(fieldError(page, "f-fullName")).toHaveText(/hanya boleh berisi huruf/);
  await expect(fieldError(page, "f-phone")).toHaveText(/Nomor HP\/WhatsApp tidak valid/);
  await expect(fieldError(page, "f-email")).toHaveText(/Alamat e-mail tidak valid/);
  await expect(fieldError(page, "f-password")).toHaveText(/terlalu umum/);
  await expect(summary.getByRole("link")).toHaveCount(5);
  await expect(page.getByLabel("NIK KTP Elektronik")).toHaveAttribute("aria-invalid", "true");
  // Nothing typed is lost.
  await expect(page.getByLabel("Nama lengkap")).toHaveValue("Siti 2");
  await expect(page.getByLabel("E-mail")).toHaveValue("siti@");
  // The summary's links lead to their fields.
  await summary.getByRole("link", { name: /Nomor HP/ }).click();
  await expect(page.getByLabel("Nomor HP/WhatsApp aktif")).toBeFocused();
  await checkA11y(page);
  await screenshot(page, "portal-pendaftaran-kesalahan");

  // The photos went up once and are reused: the next sending needs no captcha.
  await expect(page.getByText("Kode keamanan sudah diterima")).toBeVisible();
  const person = newRegistration();
  await page.getByLabel("NIK KTP Elektronik").fill(person.nik);
  await page.getByLabel("Nama lengkap").fill(person.fullName);
  await page.getByLabel("Nomor HP/WhatsApp aktif").fill(person.phone);
  await page.getByLabel("E-mail").fill("");
  await page.getByLabel("Kata sandi", { exact: true }).fill(person.password);
  await page.getByRole("button", { name: "Kirim data akun" }).click();
  await expect(page.getByRole("heading", { name: "Data akun baru terkirim" })).toBeVisible();
});

test("registration: a refused upload says why beside its slot and is retried alone", async ({ page, server }) => {
  await page.goto("/daftar");
  await page.getByLabel("Foto KTP Elektronik", { exact: true }).setInputFiles({
    name: "ktp.jpg",
    mimeType: "image/jpeg",
    buffer: Buffer.from("bukan gambar sama sekali, hanya teks"),
  });
  await page.getByLabel("Foto Kartu Keluarga (KK)", { exact: true }).setInputFiles({
    name: "kk.jpg",
    mimeType: "image/jpeg",
    buffer: photo(640, 480),
  });
  await page.getByLabel("Foto selfie wajah", { exact: true }).setInputFiles({
    name: "selfie.jpg",
    mimeType: "image/jpeg",
    buffer: photo(480, 640),
  });
  await solvePageCaptcha(page, server);
  await page.getByRole("button", { name: "Kirim data akun" }).click();
  const slot = page.locator(".file-slot").filter({ has: page.getByLabel("Foto KTP Elektronik", { exact: true }) });
  await expect(slot.locator(".error-message")).toContainText(/Jenis berkas|tidak dikenali|tidak didukung|JPEG/);
  await expect(slot.getByRole("button", { name: "Coba unggah lagi" })).toBeVisible();
  // The other two went up.
  await expect(page.locator(".slot-status .ok")).toHaveCount(2);
  await page.getByLabel("Foto KTP Elektronik", { exact: true }).setInputFiles({
    name: "ktp.jpg",
    mimeType: "image/jpeg",
    buffer: photo(800, 500),
  });
  await expect(page.locator(".slot-status .ok")).toHaveCount(3);
});

test("submission: the server's refusals appear beside the fields they concern", async ({ page, server }) => {
  const officer = await signedInStaff(server);
  const { registration } = await activeResident(server, officer, {}, page.request);
  await page.goto("/layanan/AKTA_KELAHIRAN");
  await expect(page.getByRole("heading", { name: "Pengajuan Akta Kelahiran" })).toBeVisible();

  // Required fields and documents, before anything travels.
  await page.getByRole("button", { name: "Periksa kembali" }).click();
  await expect(page.locator(".error-summary li")).toHaveCount(9);
  await expect(fieldError(page, "f-fields-nama_anak")).toHaveText(/Wajib diisi/);

  await page.getByLabel("Nama lengkap anak").fill("Bujang Senang");
  await page.getByLabel("Laki-laki").check();
  await page.getByLabel("Tempat lahir").fill("Putussibau");
  await page.getByLabel("Tanggal lahir").fill("2099-01-01");
  await page.getByLabel("Anak ke-").fill("99");
  await page.getByLabel("NIK ibu").fill("1234");
  for (const label of [
    "Surat keterangan lahir dari dokter/bidan/rumah sakit",
    "Kartu Keluarga",
    "KTP-el ayah dan ibu",
  ]) {
    await page
      .getByLabel(label, { exact: true })
      .setInputFiles({ name: "f.jpg", mimeType: "image/jpeg", buffer: photo(700, 500) });
  }
  await expect(page.locator(".slot-status .ok")).toHaveCount(3);
  await page.getByRole("button", { name: "Periksa kembali" }).click();
  await page.getByRole("button", { name: "Kirim", exact: true }).click();
  // Back on the form, each refusal beside its field.
  await expect(fieldError(page, "f-fields-tanggal_lahir")).toHaveText(/masa depan/);
  await expect(fieldError(page, "f-fields-anak_ke")).toHaveText(/1–30/);
  await expect(fieldError(page, "f-fields-nik_ibu")).toHaveText(/16 angka/);
  await expect(page.getByLabel("Nama lengkap anak")).toHaveValue("Bujang Senang");
  await checkA11y(page);
  await screenshot(page, "portal-pengajuan-kesalahan");

  // Corrected, it goes through with the documents already uploaded.
  await page.getByLabel("Tanggal lahir").fill("2026-10-01");
  await page.getByLabel("Anak ke-").fill("2");
  await page.getByLabel("NIK ibu").fill(registration.nik);
  await page.getByRole("button", { name: "Periksa kembali" }).click();
  await page.getByRole("button", { name: "Kirim", exact: true }).click();
  await expect(page.getByRole("heading", { name: "Pengajuan Berhasil Dikirim" })).toBeVisible();
});

test("Kirim again after the link dropped: the same request, not a second one", async ({ page, server }) => {
  const officer = await signedInStaff(server);
  const { resident } = await activeResident(server, officer, {}, page.request);
  await page.goto("/layanan/KTP_EL_HILANG");
  await page.getByLabel("Tanggal kehilangan").fill("2026-11-02");
  await page
    .getByLabel("Surat keterangan kehilangan dari kepolisian", { exact: true })
    .setInputFiles({ name: "surat.jpg", mimeType: "image/jpeg", buffer: photo(700, 900) });
  await page
    .getByLabel("Kartu Keluarga", { exact: true })
    .setInputFiles({ name: "kk.jpg", mimeType: "image/jpeg", buffer: photo(900, 700) });
  await expect(page.locator(".slot-status .ok")).toHaveCount(2);
  await page.getByRole("button", { name: "Periksa kembali" }).click();

  // The server records the request, but its answer never reaches the phone.
  let dropped = false;
  await page.route("**/graphql", async (route) => {
    if (!dropped && route.request().postData()?.includes("SubmitServiceRequest")) {
      dropped = true;
      await route.fetch();
      await route.abort("internetdisconnected");
    } else await route.continue();
  });
  await page.getByRole("button", { name: "Kirim", exact: true }).click();
  await expect(page.locator(".error-summary")).toContainText("Koneksi terputus");
  await page.getByRole("button", { name: "Kirim", exact: true }).click();
  await expect(page.getByRole("heading", { name: "Pengajuan Berhasil Dikirim" })).toBeVisible();
  const number = await page.locator(".notice .request-number").textContent();
  const board = await resident.gql<{ myRequests: { nodes: { number: string }[] } }>(
    "{ myRequests { nodes { number } } }",
  );
  expect(board.myRequests.nodes.map((n) => n.number)).toEqual([number]);
});
