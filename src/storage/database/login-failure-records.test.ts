import { afterEach, describe, expect, it } from "vitest";
import { createTestDatabase, testEngines } from "../../../test/support/test-databases.ts";
import type { DatabaseHandle } from "./database-handle.ts";
import { LoginFailureRecords } from "./login-failure-records.ts";

const at = (minute: number): string => new Date(Date.UTC(2026, 0, 1, 0, minute)).toISOString();

describe.each(testEngines())("LoginFailureRecords on %s", (engine) => {
  let handle: DatabaseHandle | undefined;
  afterEach(async () => {
    await handle?.close();
    handle = undefined;
  });

  async function open(): Promise<LoginFailureRecords> {
    handle = await createTestDatabase(engine);
    return new LoginFailureRecords(handle.db);
  }

  it("counts a subject's failures strictly after the start of the window", async () => {
    const records = await open();
    for (const minute of [1, 2, 3, 3]) await records.add("account:ada@example.org", at(minute));
    await records.add("ip:192.0.2.1", at(3));

    expect(await records.count("account:ada@example.org", at(0))).toBe(4);
    expect(await records.count("account:ada@example.org", at(1))).toBe(3);
    expect(await records.count("account:ada@example.org", at(3))).toBe(0);
    expect(await records.count("ip:192.0.2.1", at(0))).toBe(1);
    expect(await records.count("ip:198.51.100.7", at(0))).toBe(0);
  });

  it("lists the recent failure times newest first, at most the limit", async () => {
    const records = await open();
    for (const minute of [5, 1, 4, 2, 3]) await records.add("ip:192.0.2.1", at(minute));
    expect(await records.recent("ip:192.0.2.1", at(1), 3)).toEqual([at(5), at(4), at(3)]);
    expect(await records.recent("ip:192.0.2.1", at(3), 10)).toEqual([at(5), at(4)]);
    expect(await records.recent("ip:203.0.113.9", at(0), 10)).toEqual([]);
  });

  it("clears one subject and prunes what is older than a time", async () => {
    const records = await open();
    for (const minute of [1, 2, 3]) {
      await records.add("account:ada@example.org", at(minute));
      await records.add("ip:192.0.2.1", at(minute));
    }
    expect(await records.clear("account:ada@example.org")).toBe(3);
    expect(await records.count("account:ada@example.org", at(0))).toBe(0);
    expect(await records.count("ip:192.0.2.1", at(0))).toBe(3);

    expect(await records.prune(at(3))).toBe(2);
    expect(await records.recent("ip:192.0.2.1", at(0), 10)).toEqual([at(3)]);
  });
});
