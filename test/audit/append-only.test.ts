import { generateKeyPairSync } from "node:crypto";
import { sql } from "kysely";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { AuditCheckpointer } from "../../src/audit/audit-checkpointer.ts";
import { systemContext } from "../../src/audit/audit-event.ts";
import { AuditLog } from "../../src/audit/audit-log.ts";
import { createNoteSigner } from "../../src/audit/integrity/signed-note.ts";
import { ManualClock } from "../../src/clock/clock.ts";
import { createSilentLogger } from "../../src/observability/logger.ts";
import { AuditRecords } from "../../src/storage/database/audit-records.ts";
import type { DatabaseHandle } from "../../src/storage/database/database-handle.ts";
import { storedAuditEvents } from "../support/audit-schema.ts";
import { createTestDatabase, testEngines } from "../support/test-databases.ts";

describe.each(testEngines())("audit tables are append-only on %s", (engine) => {
  let database: DatabaseHandle;
  let records: AuditRecords;

  beforeEach(async () => {
    database = await createTestDatabase(engine);
    records = new AuditRecords(database.db);
    const clock = new ManualClock();
    const log = new AuditLog({ records, clock });
    for (const action of ["first", "second", "third"]) {
      await log.append({ event: "system", action, outcome: "success" }, systemContext);
    }
    const checkpointer = new AuditCheckpointer({
      records,
      signer: createNoteSigner({
        name: "broker.test/audit",
        privateKey: generateKeyPairSync("ed25519").privateKey,
      }),
      origin: "broker.test/audit",
      clock,
      logger: createSilentLogger(),
      policy: { everyEvents: 1000, everyMs: 60_000 },
    });
    expect(await checkpointer.checkpointNow()).toMatchObject({ size: 3 });
  });

  afterEach(async () => {
    await storedAuditEvents(records);
    await database.close();
  });

  /** The trigger's message, as each engine words the operation. */
  const refusal = (operation: string, table: string) =>
    new RegExp(`audit tables are append-only: ${operation} on ${table} is refused`, "i");

  it.each(["audit_logs", "audit_checkpoints"])(
    "UPDATE of %s fails with the trigger's message",
    async (table) => {
      const column = table === "audit_logs" ? "action" : "note";
      await expect(
        sql`update ${sql.table(table)} set ${sql.ref(column)} = 'x'`.execute(database.db),
      ).rejects.toThrow(refusal("update", table));
      await expect(
        sql`update ${sql.table(table)} set ${sql.ref(column)} = 'x'`.execute(database.db),
      ).rejects.toMatchObject({ code: engine === "postgres" ? "42501" : "SQLITE_CONSTRAINT_TRIGGER" });
      // Even a single row, even a no-op change.
      const key = table === "audit_logs" ? "seq" : "size";
      await expect(
        sql`update ${sql.table(table)} set ${sql.ref(key)} = ${sql.ref(key)} where ${sql.ref(key)} = 3`.execute(
          database.db,
        ),
      ).rejects.toThrow(refusal("update", table));
    },
  );

  it.each(["audit_logs", "audit_checkpoints"])(
    "DELETE from %s fails with the trigger's message",
    async (table) => {
      await expect(sql`delete from ${sql.table(table)}`.execute(database.db)).rejects.toThrow(
        refusal("delete", table),
      );
    },
  );

  it("the refused statements changed nothing, and inserts still work", async () => {
    await sql`update audit_logs set action = 'x'`.execute(database.db).catch(() => undefined);
    await sql`delete from audit_logs where seq = 2`.execute(database.db).catch(() => undefined);
    await sql`delete from audit_checkpoints`.execute(database.db).catch(() => undefined);
    const events = await storedAuditEvents(records);
    expect(events.map((event) => [event.seq, event.action])).toEqual([
      [1, "first"],
      [2, "second"],
      [3, "third"],
    ]);
    expect((await records.checkpoints()).map((checkpoint) => checkpoint.size)).toEqual([3]);
    const log = new AuditLog({ records, clock: new ManualClock() });
    expect(
      await log.append({ event: "system", action: "fourth", outcome: "success" }, systemContext),
    ).toMatchObject({
      seq: 4,
    });
  });

  // TRUNCATE is PostgreSQL only (SQLite has none), so these cases exist on that engine only.
  if (engine === "postgres") {
    it.each(["audit_logs", "audit_checkpoints"])("TRUNCATE of %s fails on PostgreSQL", async (table) => {
      await expect(sql`truncate ${sql.table(table)}`.execute(database.db)).rejects.toThrow(
        refusal("truncate", table),
      );
      expect((await records.state()).size).toBe(3);
      expect(await records.range(1, 10)).toHaveLength(3);
    });
  }
});
