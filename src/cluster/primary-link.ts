import type { RemoteSigner } from "../audit/open-audit.ts";
import type { ProcessSnapshot } from "../observability/process-metrics.ts";
import type { AuditCheckpointRow } from "../storage/database/audit-records.ts";
import { isPrimaryMessage, type WorkerMessage } from "./cluster-messages.ts";

interface Waiting<T> {
  readonly resolve: (value: T) => void;
  readonly reject: (error: Error) => void;
}

/** How long a scrape waits for the primary to gather every process's counters. */
const METRICS_TIMEOUT_MS = 5000;

/**
 * A worker's side of the audit log it shares with the other processes of `serve`: it commits its
 * own events, in turns the primary hands out (`exclusive`), tells the primary how far each commit
 * took the log, and has the primary sign checkpoints. For /metrics, it has the primary gather
 * every process's counters, and sends its own when the primary asks.
 */
export class PrimaryLink implements RemoteSigner {
  readonly #send: (message: WorkerMessage) => void;
  readonly #turns: Waiting<void>[] = [];
  readonly #checkpoints = new Map<number, Waiting<AuditCheckpointRow | null>>();
  readonly #gatherings = new Map<number, Waiting<readonly ProcessSnapshot[]>>();
  #snapshot: () => Promise<ProcessSnapshot> = () => Promise.resolve([]);
  #committedSize: number | null = null;
  #nextId = 1;

  constructor(send: (message: WorkerMessage) => void) {
    this.#send = send;
  }

  /** Runs `commit` in this worker's turn; the audit log calls it for each commit. */
  readonly exclusive = async <T>(commit: () => Promise<T>): Promise<T> => {
    await new Promise<void>((resolve, reject) => {
      this.#turns.push({ resolve, reject });
      try {
        this.#send({ pb: "audit-turn-request" });
      } catch (error) {
        this.#turns.pop();
        reject(asError(error));
      }
    });
    this.#committedSize = null;
    try {
      return await commit();
    } finally {
      try {
        this.#send({ pb: "audit-turn-done", size: this.#committedSize });
      } catch {
        // The primary is gone, and its turns with it: this worker exits.
      }
    }
  };

  /** The audit log committed; the log now has `size` events (reported when the turn ends). */
  committed(size: number): void {
    this.#committedSize = size;
  }

  checkpointNow(): Promise<AuditCheckpointRow | null> {
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      this.#checkpoints.set(id, { resolve, reject });
      try {
        this.#send({ pb: "checkpoint-request", id });
      } catch (error) {
        this.#checkpoints.delete(id);
        reject(asError(error));
      }
    });
  }

  /** Where this worker's counters are read when the primary gathers them. */
  answerMetricsWith(snapshot: () => Promise<ProcessSnapshot>): void {
    this.#snapshot = snapshot;
  }

  /** The counters of every process of the server, as the primary gathered them. */
  readonly gatherMetrics = (): Promise<readonly ProcessSnapshot[]> => {
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#gatherings.delete(id);
        reject(new Error("the primary did not gather the metrics in time"));
      }, METRICS_TIMEOUT_MS);
      const settled =
        <T>(settle: (value: T) => void) =>
        (value: T) => {
          clearTimeout(timer);
          settle(value);
        };
      this.#gatherings.set(id, { resolve: settled(resolve), reject: settled(reject) });
      try {
        this.#send({ pb: "metrics-request", id });
      } catch (error) {
        this.#gatherings.delete(id);
        clearTimeout(timer);
        reject(asError(error));
      }
    });
  };

  /** A message from the primary (`process.on("message")`); others are ignored. */
  receive(message: unknown): void {
    if (!isPrimaryMessage(message)) return;
    if (message.pb === "audit-turn") {
      this.#turns.shift()?.resolve();
      return;
    }
    if (message.pb === "metrics-collect") {
      this.#sendSnapshot(message.id);
      return;
    }
    if (message.pb === "metrics-result") {
      const waiting = this.#gatherings.get(message.id);
      this.#gatherings.delete(message.id);
      waiting?.resolve(message.snapshots);
      return;
    }
    const waiting = this.#checkpoints.get(message.id);
    if (waiting === undefined) return;
    this.#checkpoints.delete(message.id);
    if ("error" in message) waiting.reject(new Error(`the primary could not sign: ${message.error}`));
    else waiting.resolve(message.checkpoint);
  }

  /** The IPC channel closed: no answer will come (the worker exits). */
  disconnected(): void {
    const gone = new Error("the primary process is gone");
    for (const waiting of [
      ...this.#turns.splice(0),
      ...this.#checkpoints.values(),
      ...this.#gatherings.values(),
    ])
      waiting.reject(gone);
    this.#checkpoints.clear();
    this.#gatherings.clear();
  }

  #sendSnapshot(id: number): void {
    this.#snapshot()
      .then(
        (snapshot) => {
          this.#send({ pb: "metrics-snapshot", id, snapshot });
        },
        () => {
          // Not answered: the primary counts this worker with its previous answer.
        },
      )
      .catch(() => {
        // The primary is gone: this worker exits.
      });
  }
}

function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}
