import { Worker } from "node:worker_threads";
import type { Kysely } from "kysely";
import type { Config } from "../../config/load-config.ts";
import type { Logger } from "../../observability/logger.ts";
import { AuditSearchIndex, type SearchIndexStatus } from "../../storage/database/audit-search-index.ts";
import type { Database } from "../../storage/database/database-schema.ts";
import { SearchIndexer } from "./search-indexer.ts";
import { threadModuleUrl } from "../thread-module-url.ts";

export interface RunningSearchIndexer {
  /** Stops after the transaction in progress. */
  stop(): Promise<void>;
}

/** How long the indexer rests once it has caught up with the log. */
export const SEARCH_INDEX_INTERVAL_MS = 500;

/** A turn that indexed at least this many events (a rebuild, a backlog) is logged at info. */
const NOTABLE = 10_000;

/** What the indexer thread posts to its parent. */
export type IndexerThreadMessage =
  | { readonly type: "indexed"; readonly status: SearchIndexStatus; readonly indexed: number }
  | { readonly type: "error"; readonly message: string };

/**
 * Starts the audit search indexer (audit-search-index.ts) of this process. On an SQLite file it
 * runs in a worker thread, on its own connection: indexing is CPU work (FTS5 above all), and the
 * index is a file of its own, so the thread uses a second core and never holds up the appends.
 * Elsewhere (PostgreSQL does the work itself; an in-memory SQLite database cannot be shared with
 * a thread) it runs on the event loop, a transaction at a time.
 */
export function startSearchIndexer(options: {
  readonly database: Config["database"];
  readonly db: Kysely<Database>;
  readonly logger: Logger;
  readonly intervalMs?: number;
}): RunningSearchIndexer {
  const { database, logger, intervalMs = SEARCH_INDEX_INTERVAL_MS } = options;
  const report = (status: SearchIndexStatus, indexed: number): void => {
    const context = { indexed, indexedThrough: status.indexedThrough, size: status.size };
    if (indexed >= NOTABLE) logger.info({ context }, "Audit search index caught up");
    else logger.debug({ context }, "Audit search index caught up");
  };
  const failed = (error: unknown): void => {
    logger.error({ error }, "Audit search indexing failed; retrying");
  };
  if (database.kind === "sqlite" && database.file !== ":memory:") {
    return startThread(database.file, intervalMs, report, failed);
  }
  const indexer = new SearchIndexer({
    index: new AuditSearchIndex(options.db),
    intervalMs,
    onError: failed,
    onCaughtUp: report,
  });
  indexer.start();
  return indexer;
}

function startThread(
  file: string,
  intervalMs: number,
  report: (status: SearchIndexStatus, indexed: number) => void,
  failed: (error: unknown) => void,
): RunningSearchIndexer {
  const worker = new Worker(threadModuleUrl(import.meta.url, "./search-index-thread"), {
    workerData: { file, intervalMs },
  });
  worker.on("message", (message: IndexerThreadMessage) => {
    if (message.type === "indexed") report(message.status, message.indexed);
    else failed(new Error(message.message));
  });
  worker.on("error", failed);
  const exited = new Promise<void>((resolve) => {
    worker.once("exit", () => {
      resolve();
    });
  });
  return {
    stop: async () => {
      worker.postMessage("stop");
      await exited;
    },
  };
}
