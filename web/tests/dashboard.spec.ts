// The supervisor's dashboard in the browser: the figures of a known small history on the tiles
// and charts, and the same figures in the CSV download. (The figures themselves are proved
// against a known history in tests/tests/statistics.rs; this file has its own database, so the
// counts are exactly this test's.)

import { readFileSync } from "node:fs";
import { activeResident, checkA11y, consoleSignIn, expect, Staff, screenshot, signedInAdmin, test } from "./harness";

test.use({ viewport: { width: 1366, height: 768 }, isMobile: false, hasTouch: false });

test("the dashboard draws the office's figures and offers them as CSV", async ({ page, server }) => {
  const admin = await signedInAdmin(server);
  const supervisorAccount = await admin.createStaff("SUPERVISOR", { displayName: "Sri Wahyuni" });
  const operator = await Staff.signIn(server, await admin.createStaff("OPERATOR", { displayName: "Budi Santoso" }));
  const { resident } = await activeResident(server, operator);
  const first = await resident.submitBirthCertificate("Dayang Sumbi");
  await resident.submitBirthCertificate("Bujang Senang");
  const item = await operator.findRequest(first.number);
  await operator.claimRequest(item.requestId);
  await operator.completeRequest(item.requestId);

  await consoleSignIn(page, supervisorAccount);
  await page.getByRole("link", { name: "Dasbor" }).click();
  // What arrives on a closed day counts on the next working day (domain::statistics), so on a
  // weekend or holiday the default range (up to today) does not hold this test's requests yet;
  // a range ending three weeks ahead does, whatever day the test runs on.
  const ahead = new Date(Date.now() + 7 * 3_600_000 + 21 * 86_400_000).toISOString().slice(0, 10);
  await page.getByLabel("Sampai tanggal").fill(ahead);
  const tiles = page.locator(".tiles");
  await expect(tiles).toContainText("2 masuk");
  await expect(tiles).toContainText("1 selesai");
  await expect(tiles).toContainText("100% selesai dalam janji");
  await expect(page.locator(".chart canvas")).toHaveCount(4);
  await expect(page.locator(".chart").filter({ hasText: "Pekerjaan per petugas" })).toContainText("Budi Santoso");
  await checkA11y(page);
  await screenshot(page, "console-dasbor");
  const saved = page.waitForEvent("download");
  await page.getByRole("button", { name: "Unduh CSV" }).click();
  const csv = readFileSync(await (await saved).path(), "utf8");
  expect(csv).toContain("Masuk,2");
  expect(csv).toContain("Selesai,1");
  expect(csv).toMatch(/Budi Santoso,1,0/);
});
