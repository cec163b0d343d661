import { defineConfig } from "@playwright/test";

// Browser tests run the real `dukcapil` binary (DUKCAPIL_BIN) on a fresh database per test file:
// see tests/harness/server.ts. Chromium is Debian's (`apt-get install chromium`), not a
// Playwright download, so it is named by path.
const root = process.getuid?.() === 0;

export default defineConfig({
  testDir: "tests",
  outputDir: "test-results",
  // A file's tests run in order in one worker, sharing that file's server and database.
  fullyParallel: false,
  workers: 2,
  retries: 0,
  forbidOnly: Boolean(process.env.CI),
  timeout: 120_000,
  // Uploads are checked and re-encoded by the server: on a busy 2-core CI machine a registration
  // with three photos can take well over 10 s.
  expect: { timeout: 25_000 },
  // `list` prints each test and the closing "N passed" line; no HTML report lands in the tree.
  reporter: [["list"]],
  use: {
    browserName: "chromium",
    headless: true,
    launchOptions: {
      executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
      // Chromium's sandbox needs user namespaces that root in a container does not get.
      args: root ? ["--no-sandbox"] : [],
    },
    // A resident's phone.
    viewport: { width: 360, height: 740 },
    isMobile: true,
    hasTouch: true,
    locale: "id-ID",
    timezoneId: "Asia/Pontianak",
    screenshot: "only-on-failure",
    trace: "off",
  },
  projects: [{ name: "chromium" }],
});
