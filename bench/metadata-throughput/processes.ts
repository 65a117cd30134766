import { spawn, type ChildProcess, type SpawnOptions } from "node:child_process";
import fs from "node:fs";
import http from "node:http";
import net from "node:net";

/**
 * Everything the benchmark starts or creates, undone in reverse order on success, failure,
 * Ctrl-C or the time limit. Processes are ended by their own pid only.
 */
export class Cleanup {
  readonly #children = new Set<TrackedChild>();
  readonly #dirs = new Set<string>();
  readonly #beforeDirs: (() => void)[] = [];
  #done = false;

  /** Starts a process and remembers it; `stopSignal` is what ends it gracefully. */
  spawn(
    name: string,
    command: string,
    args: readonly string[],
    options: SpawnOptions & { stopSignal?: NodeJS.Signals },
  ): TrackedChild {
    const child = spawn(command, args, options);
    const tracked = new TrackedChild(name, child, options.stopSignal ?? "SIGTERM");
    this.#children.add(tracked);
    child.once("exit", () => this.#children.delete(tracked));
    return tracked;
  }

  removeLater(dir: string): void {
    this.#dirs.add(dir);
  }

  /**
   * Synchronous work to do after the processes stopped and before the folders go (e.g. `git
   * worktree remove`); it runs in the synchronous last resort too.
   */
  beforeRemovingDirs(work: () => void): void {
    this.#beforeDirs.push(work);
  }

  /** Forgets the folders (and a worktree in them): they stay on disk (the processes are still stopped). */
  keepDirs(): void {
    this.#dirs.clear();
    this.#beforeDirs.length = 0;
  }

  /** Graceful: asks every process to stop, waits a little, then kills what is left. */
  async run(): Promise<void> {
    if (this.#done) return;
    for (const child of [...this.#children].reverse()) await child.stop();
    this.#removeDirs();
    this.#done = true;
  }

  /** Last resort from a synchronous `exit` handler: signals only, then removes the folders. */
  runSync(): void {
    if (this.#done) return;
    for (const child of this.#children) child.signal(child.stopSignal);
    this.#removeDirs();
    this.#done = true;
  }

  #removeDirs(): void {
    for (const work of this.#beforeDirs.splice(0).reverse()) {
      try {
        work();
      } catch (error) {
        process.stderr.write(`[bench] cleanup: ${error instanceof Error ? error.message : String(error)}\n`);
      }
    }
    for (const dir of this.#dirs) fs.rmSync(dir, { recursive: true, force: true });
    this.#dirs.clear();
  }
}

export class TrackedChild {
  readonly name: string;
  readonly process: ChildProcess;
  readonly stopSignal: NodeJS.Signals;
  readonly exited: Promise<number | null>;
  /** Set when the process could not be started or signalled. */
  error: Error | undefined;

  constructor(name: string, child: ChildProcess, stopSignal: NodeJS.Signals) {
    this.name = name;
    this.process = child;
    this.stopSignal = stopSignal;
    this.exited = new Promise((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) resolve(child.exitCode);
      child.once("exit", (code) => {
        resolve(code);
      });
      // Could not be started (no such program or folder): reported as exit code null.
      child.once("error", (error) => {
        this.error = error;
        resolve(null);
      });
    });
  }

  get running(): boolean {
    return this.error === undefined && this.process.exitCode === null && this.process.signalCode === null;
  }

  signal(signal: NodeJS.Signals): void {
    if (!this.running || this.process.pid === undefined) return;
    try {
      process.kill(this.process.pid, signal);
    } catch {
      // already gone
    }
  }

  /** Sends the stop signal, and SIGKILL if the process is still there after `graceMs`. */
  async stop(graceMs = 10_000): Promise<void> {
    if (!this.running) return;
    this.signal(this.stopSignal);
    const timer = setTimeout(() => {
      this.signal("SIGKILL");
    }, graceMs);
    await this.exited;
    clearTimeout(timer);
  }
}

/** A TCP port on 127.0.0.1 that was free a moment ago. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => {
        if (address === null || typeof address === "string") reject(new Error("no port"));
        else resolve(address.port);
      });
    });
  });
}

export interface HttpResult {
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
  /** The body exactly as sent (not decompressed). */
  readonly body: Buffer;
}

/** A plain GET on loopback that keeps the body as raw bytes (fetch would decompress it). */
export async function httpGet(url: string, headers: Record<string, string> = {}): Promise<HttpResult> {
  const target = new URL(url);
  if (target.hostname !== "127.0.0.1") throw new Error(`refusing a non-loopback URL: ${url}`);
  return new Promise((resolve, reject) => {
    const request = http.get(target, { headers, agent: false, timeout: 10_000 }, (response) => {
      const chunks: Buffer[] = [];
      response.on("data", (chunk: Buffer) => chunks.push(chunk));
      response.on("end", () => {
        resolve({ status: response.statusCode ?? 0, headers: response.headers, body: Buffer.concat(chunks) });
      });
      response.on("error", reject);
    });
    request.on("timeout", () => request.destroy(new Error(`timeout: GET ${url}`)));
    request.on("error", reject);
  });
}

/** Polls until `url` answers with one of `statuses`, or fails after `timeoutMs`. */
export async function waitForHttp(
  url: string,
  statuses: readonly number[],
  timeoutMs: number,
  child?: TrackedChild,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = "no answer";
  while (Date.now() < deadline) {
    if (child !== undefined && !child.running) {
      throw new Error(`${child.name} exited (code ${child.process.exitCode}) before answering ${url}`);
    }
    try {
      const result = await httpGet(url);
      if (statuses.includes(result.status)) return;
      last = `HTTP ${result.status}`;
    } catch (error) {
      last = error instanceof Error ? error.message : String(error);
    }
    await sleep(100);
  }
  throw new Error(`${url} did not answer within ${timeoutMs} ms (${last})`);
}

export async function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Runs a command to completion, collecting its output; rejects on a non-zero exit. */
export async function run(
  cleanup: Cleanup,
  command: string,
  args: readonly string[],
  options: { env?: NodeJS.ProcessEnv; cwd?: string; timeoutMs?: number } = {},
): Promise<{ stdout: string; stderr: string }> {
  const child = cleanup.spawn(command, command, args, {
    cwd: options.cwd,
    env: options.env ?? process.env,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.process.stdout?.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
  child.process.stderr?.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
  const timer =
    options.timeoutMs === undefined
      ? undefined
      : setTimeout(() => {
          child.signal("SIGKILL");
        }, options.timeoutMs);
  const code = await child.exited;
  clearTimeout(timer);
  if (code !== 0) {
    const why = child.error === undefined ? `exited with ${code}` : `failed: ${child.error.message}`;
    throw new Error(`${command} ${args.join(" ")} ${why}\n${stderr.trim()}\n${stdout.trim()}`);
  }
  return { stdout, stderr };
}

/** Runs `work` over `items` with at most `limit` in flight. */
export async function pool<T, R>(
  items: readonly T[],
  limit: number,
  work: (item: T) => Promise<R>,
): Promise<R[]> {
  const results: R[] = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const index = next++;
      results[index] = await work(items[index]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}
