import { sql } from "kysely";
import { afterEach, describe, expect, it } from "vitest";
import { createTestDatabase, testEngines } from "../../../test/support/test-databases.ts";
import type { DatabaseHandle } from "./database-handle.ts";
import { migrateToLatest } from "./migrate-to-latest.ts";

describe.each(testEngines())("migrations on %s", (engine) => {
  let handle: DatabaseHandle | undefined;
  afterEach(async () => {
    await handle?.close();
  });

  it("creates every table and is idempotent", async () => {
    handle = await createTestDatabase(engine);
    const again = await migrateToLatest(handle.db);
    expect(again.applied).toEqual([]);
    const state = await handle.db.selectFrom("catalog_state").selectAll().executeTakeFirstOrThrow();
    expect(state.revision).toBe(0);
    await handle.ping();
    const result = await sql<{ n: number }>`select count(*) as n from schema_migrations`.execute(handle.db);
    expect(Number(result.rows[0]?.n)).toBeGreaterThan(0);
  });
});
