// The console's supervision pages against the real server: the password-reset queue, the old
// portal's accounts, the office calendar and outages (supervisors), staff accounts (admins), and
// the history and document access log (auditors) — and an operator refused what is not theirs.

import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  activeResident,
  checkA11y,
  consoleSignIn,
  createAdmin,
  eventually,
  expect,
  GraphQLError,
  newNik,
  pdf,
  Resident,
  type Server,
  Staff,
  type StaffAccount,
  type StaffRole,
  screenshot,
  signedInAdmin,
  test,
} from "./harness";

test.use({ viewport: { width: 1366, height: 768 }, isMobile: false, hasTouch: false });

/** A new staff account of `role` (made by a new admin), and its API client. */
async function newStaff(server: Server, role: StaffRole): Promise<{ account: StaffAccount; api: Staff }> {
  const admin = await signedInAdmin(server);
  const account = await admin.createStaff(role);
  await admin.dispose();
  return { account, api: await Staff.signIn(server, account) };
}

/** The `extensions.code` a call was refused with. */
async function refusal(call: Promise<unknown>): Promise<string | undefined> {
  try {
    await call;
  } catch (error) {
    if (error instanceof GraphQLError) return error.code;
    throw error;
  }
  return undefined;
}

/** YYYY-MM-DD in WIB, `days` from today. */
function officeDate(days: number): string {
  return new Intl.DateTimeFormat("en-CA", { timeZone: "Asia/Pontianak" }).format(new Date(Date.now() + days * 864e5));
}

const MONTHS = [
  "Januari",
  "Februari",
  "Maret",
  "April",
  "Mei",
  "Juni",
  "Juli",
  "Agustus",
  "September",
  "Oktober",
  "November",
  "Desember",
];

