import type { Kysely } from "kysely";
import type { Database } from "./database-schema.ts";

export type DatabaseEngine = "sqlite" | "postgres";

/** An open database: the Kysely instance plus what the process needs around it. */
export interface DatabaseHandle {
  readonly db: Kysely<Database>;
  readonly engine: DatabaseEngine;
  /** For logs: the file or the URL without its password. */
  readonly description: string;
  /** Resolves when the database answers a trivial query (readiness). */
  ping(): Promise<void>;
  close(): Promise<void>;
}
