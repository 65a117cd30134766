import { afterEach, describe, expect, it } from "vitest";
import { insertUsers } from "../../../test/builders/stored-users.ts";
import { createTestDatabase, testEngines } from "../../../test/support/test-databases.ts";
import type { DatabaseHandle } from "./database-handle.ts";
import { RecoveryCodeRecords } from "./recovery-code-records.ts";

const NOW = "2026-01-01T00:00:00.000Z";
const hash = (n: number): string => n.toString(16).padStart(64, "0");

describe.each(testEngines())("RecoveryCodeRecords on %s", (engine) => {
  let handle: DatabaseHandle | undefined;
  afterEach(async () => {
    await handle?.close();
    handle = undefined;
  });

  async function open(): Promise<RecoveryCodeRecords> {
    handle = await createTestDatabase(engine);
    await insertUsers(handle.db, ["ada", "bob"]);
    return new RecoveryCodeRecords(handle.db);
  }

  it("consumes each code once, and only the owner's", async () => {
    const records = await open();
    await records.replaceAll("usr_ada", [hash(1), hash(2), hash(3)]);
    await records.replaceAll("usr_bob", [hash(4)]);
    expect(await records.countUnused("usr_ada")).toBe(3);

    expect(await records.consume("usr_ada", hash(2), NOW)).toBe(true);
    expect(await records.consume("usr_ada", hash(2), NOW)).toBe(false);
    expect(await records.consume("usr_ada", hash(4), NOW)).toBe(false);
    expect(await records.consume("usr_ada", hash(9), NOW)).toBe(false);
    expect(await records.countUnused("usr_ada")).toBe(2);
    expect(await records.countUnused("usr_bob")).toBe(1);
  });

  it("replaces the whole set, used codes included, or removes it", async () => {
    const records = await open();
    await records.replaceAll("usr_ada", [hash(1), hash(2)]);
    await records.consume("usr_ada", hash(1), NOW);
    await records.replaceAll("usr_ada", [hash(1), hash(5), hash(6)]);
    expect(await records.countUnused("usr_ada")).toBe(3);
    expect(await records.consume("usr_ada", hash(2), NOW)).toBe(false);
    expect(await records.consume("usr_ada", hash(1), NOW)).toBe(true);

    await records.replaceAll("usr_ada", []);
    expect(await records.countUnused("usr_ada")).toBe(0);
    expect(await records.consume("usr_ada", hash(5), NOW)).toBe(false);
  });

  it("keeps the old set when the new one cannot be stored (one transaction)", async () => {
    const records = await open();
    await records.replaceAll("usr_ada", [hash(1), hash(2)]);
    // The same hash twice breaks the primary key after the old codes were deleted.
    await expect(records.replaceAll("usr_ada", [hash(7), hash(7)])).rejects.toThrow();
    expect(await records.countUnused("usr_ada")).toBe(2);
  });

  it("lets exactly one of many concurrent uses of a code succeed", async () => {
    const records = await open();
    await records.replaceAll("usr_ada", [hash(1), hash(2)]);
    const results = await Promise.all(
      Array.from({ length: 8 }, () => records.consume("usr_ada", hash(1), NOW)),
    );
    expect(results.filter(Boolean)).toHaveLength(1);
    expect(await records.countUnused("usr_ada")).toBe(1);
  });
});
