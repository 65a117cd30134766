/**
 * The audit log's commit thread (thread-audit-committer.ts): its own connection to the SQLite
 * file, the raw IP vault when addresses are kept, and one commit at a time, in the order asked.
 */
import { parentPort, workerData } from "node:worker_threads";
import { SecretBox } from "../access/secret-box.ts";
import { systemClock } from "../clock/clock.ts";
import { AuditRecords } from "../storage/database/audit-records.ts";
import { RawIpRecords } from "../storage/database/raw-ip-records.ts";
import { openSqliteDatabase } from "../storage/database/sqlite-database.ts";
import { InlineAuditCommitter } from "./inline-audit-committer.ts";
import { RawIpVault } from "./privacy/raw-ip-vault.ts";
import type { CommitThreadData, CommitThreadReply, CommitThreadRequest } from "./thread-audit-committer.ts";

const data = workerData as CommitThreadData;
const port = parentPort;
if (port === null) throw new Error("audit-commit-thread runs as a worker thread");

const handle = openSqliteDatabase(data.file);
const vault =
  data.rawIpDays > 0 && data.secretKey !== null
    ? new RawIpVault({
        records: new RawIpRecords(handle.db),
        secrets: new SecretBox(Buffer.from(data.secretKey)),
        clock: systemClock,
        keepDays: data.rawIpDays,
      })
    : undefined;
const committer = new InlineAuditCommitter(new AuditRecords(handle.db), vault);

let last: Promise<void> = Promise.resolve();
port.on("message", (request: CommitThreadRequest) => {
  if (request.type === "close") {
    last = last.then(async () => {
      await handle.close();
      port.close();
    });
    return;
  }
  last = last.then(async () => {
    let reply: CommitThreadReply;
    try {
      reply = { id: request.id, batch: await committer.commit(request.entries) };
    } catch (error) {
      const code = (error as { code?: unknown }).code;
      reply = {
        id: request.id,
        error: {
          message: error instanceof Error ? error.message : String(error),
          code: typeof code === "string" ? code : null,
        },
      };
    }
    port.postMessage(reply);
  });
});
