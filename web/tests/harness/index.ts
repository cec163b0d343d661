// The browser tests' harness: `test` and `expect` with the real server (one per test file), and
// helpers that go through that server's API or its database.
export * from "./api";
export * from "./browser";
export * from "./captcha";
export * from "./data";
export { type CommandResult, expect, FileServers, type Server, test } from "./server";
