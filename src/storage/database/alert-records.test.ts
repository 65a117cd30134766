import { afterEach, describe, expect, it } from "vitest";
import { createTestDatabase, testEngines } from "../../../test/support/test-databases.ts";
import { AlertRecords, type AlertRow } from "./alert-records.ts";
import type { DatabaseHandle } from "./database-handle.ts";

function alertRow(id: string, firedAt: string, pending = false): AlertRow {
  return {
    id,
    rule_id: "5cf781e7-296e-4289-ad5d-0c023f38a702",
    rule_name: "pb_brute_force",
    title: "Brute force against one account",
    level: "high",
    group_key: JSON.stringify({ "target.id": "usr_1" }),
    count: 10,
    evidence: JSON.stringify([{ id: "E1", seq: 1 }]),
    first_timestamp: firedAt,
    last_timestamp: firedAt,
    fired_at: firedAt,
    status: "open",
    acknowledged_at: null,
    acknowledged_by: null,
    note: null,
    response: null,
    notifications: JSON.stringify([{ channel: "webhook", status: pending ? "pending" : "sent" }]),
    notify_pending: pending ? 1 : 0,
  };
}

describe.each(testEngines())("AlertRecords on %s", (engine) => {
  let handle: DatabaseHandle | undefined;
  afterEach(async () => {
    await handle?.close();
    handle = undefined;
  });

  async function open(): Promise<AlertRecords> {
    handle = await createTestDatabase(engine);
    return new AlertRecords(handle.db);
  }

  it("stores an alert once, pages newest first, and finds the ones with pending notifications", async () => {
    const alerts = await open();
    expect(await alerts.insert(alertRow("alt_a", "2026-01-01T10:00:00.000Z"))).toBe(true);
    expect(await alerts.insert(alertRow("alt_a", "2026-01-01T10:00:00.000Z"))).toBe(false);
    await alerts.insert(alertRow("alt_b", "2026-01-01T11:00:00.000Z", true));
    await alerts.insert(alertRow("alt_c", "2026-01-01T11:00:00.000Z"));
    const first = await alerts.list({ limit: 2 });
    expect(first.map((row) => row.id)).toEqual(["alt_c", "alt_b"]);
    const rest = await alerts.list({
      limit: 2,
      before: { firedAt: "2026-01-01T11:00:00.000Z", id: "alt_b" },
    });
    expect(rest.map((row) => row.id)).toEqual(["alt_a"]);
    expect((await alerts.withPendingWork(10)).map((row) => row.id)).toEqual(["alt_b"]);
    await alerts.setNotifications("alt_b", JSON.stringify([{ channel: "webhook", status: "sent" }]), false);
    expect(await alerts.withPendingWork(10)).toEqual([]);
    await alerts.setResponse("alt_a", '{"action":"lock-account"}');
    expect((await alerts.findById("alt_a"))?.response).toBe('{"action":"lock-account"}');
  });

  it("acknowledges an open alert once", async () => {
    const alerts = await open();
    await alerts.insert(alertRow("alt_a", "2026-01-01T10:00:00.000Z"));
    await alerts.insert(alertRow("alt_b", "2026-01-01T10:00:01.000Z"));
    expect(await alerts.countOpen()).toBe(2);
    expect(await alerts.acknowledge("alt_a", "usr_admin", "2026-01-02T00:00:00.000Z", "handled")).toBe(true);
    expect(await alerts.acknowledge("alt_a", "usr_other", "2026-01-03T00:00:00.000Z", null)).toBe(false);
    expect(await alerts.findById("alt_a")).toMatchObject({
      status: "acknowledged",
      acknowledged_by: "usr_admin",
      note: "handled",
    });
    expect((await alerts.list({ limit: 10, status: "open" })).map((row) => row.id)).toEqual(["alt_b"]);
    expect(await alerts.countOpen()).toBe(1);
  });

  it("keeps a cursor that only moves forward", async () => {
    const alerts = await open();
    expect(await alerts.cursor()).toBe(0);
    await alerts.advance(12);
    await alerts.advance(7);
    expect(await alerts.cursor()).toBe(12);
  });
});
