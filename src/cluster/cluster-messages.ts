import { isProcessSnapshot, type ProcessSnapshot } from "../observability/process-metrics.ts";
import type { AuditCheckpointRow } from "../storage/database/audit-records.ts";

/**
 * The IPC messages between the primary of `serve` and its workers. They are about the audit log,
 * where workers take turns at committing to it and the primary signs every checkpoint
 * (docs/architecture.md, "Several worker processes"), and about the counters of /metrics, which
 * only exist in each process's memory: the worker answering a scrape has the primary gather
 * every process's (docs/operations/metrics.md). Everything else goes through the database.
 */
export type WorkerMessage =
  /** The worker has events to commit; answered by `audit-turn` when it is its turn. */
  | { readonly pb: "audit-turn-request" }
  /** The turn is over; `size` is the log's size after the worker's commit (null: it failed). */
  | { readonly pb: "audit-turn-done"; readonly size: number | null }
  /** A request needs a checkpoint of the current tree (an audit proof); answered by `checkpoint-result`. */
  | { readonly pb: "checkpoint-request"; readonly id: number }
  /** A scrape wants the counters of every process; answered by `metrics-result`. */
  | { readonly pb: "metrics-request"; readonly id: number }
  /** This worker's counters, the answer to `metrics-collect` (prom-client's getMetricsAsJSON). */
  | { readonly pb: "metrics-snapshot"; readonly id: number; readonly snapshot: ProcessSnapshot };

export type PrimaryMessage =
  | { readonly pb: "audit-turn" }
  | { readonly pb: "checkpoint-result"; readonly id: number; readonly checkpoint: AuditCheckpointRow | null }
  | { readonly pb: "checkpoint-result"; readonly id: number; readonly error: string }
  /** Send this worker's counters (`metrics-snapshot`, with the same id). */
  | { readonly pb: "metrics-collect"; readonly id: number }
  /** The counters of every process, the answer to `metrics-request`. */
  | { readonly pb: "metrics-result"; readonly id: number; readonly snapshots: readonly ProcessSnapshot[] };

/** Whether a message from a worker is one of ours (the channel is shared with node:cluster's own). */
export function isWorkerMessage(message: unknown): message is WorkerMessage {
  if (typeof message !== "object" || message === null || !("pb" in message)) return false;
  switch (message.pb) {
    case "audit-turn-request":
      return true;
    case "audit-turn-done":
      return "size" in message && (message.size === null || Number.isSafeInteger(message.size));
    case "checkpoint-request":
    case "metrics-request":
      return "id" in message && Number.isSafeInteger(message.id);
    case "metrics-snapshot":
      return (
        "id" in message &&
        Number.isSafeInteger(message.id) &&
        "snapshot" in message &&
        isProcessSnapshot(message.snapshot)
      );
    default:
      return false;
  }
}

export function isPrimaryMessage(message: unknown): message is PrimaryMessage {
  if (typeof message !== "object" || message === null || !("pb" in message)) return false;
  if (message.pb === "audit-turn") return true;
  if (message.pb === "metrics-collect") return "id" in message && Number.isSafeInteger(message.id);
  if (message.pb === "metrics-result") {
    return (
      "id" in message &&
      Number.isSafeInteger(message.id) &&
      "snapshots" in message &&
      Array.isArray(message.snapshots) &&
      message.snapshots.every(isProcessSnapshot)
    );
  }
  return (
    message.pb === "checkpoint-result" &&
    "id" in message &&
    Number.isSafeInteger(message.id) &&
    ("checkpoint" in message || "error" in message)
  );
}