test("supervisor: closes a day as cuti bersama in the month view, reopens it, declares and ends an outage", async ({
  page,
  server,
}) => {
  const { account, api } = await newStaff(server, "SUPERVISOR");
  // A weekday some weeks ahead that is not closed already.
  let date = officeDate(40);
  for (let ahead = 40; ; ahead++) {
    date = officeDate(ahead);
    const weekday = new Date(`${date}T12:00:00Z`).getUTCDay();
    const closed = await api.gql<{ holidays: { date: string }[] }>("query($y: Int!) { holidays(year: $y) { date } }", {
      y: Number(date.slice(0, 4)),
    });
    if (weekday !== 0 && weekday !== 6 && !closed.holidays.some((h) => h.date === date)) break;
  }
  const [year, month, day] = date.split("-").map(Number) as [number, number, number];
  const monthTitle = `${MONTHS[month - 1]} ${year}`;

  await consoleSignIn(page, account);
  await page.getByRole("link", { name: "Kalender Kantor" }).click();
  await expect(page.getByRole("heading", { name: "Kalender Kantor", level: 1 })).toBeVisible();
  const today = officeDate(0);
  const thisMonth = `${MONTHS[Number(today.slice(5, 7)) - 1]} ${today.slice(0, 4)}`;
  const grid = page.getByRole("table", { name: /Hari kerja dan hari tutup kantor/ });
  await expect(grid).toHaveAccessibleName(`Hari kerja dan hari tutup kantor, ${thisMonth}`);
  await expect(grid.getByRole("columnheader")).toHaveText([
    "Senin",
    "Selasa",
    "Rabu",
    "Kamis",
    "Jumat",
    "Sabtu",
    "Minggu",
  ]);
  await expect(grid.locator(`td[data-date="${today}"]`)).toHaveAttribute("aria-current", "date");
  await page.getByRole("button", { name: "Bulan berikutnya →" }).click();
  await expect(grid).not.toHaveAccessibleName(`Hari kerja dan hari tutup kantor, ${thisMonth}`);
  await page.getByRole("button", { name: "← Bulan sebelumnya" }).click();
  await expect(grid).toHaveAccessibleName(`Hari kerja dan hari tutup kantor, ${thisMonth}`);
  await checkA11y(page);

  // A past day is the server's to refuse: its message stands beside the date.
  const form = page.getByRole("region", { name: "Tambah hari tutup" });
  await form.getByLabel("Tanggal").fill(officeDate(-3));
  await form.getByLabel("Nama hari").fill("Libur yang sudah lewat");
  await form.getByRole("button", { name: "Tambah hari tutup" }).click();
  await expect(form.locator("#f-date-error")).toContainText("sudah lewat");

  // Cuti bersama on the chosen day: the view moves to its month and the cell names it.
  await form.getByLabel("Tanggal").fill(date);
  await form.getByLabel("Nama hari").fill("Cuti bersama uji");
  await form.getByRole("radio", { name: "Cuti bersama" }).check();
  await form.getByRole("button", { name: "Tambah hari tutup" }).click();
  await expect(page.getByRole("status").filter({ hasText: "Cuti bersama uji" })).toBeVisible();
  await expect(grid).toHaveAccessibleName(`Hari kerja dan hari tutup kantor, ${monthTitle}`);
  const cell = grid.locator(`td[data-date="${date}"]`);
  await expect(cell).toContainText("Cuti bersama uji");
  await expect(cell).toContainText("Cuti bersama");
  await expect(cell.locator(".visually-hidden")).toHaveText(new RegExp(`^\\w+, ${day} ${MONTHS[month - 1]} ${year}$`));
  await eventually("the closed day in holidays()", async () => {
    const reply = await api.gql<{ holidays: { date: string; kind: string }[] }>(
      "query($y: Int!) { holidays(year: $y) { date kind } }",
      { y: year },
    );
    return reply.holidays.find((h) => h.date === date && h.kind === "CUTI_BERSAMA");
  });
  await checkA11y(page);
  await page.evaluate(() => window.scrollTo(0, 0));
  await screenshot(page, "console-kalender");

  // Removing asks first: dismissed, nothing changes; accepted, the cell is a working day again.
  const remove = page.getByRole("button", { name: /^Hapus Cuti bersama uji/ });
  page.once("dialog", (dialog) => {
    expect(dialog.message()).toContain("kembali menjadi hari kerja");
    void dialog.dismiss();
  });
  await remove.click();
  await expect(cell).toContainText("Cuti bersama uji");
  page.once("dialog", (dialog) => void dialog.accept());
  await remove.click();
  await expect(page.getByRole("status").filter({ hasText: "kembali menjadi hari kerja" })).toBeVisible();
  await expect(cell).not.toContainText("Cuti bersama uji");
  await eventually("the day reopened in holidays()", async () => {
    const reply = await api.gql<{ holidays: { date: string }[] }>("query($y: Int!) { holidays(year: $y) { date } }", {
      y: year,
    });
    return reply.holidays.some((h) => h.date === date) ? undefined : true;
  });

  // An outage, then its end; the contact page's source says so each time.
  const outage = page.getByRole("region", { name: "Gangguan layanan" });
  await expect(outage).toContainText("Tidak ada gangguan saat ini.");
  await outage.getByLabel("Alasan gangguan (dibaca penduduk)").fill("Jaringan ke data center Kemendagri terputus");
  await outage.getByRole("button", { name: "Nyatakan gangguan" }).click();
  await expect(outage).toContainText("Gangguan sedang berlangsung");
  await expect(outage).toContainText("Jaringan ke data center Kemendagri terputus");
  await eventually("the outage in contactInfo", async () => {
    const reply = await api.gql<{ contactInfo: { outage: { reason: string } | null } }>(
      "{ contactInfo { outage { reason } } }",
    );
    return reply.contactInfo.outage ?? undefined;
  });
  await checkA11y(page);
  await outage.getByRole("button", { name: "Akhiri gangguan" }).click();
  await expect(outage).toContainText("Tidak ada gangguan saat ini.");
  await eventually("no outage in contactInfo", async () => {
    const reply = await api.gql<{ contactInfo: { outage: unknown } }>("{ contactInfo { outage { reason } } }");
    return reply.contactInfo.outage === null ? true : undefined;
  });
});

