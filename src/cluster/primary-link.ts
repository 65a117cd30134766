import type { RemoteSigner } from "../audit/open-audit.ts";
import type { AuditCheckpointRow } from "../storage/database/audit-records.ts";
import { isPrimaryMessage, type WorkerMessage } from "./cluster-messages.ts";

interface Waiting<T> {
  readonly resolve: (value: T) => void;
  readonly reject: (error: Error) => void;
}

/**
 * A worker's side of the audit log it shares with the other processes of `serve`: it commits its
 * own events, in turns the primary hands out (`exclusive`), tells the primary how far each commit
 * took the log, and has the primary sign checkpoints.
 */
export class PrimaryLink implements RemoteSigner {
  readonly #send: (message: WorkerMessage) => void;
  readonly #turns: Waiting<void>[] = [];
  readonly #checkpoints = new Map<number, Waiting<AuditCheckpointRow | null>>();
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

  /** A message from the primary (`process.on("message")`); others are ignored. */
  receive(message: unknown): void {
    if (!isPrimaryMessage(message)) return;
    if (message.pb === "audit-turn") {
      this.#turns.shift()?.resolve();
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
    for (const waiting of [...this.#turns.splice(0), ...this.#checkpoints.values()]) waiting.reject(gone);
    this.#checkpoints.clear();
  }
}

function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}
