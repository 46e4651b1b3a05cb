// Starts a real loyaltyd for a test: on a free loopback port, with a fresh
// data directory and the sample program, over TLS with a certificate the
// test makes (openssl); plaintext only when a test asks for it. Every
// process started here is killed, and its directory removed, when the test
// process exits, passed or failed.
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

import { LoyaltyClient, type LoyaltyClientOptions } from "../../src/index.js";

const packageRoot = resolve(dirname(fileURLToPath(import.meta.url)), "../../..");
export const repositoryRoot = resolve(packageRoot, "../..");
export const sampleProgram = join(repositoryRoot, "deploy/program.sample.textproto");
export const sampleKeys = join(repositoryRoot, "deploy/keys.sample.textproto");

export const POS_KEY = "demo-pos-key";
export const APP_KEY = "demo-app-key";
export const ADMIN_KEY = "demo-admin-key";

const LISTEN_WAIT_MS = 20_000;
const STOP_WAIT_MS = 10_000;

function loyaltydPath(): string {
  const path = process.env.LOYALTYD;
  if (path === undefined || path === "") {
    throw new Error("LOYALTYD must name the loyaltyd binary (ctest passes it; see README)");
  }
  return path;
}

export interface Certificate {
  certPath: string;
  keyPath: string;
  certPem: string;
  keyPem: string;
}

/** A self-signed certificate for localhost and 127.0.0.1, valid two days. */
export function makeCertificate(directory: string, name = "server"): Certificate {
  const certPath = join(directory, `${name}-cert.pem`);
  const keyPath = join(directory, `${name}-key.pem`);
  execFileSync(
    "openssl",
    [
      ..."req -x509 -newkey rsa:2048 -nodes -subj /CN=localhost -days 2".split(" "),
      ...["-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1", "-keyout", keyPath, "-out", certPath],
    ],
    { stdio: ["ignore", "ignore", "pipe"] },
  );
  return { certPath, keyPath, certPem: readFileSync(certPath, "utf8"), keyPem: readFileSync(keyPath, "utf8") };
}

const running = new Set<ChildProcess>();
const workDirs = new Set<string>();
function killRunning(): void {
  for (const child of running) child.kill("SIGKILL");
  for (const dir of workDirs) rmSync(dir, { recursive: true, force: true });
}
process.on("exit", killRunning);
// A test process stopped by a signal (a runner's timeout, ^C) runs no
// "exit" handlers by itself: take loyaltyd down first, then exit as killed.
for (const [signal, number] of [
  ["SIGINT", 2],
  ["SIGTERM", 15],
  ["SIGHUP", 1],
] as const) {
  process.once(signal, () => {
    killRunning();
    process.exit(128 + number);
  });
}

export interface StartOptions {
  /** Reuse a data directory (a restart); default a fresh one. */
  dataDir?: string;
  /** "127.0.0.1:PORT" to listen on; default any free port. */
  listen?: string;
  /** Reuse a certificate (a restart); default a fresh one. */
  certificate?: Certificate;
  /** Serve plaintext (loopback only) instead of TLS. */
  plaintext?: boolean;
  /** More loyaltyd flags. */
  extraArgs?: string[];
}

export class Loyaltyd {
  private exited = false;
  private output = "";

  private constructor(
    private readonly child: ChildProcess,
    readonly workDir: string,
    readonly dataDir: string,
    readonly certificate: Certificate | undefined,
    private readonly ownsWorkDir: boolean,
    public address = "",
  ) {}

  /** Starts loyaltyd and resolves once its log says where it listens. */
  static async start(options: StartOptions = {}): Promise<Loyaltyd> {
    const ownsWorkDir = options.dataDir === undefined;
    const workDir = ownsWorkDir ? mkdtempSync(join(tmpdir(), "loyalty-ts-")) : dirname(options.dataDir!);
    workDirs.add(workDir);
    const dataDir = options.dataDir ?? join(workDir, "data");
    const certificate = options.plaintext === true ? undefined : (options.certificate ?? makeCertificate(workDir));
    const args = [
      "--listen", options.listen ?? "127.0.0.1:0", "--data-dir", dataDir,
      "--program", sampleProgram, "--keys-file", sampleKeys,
    ];
    if (certificate !== undefined) args.push("--tls-cert", certificate.certPath, "--tls-key", certificate.keyPath);
    args.push(...(options.extraArgs ?? []));
    const child = spawn(loyaltydPath(), args, { stdio: ["ignore", "pipe", "pipe"] });
    running.add(child);
    const server = new Loyaltyd(child, workDir, dataDir, certificate, ownsWorkDir);
    child.on("exit", () => {
      server.exited = true;
      running.delete(child);
    });
    await server.awaitListening();
    return server;
  }

  private awaitListening(): Promise<void> {
    return new Promise((resolveListening, reject) => {
      const timer = setTimeout(() => {
        this.child.kill("SIGKILL");
        reject(new Error(`loyaltyd did not say where it listens within ${LISTEN_WAIT_MS} ms:\n${this.output}`));
      }, LISTEN_WAIT_MS);
      const onData = (chunk: Buffer): void => {
        this.output += chunk.toString();
        const found = /listening on (127\.0\.0\.1:[0-9]+)/.exec(this.output);
        if (found !== null && this.address === "") {
          this.address = found[1]!;
          clearTimeout(timer);
          resolveListening();
        }
      };
      this.child.stdout!.on("data", onData);
      this.child.stderr!.on("data", onData);
      this.child.on("exit", (code, signal) => {
        clearTimeout(timer);
        reject(new Error(`loyaltyd exited (${code ?? signal}) before listening:\n${this.output}`));
      });
    });
  }

  /** What loyaltyd printed so far. */
  log(): string {
    return this.output;
  }

  /**
   * Stops loyaltyd (SIGTERM, then SIGKILL if it lingers) and waits for it to
   * exit. With `keepData` the work directory stays, for a restart.
   */
  async stop(keepData = false): Promise<void> {
    if (!this.exited) {
      const exited = new Promise<void>((resolveExit) => this.child.once("exit", () => resolveExit()));
      this.child.kill("SIGTERM");
      const timer = setTimeout(() => this.child.kill("SIGKILL"), STOP_WAIT_MS);
      await exited;
      clearTimeout(timer);
    }
    if (!keepData && this.ownsWorkDir) this.removeData();
  }

  /** Removes the work directory of a server stopped with keepData. */
  removeData(): void {
    rmSync(this.workDir, { recursive: true, force: true });
    workDirs.delete(this.workDir);
  }

  /** A client of this server with `apiKey`, over TLS unless it serves plaintext. */
  client(apiKey: string, overrides: Partial<LoyaltyClientOptions> = {}): LoyaltyClient {
    return new LoyaltyClient(clientOptions(this.address, this.certificate, apiKey, overrides));
  }
}

/** Options for a client of `address`: TLS trusting `certificate`, or plaintext loopback without one. */
export function clientOptions(
  address: string,
  certificate: Certificate | undefined,
  apiKey: string,
  overrides: Partial<LoyaltyClientOptions> = {},
): LoyaltyClientOptions {
  const transport: Partial<LoyaltyClientOptions> =
    certificate === undefined ? { insecureLoopback: true } : { tls: { rootCertsPem: certificate.certPem } };
  return { address, apiKey, ...transport, ...overrides };
}