test("an operator is refused the office calendar: the console says so and the API answers FORBIDDEN", async ({
  page,
  server,
}) => {
  const { account, api } = await newStaff(server, "OPERATOR");
  await consoleSignIn(page, account);
  await expect(page.getByRole("navigation").getByRole("link", { name: "Kalender Kantor" })).toHaveCount(0);
  await page.goto("/petugas/kalender");
  await expect(page.getByRole("heading", { name: "Tidak ada akses" })).toBeVisible();
  await expect(page.getByText("Peran Anda (Operator) tidak dapat membuka halaman ini.")).toBeVisible();
  await expect(page.getByRole("button", { name: "Tambah hari tutup" })).toHaveCount(0);
  await checkA11y(page);
  expect(await refusal(api.gql('mutation { addHoliday(date: "2030-01-02", name: "Uji") { date } }'))).toBe("FORBIDDEN");
  expect(await refusal(api.gql('mutation { declareOutage(reason: "Uji") { declaredAt } }'))).toBe("FORBIDDEN");
  expect(await refusal(api.gql("{ eventHistory(first: 1) { nodes { position } } }"))).toBe("FORBIDDEN");
  expect(await refusal(api.gql("{ staffMembers(first: 1) { totalCount } }"))).toBe("FORBIDDEN");
});

test("admin: a bad username gets the server's message beside the field; creates an operator, promotes, deactivates", async ({
  page,
  server,
}) => {
  const admin = await createAdmin(server, { displayName: "Admin Dinas" });
  // The list reads the staff directory (a read model): wait until it holds the new admin.
  const adminApi = await Staff.signIn(server, admin);
  await eventually("the admin in the staff directory", async () => {
    const reply = await adminApi.gql<{ staffMembers: { nodes: { username: string }[] } }>(
      "{ staffMembers(first: 200) { nodes { username } } }",
    );
    return reply.staffMembers.nodes.find((m) => m.username === admin.username);
  });
  await adminApi.dispose();
  await consoleSignIn(page, admin);
  await page.getByRole("link", { name: "Staf" }).click();
  await expect(page.getByRole("heading", { name: "Staf", level: 1 })).toBeVisible();
  await expect(page.locator(`tr[data-staff="${admin.username}"]`)).toContainText("(Anda)");

  const form = page.getByRole("region", { name: "Tambah akun petugas" });
  await form.getByLabel("Nama pengguna").fill("Budi Santoso");
  await form.getByLabel("Nama tampilan").fill("Budi Santoso");
  await form.getByRole("radio", { name: /^Operator/ }).check();
  await form.getByLabel("Kata sandi awal").fill("kapuas hulu putussibau 2026");
  await form.getByRole("button", { name: "Buat akun" }).click();
  const usernameError = form.locator("#f-username-error");
  await expect(usernameError).toContainText("Nama pengguna harus 3–32 karakter");
  await expect(form.getByLabel("Nama pengguna")).toHaveAttribute("aria-invalid", "true");
  await expect(form.locator(".error-summary")).toBeFocused();
  await checkA11y(page);

  await form.getByLabel("Nama pengguna").fill("budi.santoso");
  await form.getByRole("button", { name: "Buat akun" }).click();
  await expect(page.getByRole("status").filter({ hasText: "Akun budi.santoso dibuat" })).toBeVisible();
  const row = page.locator('tr[data-staff="budi.santoso"]');
  await expect(row).toContainText("Operator");
  await expect(row).toContainText("Aktif");
  await expect(row).toContainText("Belum pernah");
  const budi = await Staff.signIn(server, {
    username: "budi.santoso",
    displayName: "Budi Santoso",
    password: "kapuas hulu putussibau 2026",
  });
  expect(budi.profile?.role).toBe("OPERATOR");

  await row.getByLabel("Peran baru untuk budi.santoso").selectOption("SUPERVISOR");
  await row.getByRole("button", { name: "Ubah peran budi.santoso" }).click();
  await expect(page.getByRole("status").filter({ hasText: "Peran budi.santoso sekarang Supervisor" })).toBeVisible();
  await expect(row.locator("td").nth(2)).toHaveText("Supervisor");
  // The role change ended Budi's session; signed in again, Budi is a supervisor.
  expect(await refusal(budi.gql("{ currentStaff { role } }"))).toBe("UNAUTHENTICATED");
  expect((await budi.login("budi.santoso", "kapuas hulu putussibau 2026")).role).toBe("SUPERVISOR");
  await checkA11y(page);
  await page.evaluate(() => window.scrollTo(0, 0));
  await screenshot(page, "console-staf");

  await row.getByRole("button", { name: "Nonaktifkan budi.santoso" }).click();
  await row.getByRole("button", { name: "Ya, nonaktifkan" }).click();
  // The status cell (the row's "Nonaktifkan" button would match a looser check before the
  // deactivation is recorded).
  await expect(row.locator("td").nth(3)).toHaveText("Nonaktif");
  expect(await refusal(budi.login("budi.santoso", "kapuas hulu putussibau 2026"))).toBe("INVALID_CREDENTIALS");
  await budi.dispose();
});

