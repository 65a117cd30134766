/**
 * The audit search indexer's worker thread (start-search-indexer.ts): its own connection to the
 * SQLite database, the indexing loop, and a message to the parent per notable turn or failure.
 */
import { parentPort, workerData } from "node:worker_threads";
import { AuditSearchIndex } from "../../storage/database/audit-search-index.ts";
import { openSqliteDatabase } from "../../storage/database/sqlite-database.ts";
import { SearchIndexer } from "./search-indexer.ts";
import type { IndexerThreadMessage } from "./start-search-indexer.ts";

const { file, intervalMs } = workerData as { file: string; intervalMs: number };
const port = parentPort;
if (port === null) throw new Error("search-index-thread runs as a worker thread");
const post = (message: IndexerThreadMessage): void => {
  port.postMessage(message);
};

const handle = openSqliteDatabase(file);
const indexer = new SearchIndexer({
  index: new AuditSearchIndex(handle.db),
  intervalMs,
  onError: (error) => {
    post({ type: "error", message: error instanceof Error ? error.message : String(error) });
  },
  onCaughtUp: (status, indexed) => {
    post({ type: "indexed", status, indexed });
  },
});
indexer.start();
port.once("message", () => {
  void indexer.stop().then(async () => {
    await handle.close();
    port.close();
  });
});
