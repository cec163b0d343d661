// "Bukti Pengajuan": the resident downloads the receipt from the board; whoever scans its QR
// code (here: opens the address it prints, on a phone, without an account) sees that it is
// genuine, the status now and the name masked; a mistyped code is answered plainly.

import { activeResident, checkA11y, expect, screenshot, signedInStaff, test } from "./harness";

test("a receipt from the board is checked at its printed address by someone without an account", async ({
  page,
  browser,
  server,
}) => {
  const officer = await signedInStaff(server);
  const { resident, registration } = await activeResident(server, officer, {}, page.request);
  // "Siti Aminah" → "S*** A*****": each word's first letter.
  const masked = registration.fullName
    .split(" ")
    .map((word) => `${word[0]}${"*".repeat(word.length - 1)}`)
    .join(" ");
  const submitted = await resident.submitBirthCertificate();
  await page.goto("/beranda");
  const link = page.getByRole("link", { name: `Bukti pengajuan (PDF) No. ${submitted.number}` });
  await expect(link).toBeVisible();
  const download = page.waitForEvent("download");
  await link.click();
  const saved = await download;
  expect(saved.suggestedFilename()).toBe(`bukti-pengajuan-${submitted.number}.pdf`);
  const path = await saved.path();
  const { readFile } = await import("node:fs/promises");
  const pdf = (await readFile(path)).toString("latin1");
  expect(pdf.startsWith("%PDF-")).toBe(true);
  const address = /\/URI \(([^)]+)\)/.exec(pdf)?.[1] ?? "";
  expect(address).toMatch(/\/verifikasi\/[0-9A-Z]{4}(-[0-9A-Z]{4}){3}$/);

  // A kecamatan clerk's phone: no account, no cookies, the printed address.
  const clerk = await browser.newContext({ viewport: { width: 360, height: 740 } });
  const phone = await clerk.newPage();
  await phone.goto(new URL(address).pathname);
  const result = phone.getByRole("status");
  await expect(result.getByRole("heading", { name: "Bukti pengajuan asli" })).toBeVisible();
  await expect(result).toContainText(submitted.number);
  await expect(result).toContainText("Akta Kelahiran");
  await expect(result).toContainText("Menunggu diproses");
  await expect(result).toContainText(masked);
  await expect(result).not.toContainText(registration.fullName.split(" ")[0] ?? "");
  await checkA11y(phone);
  await screenshot(phone, "portal-verifikasi-bukti");

  // Typed by hand, one character wrong.
  const code = address.split("/").pop() ?? "";
  const wrong = `${code.startsWith("A") ? "B" : "A"}${code.slice(1)}`;
  await phone.getByLabel("Kode verifikasi").fill(wrong);
  await phone.getByRole("button", { name: "Periksa" }).click();
  await expect(phone.getByRole("heading", { name: "Tidak dikenal" })).toBeVisible();
  await expect(phone.getByRole("status")).not.toContainText(submitted.number);
  await checkA11y(phone);
  await clerk.close();
});