test("auditor: the history of one request by its number, pages of events, and who viewed a document", async ({
  page,
  server,
}) => {
  test.setTimeout(120_000);
  const operator = await newStaff(server, "OPERATOR");
  const auditor = await newStaff(server, "AUDITOR");
  const { resident } = await activeResident(server, operator.api);
  const receipt = await resident.submitBirthCertificate("Bujang Kumang");
  const item = await operator.api.findRequest(receipt.number);
  await operator.api.claimRequest(item.requestId);
  // More events than one page holds: the operator signs in again and again.
  for (let i = 0; i < 45; i++) await operator.api.login(operator.account.username, operator.account.password);

  // The operator opens a waiting registration's KTP-el: a logged view.
  const waiting = await Resident.create(server);
  const person = await waiting.register();
  await waiting.dispose();
  const queued = await eventually("the registration in the queue", async () => {
    const reply = await operator.api.gql<{
      accountVerificationQueue: { nodes: { fullName: string; documents: { identityUrl: string } }[] };
    }>("{ accountVerificationQueue(first: 100) { nodes { fullName documents { identityUrl } } } }");
    return reply.accountVerificationQueue.nodes.find((n) => n.fullName === person.fullName);
  });
  const url = queued.documents.identityUrl;
  const viewed = await operator.api.request.get(`${server.url}${url}`);
  expect(viewed.status()).toBe(200);
  const fileId = url.split("/").pop() ?? "";

  await consoleSignIn(page, auditor.account);
  await page.getByRole("link", { name: "Riwayat" }).click();
  await expect(page.getByRole("heading", { name: "Riwayat", level: 1 })).toBeVisible();
  const events = page.getByRole("region", { name: "Kejadian" });
  await expect(events.getByRole("table")).toBeVisible();
  await expect(events.locator("tbody tr")).toHaveCount(50);
  await events.getByRole("button", { name: "Muat berikutnya" }).click();
  await expect.poll(() => events.locator("tbody tr").count()).toBeGreaterThan(50);
  await expect(events.locator('tr[data-event="StaffSignedIn"]').first()).toBeVisible();

  // One request by number: its events, unmasked, and the page says the look is audited.
  await expect(events.getByText("dicatat di log audit atas nama Anda")).toBeVisible();
  await events.getByLabel(/^Nomor pengajuan/).fill(receipt.number);
  await events.getByRole("button", { name: "Tampilkan" }).click();
  await expect(events.getByText("Data pribadi catatan ini ditampilkan utuh")).toBeVisible();
  const submitted = events.locator('tr[data-event="RequestSubmitted"]');
  const claimed = events.locator('tr[data-event="RequestClaimed"]');
  await expect(submitted).toHaveCount(1);
  await expect(claimed).toHaveCount(1);
  await expect(events.locator("tbody tr")).toHaveCount(2);
  await expect(submitted).toContainText("Pengajuan dikirim");
  await expect(submitted).toContainText("Penduduk");
  await expect(submitted).toContainText(/pukul \d{2}\.\d{2} WIB/);
  await expect(claimed).toContainText("Operator");
  // The auditor reads the officer's name (from the server, not only for admins) and the id.
  await expect(claimed).toContainText(`${operator.account.displayName} (${operator.account.username})`);
  await expect(claimed).toContainText(operator.api.profile?.id ?? "?");
  await submitted.getByText("Lihat isi").click();
  await expect(submitted.locator("dl.payload").first()).toContainText("Bujang Kumang");
  await checkA11y(page);
  await screenshot(page, "console-riwayat");

  // The same record's whole life, from "Riwayat satu catatan".
  const record = page.getByRole("region", { name: "Riwayat satu catatan" });
  await record.getByRole("textbox", { name: "Nomor pengajuan" }).fill(receipt.number);
  await record.getByRole("button", { name: "Tampilkan riwayat" }).click();
  await expect(record.locator('tr[data-event="RequestClaimed"]')).toHaveCount(1);
  await expect(page.locator(".export-help")).toContainText("dukcapil export-history --out riwayat.jsonl");
  await expect(page.locator(".export-help")).toContainText("dukcapil verify-history --file riwayat.jsonl");

  // Who viewed the KTP-el, when and for what.
  await page.getByRole("link", { name: "Akses Dokumen" }).click();
  await expect(page.getByRole("heading", { name: "Akses Dokumen", level: 1 })).toBeVisible();
  await page.getByLabel(/^ID dokumen/).fill(url);
  await page.getByRole("button", { name: "Tampilkan", exact: true }).click();
  const views = page.locator(`tr[data-file="${fileId}"]`);
  await expect(views).toHaveCount(1);
  await expect(views).toContainText("Operator");
  await expect(views).toContainText(operator.account.displayName);
  await expect(views).toContainText(operator.api.profile?.id ?? "?");
  await expect(views).toContainText("Pemeriksaan oleh petugas");
  await expect(views).toContainText("127.0.0.1");
  await expect(views).toContainText(/WIB/);
  await checkA11y(page);
  await screenshot(page, "console-akses-dokumen");
  await operator.api.dispose();
  await auditor.api.dispose();
});

