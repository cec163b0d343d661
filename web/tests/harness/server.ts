import { type ChildProcess, spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import { accessSync, closeSync, constants, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test as base, expect } from "@playwright/test";
import pg from "pg";

/** A running `dukcapil serve` on its own database, data directory and port. */
export interface Server {
  /** `http://127.0.0.1:<port>`, also its `PUBLIC_URL`. */
  readonly url: string;
  readonly port: number;
  readonly databaseUrl: string;
  readonly databaseName: string;
  readonly dataDir: string;
  /** Where the server's stdout and stderr go. */
  readonly logFile: string;
  /** A small pool on the server's database, for what a test cannot do through the API. */
  readonly db: pg.Pool;
  /** Runs a one-shot subcommand (`create-admin`, `replay`, …) against this server's database. */
  run(args: string[], stdin?: string): Promise<CommandResult>;
  /** The last lines of the server's log. */
  logTail(lines?: number): string;
}

/** How a subcommand ended. */
export interface CommandResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Settings for tests: the per-address and per-account limits a person would never reach. */
function serverEnvironment(databaseUrl: string, dataDir: string, port: number): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    DATABASE_URL: databaseUrl,
    DATA_DIR: dataDir,
    BIND_ADDR: `127.0.0.1:${port}`,
    PUBLIC_URL: `http://127.0.0.1:${port}`,
    LOG_FORMAT: "json",
    PROJECTOR_POLL_MS: "100",
    // Every browser and API client of a test is 127.0.0.1.
    MAX_CONNECTIONS_PER_PEER: "100000",
    CAPTCHAS_PER_ADDRESS_PER_MINUTE: "100000",
    UPLOADS_PER_ACCOUNT_PER_HOUR: "100000",
    UPLOAD_MB_PER_ACCOUNT_PER_HOUR: "100000",
    ANONYMOUS_UPLOADS_PER_ADDRESS_PER_HOUR: "100000",
    WHATSAPP_NUMBERS: "Admin Verifikasi Akun=081234567890;Admin Layanan=081298765432",
  };
  delete env.RUST_LOG;
  return env;
}

function binary(): string {
  const path = process.env.DUKCAPIL_BIN;
  if (!path) {
    throw new Error(
      "DUKCAPIL_BIN is not set. Build the binary (cargo build -p api --bin dukcapil) and set DUKCAPIL_BIN to it; " +
        "scripts/test does both.",
    );
  }
  try {
    accessSync(path, constants.X_OK);
  } catch {
    throw new Error(`DUKCAPIL_BIN=${path} is not an executable file`);
  }
  return path;
}

/** `postgres://user@host:port` of the server the tests use (DATABASE_URL's, as the Rust tests do). */
function postgresServer(): string {
  const configured = process.env.DATABASE_URL;
  if (configured) {
    const url = new URL(configured);
    url.pathname = "";
    return url.toString().replace(/\/$/, "");
  }
  return "postgres://postgres@127.0.0.1:5432";
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.unref();
    probe.on("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const address = probe.address();
      probe.close(() =>
        typeof address === "object" && address ? resolve(address.port) : reject(new Error("no port")),
      );
    });
  });
}

