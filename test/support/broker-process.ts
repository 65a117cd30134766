import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { freePort } from "./free-port.ts";

/** The compiled `package-broker` command of this checkout (the tests' global setup builds it). */
export const BROKER_BIN = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  "../../bin/package-broker.js",
);

export interface CliResult {
  readonly status: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs the compiled `package-broker` command, as a user would. */
export function runBrokerCli(args: readonly string[], env: Record<string, string>): CliResult {
  const result = spawnSync(process.execPath, [BROKER_BIN, ...args], {
    env: { PATH: process.env.PATH, ...env },
    encoding: "utf8",
    timeout: 120_000,
  });
  return { status: result.status ?? -1, stdout: result.stdout, stderr: result.stderr };
}

/** Runs a command that prints JSON with --json, and fails loudly when it does not succeed. */
export function brokerJson<T>(args: readonly string[], env: Record<string, string>): T {
  const result = runBrokerCli([...args, "--json"], env);
  if (result.status !== 0) {
    throw new Error(
      `package-broker ${args.join(" ")} exited ${result.status}: ${result.stderr}${result.stdout}`,
    );
  }
  return JSON.parse(result.stdout) as T;
}

/** A `package-broker serve` process on a loopback port, with its log lines collected. */
export class BrokerServer {
  readonly url: string;
  readonly logLines: Record<string, unknown>[] = [];
  /** The lines of stdout that are not JSON log lines: printed for people (the setup link). */
  readonly textLines: string[] = [];
  readonly #child: ChildProcess;
  #buffer = "";

  private constructor(url: string, child: ChildProcess) {
    this.url = url;
    this.#child = child;
    child.stdout?.setEncoding("utf8");
    child.stdout?.on("data", (chunk: string) => {
      this.#buffer += chunk;
      let newline = this.#buffer.indexOf("\n");
      while (newline >= 0) {
        const line = this.#buffer.slice(0, newline);
        this.#buffer = this.#buffer.slice(newline + 1);
        if (line.trim() !== "") this.#collect(line);
        newline = this.#buffer.indexOf("\n");
      }
    });
  }

  static async start(env: Record<string, string>, port?: number): Promise<BrokerServer> {
    const chosen = port ?? (await freePort());
    const child = spawn(process.execPath, [BROKER_BIN, "serve"], {
      env: { PATH: process.env.PATH, PB_HOST: "127.0.0.1", PB_PORT: String(chosen), ...env },
      stdio: ["ignore", "pipe", "inherit"],
    });
    const server = new BrokerServer(`http://127.0.0.1:${chosen}`, child);
    await server.#waitUntilHealthy();
    return server;
  }

  #collect(line: string): void {
    if (line.startsWith("{")) this.logLines.push(JSON.parse(line) as Record<string, unknown>);
    else this.textLines.push(line);
  }

  /** Paths of the requests completed since `from` (an index into logLines). */
  requestsSince(from: number): string[] {
    return this.logLines
      .slice(from)
      .filter((line) => line.message === "Request completed")
      .map((line) => {
        const context = line.context as { method: string; path: string; status: number };
        return `${context.method} ${context.path} ${context.status}`;
      });
  }

  /** Waits (a few seconds at most) until a request has been logged since `from`. */
  async waitForRequest(from: number, request: string): Promise<void> {
    const deadline = Date.now() + 5000;
    while (!this.requestsSince(from).includes(request)) {
      if (Date.now() > deadline) throw new Error(`no "${request}" in the server log`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  /** The server's process id. */
  get pid(): number {
    const pid = this.#child.pid;
    if (pid === undefined) throw new Error("the server process has no pid");
    return pid;
  }

  /** How the server process ended: its exit code, or the signal that ended it; null while it runs. */
  get exit(): { readonly code: number | null; readonly signal: NodeJS.Signals | null } | null {
    const { exitCode, signalCode } = this.#child;
    return exitCode === null && signalCode === null ? null : { code: exitCode, signal: signalCode };
  }

  /** Sends `signal` to the server (SIGKILL: a crash) and waits until the process is gone. */
  async kill(signal: NodeJS.Signals): Promise<void> {
    if (this.#child.exitCode !== null || this.#child.signalCode !== null) return;
    const exited = new Promise((resolve) => this.#child.once("exit", resolve));
    process.kill(this.pid, signal);
    await exited;
  }

  async stop(): Promise<void> {
    await this.kill("SIGTERM");
  }

  async #waitUntilHealthy(): Promise<void> {
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline) {
      if (this.#child.exitCode !== null) throw new Error(`the server exited with ${this.#child.exitCode}`);
      try {
        const response = await fetch(`${this.url}/health`);
        if (response.ok) return;
      } catch {
        // not listening yet
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error("the server did not become healthy within 30 s");
  }
}