test("operator: a password reset whose names differ, approved: the one-time code and its WhatsApp button", async ({
  page,
  server,
}) => {
  const operator = await newStaff(server, "OPERATOR");
  const { registration } = await activeResident(server, operator.api);
  const asking = await Resident.create(server);
  await asking.requestPasswordReset(registration.nik, "Dayang Sumbi");
  await operator.api.findPasswordReset(registration.fullName);

  await consoleSignIn(page, operator.account);
  await page.getByRole("navigation").getByRole("link", { name: "Lupa Kata Sandi" }).click();
  await expect(page.getByRole("heading", { name: "Lupa Kata Sandi", level: 1 })).toBeVisible();
  const entry = page.getByRole("button", { name: new RegExp(registration.fullName) });
  await expect(entry).toContainText("Nama di permintaan berbeda");
  await entry.click();
  await expect(page.getByRole("heading", { name: registration.fullName, level: 2 })).toBeVisible();
  const names = page.getByRole("table", { name: "Nama di akun dan nama di permintaan" });
  await expect(names.getByRole("cell")).toHaveText([registration.fullName, "Dayang Sumbi"]);
  await expect(page.getByRole("alert").filter({ hasText: "Nama berbeda" })).toBeVisible();
  await expect(page.locator(".viewer-panes.two img")).toHaveCount(2);
  await checkA11y(page);
  await screenshot(page, "console-lupa-kata-sandi");

  await page.getByRole("button", { name: "Setujui dan buat kode reset" }).click();
  const code = (await page.locator(".reset-code").textContent())?.trim() ?? "";
  expect(code).toMatch(/^[A-Z0-9-]{6,}$/i);
  const whatsapp = page.getByRole("link", { name: "Kirim kode via WhatsApp" });
  await expect(whatsapp).toHaveAttribute("href", /^https:\/\/wa\.me\/6281234567890\?text=/);
  expect(decodeURIComponent((await whatsapp.getAttribute("href")) ?? "")).toContain(code);
  await expect(entry).toHaveCount(0);
  await checkA11y(page);

  // The code works once, for the resident.
  await asking.completePasswordReset(registration.nik, code, "sungai kapuas panjang");
  expect((await asking.login(registration.nik, "sungai kapuas panjang")).status).toBe("ACTIVE");
  await asking.dispose();
});

