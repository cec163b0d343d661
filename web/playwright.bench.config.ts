import { defineConfig } from "@playwright/test";
import base from "./playwright.config";

// The portal's benchmarks (`npm run bench`): figures printed side by side, never asserted
// against a clock (machines are noisy). `BENCH_QUICK=1` runs each once, as scripts/test does to
// keep the harness working.
export default defineConfig({
  ...base,
  testDir: "bench",
  testMatch: "*.bench.ts",
  workers: 1,
  timeout: 300_000,
});
