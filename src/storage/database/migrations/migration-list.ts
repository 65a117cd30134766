import type { Migration } from "kysely/migration";
import * as initial from "./0001-initial.ts";
import * as auditLog from "./0002-audit-log.ts";

/**
 * Every migration, in order. Listed in code (not read from a folder) so that the same list runs
 * from the TypeScript sources and the compiled build. Names never change once released.
 */
export const migrations: Readonly<Record<string, Migration>> = {
  "0001-initial": initial,
  "0002-audit-log": auditLog,
};