test("operator: the old portal's account of a NIK, its documents, and 24 hours of access granted by NIK", async ({
  page,
  server,
}) => {
  const operator = await newStaff(server, "OPERATOR");
  const { registration, resident } = await activeResident(server, operator.api);
  // An old account whose NIK has no account on the new portal yet.
  const orphan = { nik: newNik(), name: "Yohanes Lejo" };
  const dir = mkdtempSync(join(tmpdir(), "legacy-"));
  writeFileSync(join(dir, "kk-lama.pdf"), pdf(["Kartu Keluarga (layanan lama)"]));
  writeFileSync(join(dir, "akta-lama.pdf"), pdf(["Akta kelahiran (layanan lama)"]));
  writeFileSync(
    join(dir, "export.json"),
    JSON.stringify([
      {
        nik: registration.nik,
        name: registration.fullName,
        documents: [
          { title: "KK lama", file: "kk-lama.pdf" },
          { title: "Akta kelahiran lama", file: "akta-lama.pdf" },
        ],
      },
      { nik: orphan.nik, name: orphan.name, documents: [{ title: "KK lama", file: "kk-lama.pdf" }] },
    ]),
  );
  const imported = await server.run(["import-legacy", "--file", join(dir, "export.json")]);
  expect(imported.code, imported.stderr).toBe(0);

  await consoleSignIn(page, operator.account);
  await page.getByRole("link", { name: "Layanan Lama" }).click();
  await expect(page.getByRole("heading", { name: "Layanan Lama", level: 1 })).toBeVisible();
  const nik = page.getByLabel("NIK", { exact: true });
  const search = page.getByRole("button", { name: "Cari akun lama" });
  await nik.fill("123");
  await search.click();
  await expect(page.locator("#f-nik-error")).toContainText("16 angka");

  await nik.fill(registration.nik);
  await search.click();
  const card = page.locator(".card").filter({ has: page.getByRole("heading", { name: registration.fullName }) });
  await expect(card).toContainText(registration.nik.slice(0, 4));
  await expect(card).not.toContainText(registration.nik);
  await expect(card.getByRole("listitem")).toHaveCount(2);
  expect((await card.getByRole("listitem").allTextContents()).sort()).toEqual(["Akta kelahiran lama", "KK lama"]);
  await checkA11y(page);
  await screenshot(page, "console-layanan-lama");

  await card.getByRole("button", { name: "Beri akses 24 jam" }).click();
  const granted = card.getByRole("status");
  await expect(granted).toContainText("Akses diberikan");
  await expect(granted).toContainText(/sampai \w+, \d+ \w+ \d{4} pukul \d{2}\.\d{2} WIB/);
  const told = granted.getByRole("link", { name: "Kabari via WhatsApp" });
  await expect(told).toHaveAttribute("href", /^https:\/\/wa\.me\/62\d+\?text=/);
  expect(decodeURIComponent((await told.getAttribute("href")) ?? "")).toMatch(
    /portal lama \(NIK \d{4}\*{8}\d{4}\).*WIB/,
  );
  await expect(card.getByRole("button", { name: "Beri akses 24 jam" })).toHaveCount(0);
  const board = await resident.gql<{ me: { legacyDocuments: { title: string }[] } }>(
    "{ me { legacyDocuments { title } } }",
  );
  expect(board.me.legacyDocuments.map((d) => d.title).sort()).toEqual(["Akta kelahiran lama", "KK lama"]);
  await checkA11y(page);

  // No active account for that NIK: the server's refusal is shown, nothing is granted.
  await nik.fill(orphan.nik);
  await search.click();
  const orphanCard = page.locator(".card").filter({ has: page.getByRole("heading", { name: orphan.name }) });
  await orphanCard.getByRole("button", { name: "Beri akses 24 jam" }).click();
  await expect(orphanCard.getByRole("alert")).not.toBeEmpty();
  await expect(orphanCard.getByRole("status")).toHaveCount(0);

  await nik.fill(newNik());
  await search.click();
  await expect(page.getByText("Tidak ada akun layanan lama untuk NIK ini.")).toBeVisible();
  await resident.dispose();
});
