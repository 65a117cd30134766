import type { Migration } from "kysely/migration";
import * as initial from "./0001-initial.ts";
import * as auditLog from "./0002-audit-log.ts";
import * as auditSearch from "./0003-audit-search.ts";
import * as retention from "./0004-retention.ts";
import * as auditPrivacy from "./0005-audit-privacy.ts";
import * as auditSearchIndex from "./0006-audit-search-index.ts";
import * as users from "./0007-users.ts";
import * as composerProxy from "./0008-composer-proxy.ts";
import * as proxyConflictTime from "./0009-proxy-conflict-time.ts";
import * as auditSinks from "./0010-audit-sinks.ts";
import * as composerEager from "./0011-composer-eager.ts";
import * as alerts from "./0012-alerts.ts";
import * as jobRuns from "./0013-job-runs.ts";
import * as syncProgress from "./0014-sync-progress.ts";

/**
 * Every migration, in order. Listed in code (not read from a folder) so that the same list runs
 * from the TypeScript sources and the compiled build. Names never change once released.
 */
export const migrations: Readonly<Record<string, Migration>> = {
  "0001-initial": initial,
  "0002-audit-log": auditLog,
  "0003-audit-search": auditSearch,
  "0004-retention": retention,
  "0005-audit-privacy": auditPrivacy,
  "0006-audit-search-index": auditSearchIndex,
  "0007-users": users,
  "0008-composer-proxy": composerProxy,
  "0009-proxy-conflict-time": proxyConflictTime,
  "0010-audit-sinks": auditSinks,
  "0011-composer-eager": composerEager,
  "0012-alerts": alerts,
  "0013-job-runs": jobRuns,
  "0014-sync-progress": syncProgress,
};
