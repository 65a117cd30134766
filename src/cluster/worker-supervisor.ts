import cluster, { type Worker } from "node:cluster";
import type { Logger } from "../observability/logger.ts";
import { logWorkerExited, logWorkerStarted, logWorkerStopTimeout } from "../observability/log-events.ts";
import type { PrimaryMessage } from "./cluster-messages.ts";
import { RestartBackoff } from "./restart-backoff.ts";

export interface WorkerSupervisorOptions {
  readonly count: number;
  /** The workers' environment (they read the same PB_* settings as the primary). */
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly logger: Logger;
  readonly backoff?: RestartBackoff;
  /** How long the workers get to answer their open requests at stop, before SIGKILL. */
  readonly stopTimeoutMs?: number;
  /** A message from `worker`; `reply` sends one back to it (and throws when it is gone). */
  readonly onMessage: (worker: object, message: unknown, reply: (message: PrimaryMessage) => void) => void;
  /** `worker` exited (whatever it held is to be taken back). */
  readonly onExit: (worker: object) => void;
}

const DEFAULT_STOP_TIMEOUT_MS = 30_000;

/**
 * The workers of `serve`, forked with `node:cluster` (the primary owns the listening socket and
 * hands each connection to a worker, round-robin). A worker that exits while the server is not
 * stopping is replaced, after a delay that grows while workers keep dying early. `stop()` sends
 * each worker SIGTERM (it drains as a single-process server does) and waits for all of them.
 */
export class WorkerSupervisor {
  readonly #options: WorkerSupervisorOptions;
  readonly #backoff: RestartBackoff;
  /** Each running worker, with a promise of its exit. */
  readonly #workers = new Map<Worker, Promise<void>>();
  readonly #timers = new Set<NodeJS.Timeout>();
  #started = false;
  #stopping = false;
  #port = 0;

  constructor(options: WorkerSupervisorOptions) {
    this.#options = options;
    this.#backoff = options.backoff ?? new RestartBackoff();
  }

  /**
   * Forks the workers; resolves with the port once every one of them listens. A worker that
   * exits before that fails the start (a port in use, a database that cannot be opened): the
   * error is on its stderr, and the caller stops the others.
   */
  async start(): Promise<number> {
    return new Promise<number>((resolve, reject) => {
      let listening = 0;
      for (let i = 0; i < this.#options.count; i++) {
        const worker = this.#fork();
        worker.once("listening", () => {
          listening += 1;
          if (listening === this.#options.count && !this.#stopping) {
            this.#started = true;
            resolve(this.#port);
          }
        });
        worker.once("exit", (code: number | null, signal: string | null) => {
          if (this.#started || this.#stopping) return;
          reject(
            new Error(
              `worker ${worker.process.pid ?? "?"} exited (${signal ?? `code ${code}`}) before it listened`,
            ),
          );
        });
      }
    });
  }

  /** SIGTERM to every worker, then waits until all have exited (SIGKILL after the timeout). */
  async stop(): Promise<void> {
    this.#stopping = true;
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers.clear();
    const stopTimeoutMs = this.#options.stopTimeoutMs ?? DEFAULT_STOP_TIMEOUT_MS;
    const running = [...this.#workers.entries()];
    for (const [worker] of running) worker.process.kill("SIGTERM");
    const timeout = setTimeout(() => {
      for (const worker of this.#workers.keys()) {
        logWorkerStopTimeout(this.#options.logger, {
          worker: worker.process.pid ?? 0,
          afterMs: stopTimeoutMs,
        });
        worker.process.kill("SIGKILL");
      }
    }, stopTimeoutMs);
    await Promise.all(running.map(([, exited]) => exited));
    clearTimeout(timeout);
  }

  /** The running workers that can be messaged now; `send` throws when one is gone meanwhile. */
  connected(): { readonly worker: object; readonly send: (message: PrimaryMessage) => void }[] {
    return [...this.#workers.keys()]
      .filter((worker) => worker.isConnected())
      .map((worker) => ({ worker, send: (message: PrimaryMessage) => worker.send(message) }));
  }

  #fork(): Worker {
    const worker = cluster.fork({ ...this.#options.env });
    const startedAt = Date.now();
    const exited = new Promise<void>((resolve) => {
      worker.once("exit", (code: number | null, signal: string | null) => {
        this.#workers.delete(worker);
        this.#options.onExit(worker);
        this.#exited(worker, startedAt, code, signal);
        resolve();
      });
    });
    this.#workers.set(worker, exited);
    worker.on("listening", (address: { port: number }) => {
      this.#port = address.port;
      logWorkerStarted(this.#options.logger, { worker: worker.process.pid ?? 0, port: address.port });
    });
    worker.on("message", (message: unknown) => {
      this.#options.onMessage(worker, message, (reply) => {
        if (!worker.isConnected()) throw new Error(`worker ${worker.process.pid ?? "?"} is gone`);
        worker.send(reply);
      });
    });
    return worker;
  }

  #exited(worker: Worker, startedAt: number, code: number | null, signal: string | null): void {
    if (this.#stopping || !this.#started) return;
    const restartInMs = this.#backoff.next(Date.now() - startedAt);
    logWorkerExited(this.#options.logger, { worker: worker.process.pid ?? 0, code, signal, restartInMs });
    const timer = setTimeout(() => {
      this.#timers.delete(timer);
      if (!this.#stopping) this.#fork();
    }, restartInMs);
    this.#timers.add(timer);
  }
}
