import type { Checkpointing } from "../audit/open-audit.ts";
import type { Logger } from "../observability/logger.ts";
import type { AuditTurns } from "./audit-turns.ts";
import { isWorkerMessage, type PrimaryMessage } from "./cluster-messages.ts";
import type { MetricsGathering } from "./metrics-gathering.ts";

/**
 * The primary's side of a message from `worker`: a turn at committing is asked for or given back
 * (with the log's new size: a checkpoint may be due), a checkpoint is wanted now, a scrape wants
 * every process's counters, or a worker sends its own. Other messages are not ours and are
 * ignored.
 */
export function answerWorker(
  worker: object,
  message: unknown,
  primary: {
    readonly turns: AuditTurns;
    readonly checkpointer: Checkpointing;
    readonly metrics: MetricsGathering;
    readonly logger: Logger;
  },
  reply: (message: PrimaryMessage) => void,
): void {
  if (!isWorkerMessage(message)) return;
  const { turns, checkpointer, metrics, logger } = primary;
  switch (message.pb) {
    case "audit-turn-request":
      turns.request(worker, () => {
        // A worker that cannot be told is gone: the next one gets the turn.
        if (!send(reply, { pb: "audit-turn" })) turns.forget(worker);
      });
      return;
    case "audit-turn-done":
      turns.release(worker);
      if (message.size !== null) checkpointer.reached(message.size);
      return;
    case "metrics-request": {
      const { id } = message;
      metrics.gather().then(
        (snapshots) => send(reply, { pb: "metrics-result", id, snapshots }),
        (error: unknown) => {
          // The worker's own wait times out; its scrape leaves the counters out.
          logger.warn({ error }, "Metrics not collected");
        },
      );
      return;
    }
    case "metrics-snapshot":
      metrics.answered(worker, message.id, message.snapshot);
      return;
    case "checkpoint-request": {
      const { id } = message;
      checkpointer.checkpointNow().then(
        (checkpoint) => send(reply, { pb: "checkpoint-result", id, checkpoint }),
        (error: unknown) => {
          logger.error({ error }, "Audit checkpoint failed");
          send(reply, {
            pb: "checkpoint-result",
            id,
            error: error instanceof Error ? error.message : String(error),
          });
        },
      );
    }
  }
}

function send(reply: (message: PrimaryMessage) => void, message: PrimaryMessage): boolean {
  try {
    reply(message);
    return true;
  } catch {
    return false;
  }
}
