import { Worker } from "node:worker_threads";
import type { AuditCommitter, AuditEntry, CommittedBatch } from "./audit-committer.ts";
import { threadModuleUrl } from "./thread-module-url.ts";

/** What the commit thread is started with. */
export interface CommitThreadData {
  readonly file: string;
  /** Days raw addresses are kept (PB_AUDIT_RAW_IP_DAYS); the secret key is passed only when > 0. */
  readonly rawIpDays: number;
  readonly secretKey: Uint8Array | null;
}

export type CommitThreadRequest =
  | { readonly type: "commit"; readonly id: number; readonly entries: readonly AuditEntry[] }
  | { readonly type: "close" };

export type CommitThreadReply =
  | { readonly id: number; readonly batch: CommittedBatch }
  | { readonly id: number; readonly error: { readonly message: string; readonly code: string | null } };

interface Waiting {
  readonly resolve: (batch: CommittedBatch) => void;
  readonly reject: (error: unknown) => void;
}

/**
 * Commits in a worker thread, on a connection of its own to the SQLite file (audit-commit-thread.ts).
 * better-sqlite3 is synchronous: on the event loop, each commit's INSERT and fsync (1–2 ms) would
 * stop every other request; in the thread, requests go on being served while the batch is written,
 * and the next batch gathers meanwhile. A commit still resolves only once it is on disk.
 *
 * The thread starts with the first commit and is started again after it dies (what it was
 * committing then fails). It does not keep the process alive while no commit is in progress.
 */
export class ThreadAuditCommitter implements AuditCommitter {
  readonly #data: CommitThreadData;
  readonly #waiting = new Map<number, Waiting>();
  #worker: Worker | null = null;
  #exited: Promise<void> = Promise.resolve();
  #nextId = 1;
  #closed = false;

  constructor(data: CommitThreadData) {
    this.#data = data;
  }

  commit(entries: readonly AuditEntry[]): Promise<CommittedBatch> {
    return new Promise<CommittedBatch>((resolve, reject) => {
      if (this.#closed) {
        reject(new Error("the audit log is closed: the server is stopping"));
        return;
      }
      const worker = this.#worker ?? this.#start();
      const id = this.#nextId++;
      const request: CommitThreadRequest = { type: "commit", id, entries };
      try {
        worker.postMessage(request);
      } catch (error) {
        // An entry that cannot be cloned (a function in its details): its batch fails, as it
        // would in canonical JSON.
        reject(error instanceof Error ? error : new Error(String(error)));
        return;
      }
      this.#waiting.set(id, { resolve, reject });
      worker.ref();
    });
  }

  async close(): Promise<void> {
    this.#closed = true;
    const worker = this.#worker;
    if (worker === null) return;
    const request: CommitThreadRequest = { type: "close" };
    // Held by the thread until it has closed its connection: nothing else may keep the process
    // alive at shutdown.
    worker.ref();
    worker.postMessage(request);
    await this.#exited;
  }

  #start(): Worker {
    const worker = new Worker(threadModuleUrl(import.meta.url, "./audit-commit-thread"), {
      workerData: this.#data,
    });
    worker.unref();
    this.#worker = worker;
    let failure: Error | null = null;
    worker.on("message", (reply: CommitThreadReply) => {
      this.#settle(reply);
      if (this.#waiting.size === 0) worker.unref();
    });
    worker.on("error", (error: unknown) => {
      failure = error instanceof Error ? error : new Error(String(error));
    });
    this.#exited = new Promise<void>((resolve) => {
      worker.once("exit", (code) => {
        if (this.#worker === worker) this.#worker = null;
        const reason = failure?.message ?? `exit code ${code}`;
        for (const waiting of this.#waiting.values()) {
          waiting.reject(new Error(`the audit commit thread stopped before committing (${reason})`));
        }
        this.#waiting.clear();
        resolve();
      });
    });
    return worker;
  }

  #settle(reply: CommitThreadReply): void {
    const waiting = this.#waiting.get(reply.id);
    if (waiting === undefined) return;
    this.#waiting.delete(reply.id);
    if ("batch" in reply) {
      const { root } = reply.batch;
      // Structured clone turns the Buffer into a plain Uint8Array.
      waiting.resolve({ ...reply.batch, root: Buffer.from(root.buffer, root.byteOffset, root.byteLength) });
    } else {
      const error = new Error(reply.error.message);
      if (reply.error.code !== null) Object.assign(error, { code: reply.error.code });
      waiting.reject(error);
    }
  }
}