function tail(file: string, lines = 60): string {
  try {
    return readFileSync(file, "utf8").trimEnd().split("\n").slice(-lines).join("\n");
  } catch {
    return "(no log)";
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

class RunningServer implements Server {
  readonly url: string;
  readonly databaseUrl: string;
  readonly db: pg.Pool;
  private stopping = false;
  private readonly exited: Promise<void>;

  constructor(
    private readonly bin: string,
    private readonly child: ChildProcess,
    private readonly env: NodeJS.ProcessEnv,
    private readonly postgres: string,
    readonly port: number,
    readonly databaseName: string,
    readonly dataDir: string,
    readonly logFile: string,
  ) {
    this.url = `http://127.0.0.1:${port}`;
    this.databaseUrl = `${postgres}/${databaseName}`;
    this.db = new pg.Pool({ connectionString: this.databaseUrl, max: 2 });
    // An idle connection that the server ends (the teardown's DROP DATABASE … WITH (FORCE) can
    // reach a socket the pool is still closing) is reported on the pool; unheard, it would be an
    // uncaught error blamed on whichever test runs next. Failed queries still reject their own
    // promises.
    this.db.on("error", (error) => {
      if (!this.stopping) console.error(`test database pool: ${error.message}`);
    });
    // Should the worker end without tearing its fixtures down, the server must not outlive it.
    const killOnExit = () => child.kill("SIGKILL");
    process.once("exit", killOnExit);
    this.exited = new Promise((resolve) => {
      child.once("exit", (code, signal) => {
        process.off("exit", killOnExit);
        if (!this.stopping) {
          console.error(
            `dukcapil serve on port ${port} died (code ${code}, signal ${signal}); last lines of ${logFile}:\n${this.logTail()}`,
          );
        }
        resolve();
      });
    });
  }

  get alive(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  logTail(lines = 60): string {
    return tail(this.logFile, lines);
  }

  run(args: string[], stdin?: string): Promise<CommandResult> {
    return new Promise((resolve, reject) => {
      const child = spawn(this.bin, args, { env: this.env, stdio: ["pipe", "pipe", "pipe"] });
      let stdout = "";
      let stderr = "";
      child.stdout.on("data", (chunk) => {
        stdout += chunk;
      });
      child.stderr.on("data", (chunk) => {
        stderr += chunk;
      });
      child.on("error", reject);
      child.on("close", (code) => resolve({ code, stdout, stderr }));
      child.stdin.end(stdin ?? "");
    });
  }

  async waitUntilReady(timeoutMs = 60_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let last = "no answer";
    while (Date.now() < deadline) {
      if (!this.alive) {
        throw new Error(`dukcapil serve exited before it was ready; last lines of ${this.logFile}:\n${this.logTail()}`);
      }
      try {
        const response = await fetch(`${this.url}/readyz`);
        if (response.ok) {
          return;
        }
        last = `${response.status} ${await response.text()}`;
      } catch (error) {
        last = String(error);
      }
      await sleep(100);
    }
    throw new Error(`dukcapil serve was not ready within ${timeoutMs} ms (${last}); log:\n${this.logTail()}`);
  }

  /** SIGTERM (a graceful drain), SIGKILL after 10 s; then the database and files go. */
  async stop(): Promise<void> {
    this.stopping = true;
    if (this.alive) {
      this.child.kill("SIGTERM");
      const stopped = await Promise.race([this.exited.then(() => true), sleep(10_000).then(() => false)]);
      if (!stopped) {
        this.child.kill("SIGKILL");
        await this.exited;
      }
    }
    await this.db.end().catch(() => {});
    const admin = new pg.Client({ connectionString: `${this.postgres}/postgres` });
    try {
      await admin.connect();
      await admin.query(`DROP DATABASE IF EXISTS "${this.databaseName}" WITH (FORCE)`);
    } finally {
      await admin.end().catch(() => {});
    }
    rmSync(this.dataDir, { recursive: true, force: true });
  }
}

/** Starts `dukcapil serve` on a new database (the binary creates and migrates it). */
export async function startServer(logDir: string): Promise<RunningServer> {
  const bin = binary();
  const postgres = postgresServer();
  const databaseName = `dukcapil_web_${randomUUID().replaceAll("-", "")}`;
  const dataDir = mkdtempSync(join(tmpdir(), "dukcapil-web-"));
  const port = await freePort();
  mkdirSync(logDir, { recursive: true });
  const logFile = join(logDir, `${databaseName}.log`);
  const env = serverEnvironment(`${postgres}/${databaseName}`, dataDir, port);
  const log = openSync(logFile, "a");
  const child = spawn(bin, ["serve"], { env, stdio: ["ignore", log, log] });
  closeSync(log);
  const server = new RunningServer(bin, child, env, postgres, port, databaseName, dataDir, logFile);
  try {
    await server.waitUntilReady();
  } catch (error) {
    await server.stop().catch(() => {});
    throw error;
  }
  return server;
}

/**
 * The servers of one worker: one per test file, started by the file's first test and stopped
 * when the worker moves on to another file or ends. A worker runs a file's tests in order, so
 * each file gets a fresh database; a failed test ends its worker, and the file's remaining
 * tests then start on a new one.
 */
export class FileServers {
  private current?: { file: string; server: RunningServer };

  constructor(private readonly logDir: string) {}

  /** The server of `file`, started on first use. */
  async forFile(file: string): Promise<Server> {
    if (this.current?.file === file) {
      return this.current.server;
    }
    await this.stop();
    const server = await startServer(this.logDir);
    this.current = { file, server };
    return server;
  }

  async stop(): Promise<void> {
    const current = this.current;
    this.current = undefined;
    await current?.server.stop();
  }
}

interface WorkerFixtures {
  /** The worker's servers; `await servers.forFile(testInfo.file)` in a `beforeAll`. */
  servers: FileServers;
}

interface TestFixtures {
  /** This test file's server. `page`, `request` and `baseURL` point at it. */
  server: Server;
}

/** Playwright's `test` with the real server: `test("…", async ({ page, server }) => …)`. */
export const test = base.extend<TestFixtures, WorkerFixtures>({
  servers: [
    // biome-ignore lint/correctness/noEmptyPattern: Playwright requires the destructuring pattern.
    async ({}, use, workerInfo) => {
      const servers = new FileServers(join(workerInfo.project.outputDir, "servers"));
      await use(servers);
      await servers.stop();
    },
    { scope: "worker", timeout: 60_000 },
  ],
  server: async ({ servers }, use, testInfo) => {
    const server = await servers.forFile(testInfo.file);
    await use(server);
    if (testInfo.status !== testInfo.expectedStatus) {
      console.error(`last lines of ${server.logFile}:\n${server.logTail(40)}`);
    }
  },
  baseURL: async ({ server }, use) => {
    await use(server.url);
  },
});

export { expect };
