import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, testEngines } from "../../../test/support/test-databases.ts";
import { ManualClock } from "../../clock/clock.ts";
import { DomainError } from "../../errors/domain-error.ts";
import { AuditHistogramRecords } from "../../storage/database/audit-histogram-records.ts";
import { AuditRecords } from "../../storage/database/audit-records.ts";
import { AuditSearchRecords } from "../../storage/database/audit-search-records.ts";
import type { DatabaseHandle } from "../../storage/database/database-handle.ts";
import { consoleContext, type AuditEventInput } from "../audit-event.ts";
import { AuditLog } from "../audit-log.ts";
import { AuditSearch, parseQuery } from "../audit-search.ts";
import { auditTrail } from "../audit-trail.ts";
import { AuditHistogram, type AuditHistogramRequest } from "./audit-histogram.ts";
import { histogramLayout } from "./histogram-layout.ts";

const download: AuditEventInput = {
  event: "package_access",
  action: "download",
  outcome: "success",
  target: { type: "package", name: "acme/widget", version: "1.0.0" },
};
const upload: AuditEventInput = {
  event: "package",
  action: "uploaded",
  outcome: "success",
  target: { type: "package", name: "acme/gadget", version: "2.0.0" },
};

/** Event times (UTC), each a download (d) or an upload (u). */
const EVENTS: readonly [string, "d" | "u"][] = [
  ["2026-03-02T10:00:00.000Z", "d"],
  ["2026-03-02T10:00:04.999Z", "u"],
  ["2026-03-02T10:00:05.000Z", "d"],
  ["2026-03-02T10:14:59.999Z", "d"],
  ["2026-03-02T11:30:00.000Z", "u"],
  ["2026-03-03T00:00:00.000Z", "d"],
  ["2026-03-09T23:59:59.999Z", "d"],
  ["2026-03-10T00:00:00.000Z", "u"],
];

describe("histogramLayout", () => {
  const ms = (text: string): number => Date.parse(text);

  it.each([
    // [from, to (exclusive), max buckets, width s, first start, buckets]
    ["2026-03-02T10:00:00Z", "2026-03-02T10:00:05Z", 5, 1, "2026-03-02T10:00:00.000Z", 5],
    ["2026-03-02T10:00:00Z", "2026-03-02T10:00:06Z", 5, 5, "2026-03-02T10:00:00.000Z", 2],
    ["2026-03-02T10:00:03Z", "2026-03-02T10:59:00Z", 60, 60, "2026-03-02T10:00:00.000Z", 59],
    ["2026-03-02T10:07:00Z", "2026-03-02T12:00:00Z", 60, 300, "2026-03-02T10:05:00.000Z", 23],
    ["2026-03-02T10:00:00Z", "2026-03-10T00:00:00.001Z", 60, 21_600, "2026-03-02T06:00:00.000Z", 32],
    ["2026-03-02T10:00:00Z", "2026-03-10T00:00:00.001Z", 10, 86_400, "2026-03-02T00:00:00.000Z", 9],
    // Weeks start on a Monday (2026-03-02 is one; 2026-03-05 a Thursday).
    ["2026-03-05T10:00:00Z", "2026-04-30T00:00:00Z", 10, 604_800, "2026-03-02T00:00:00.000Z", 9],
  ])("%s to %s in at most %i buckets: %i s from %s, %i buckets", (from, to, max, width, first, count) => {
    const layout = histogramLayout(ms(from), ms(to), max);
    expect(layout).toEqual({ widthSeconds: width, firstStartMs: ms(first), bucketCount: count });
  });

  it("fits years 0000 to 9999 in any number of buckets, and never makes more than asked", () => {
    const from = ms("0000-01-01T00:00:00Z");
    const to = Date.UTC(10_000, 0, 1);
    for (const max of [1, 2, 7, 60, 500]) {
      const layout = histogramLayout(from, to, max);
      expect(layout.bucketCount).toBeLessThanOrEqual(max);
      expect(layout.firstStartMs).toBeLessThanOrEqual(from);
      expect(layout.firstStartMs + layout.bucketCount * layout.widthSeconds * 1000).toBeGreaterThanOrEqual(
        to,
      );
    }
  });
});

describe.each(testEngines())("audit histogram on %s", (engine) => {
  let handle: DatabaseHandle;
  let log: AuditLog;
  let histogram: AuditHistogram;
  let search: AuditSearch;

  beforeAll(async () => {
    handle = await createTestDatabase(engine);
    const clock = new ManualClock(EVENTS[0]![0]);
    log = new AuditLog({ records: new AuditRecords(handle.db), clock, onCommitted: () => undefined });
    for (const [time, kind] of EVENTS) {
      clock.set(time);
      await log.append(kind === "d" ? download : upload, consoleContext);
    }
    histogram = new AuditHistogram(new AuditHistogramRecords(handle.db, () => []));
    search = new AuditSearch(new AuditSearchRecords(handle.db, () => []));
  });
  afterAll(async () => {
    await handle.close();
  });

  const count = (request: Partial<AuditHistogramRequest>) => histogram.count({ q: "", ...request });
  const nonEmpty = (result: { buckets: readonly { start: string; count: number }[] }) =>
    result.buckets.filter((bucket) => bucket.count > 0).map((bucket) => [bucket.start, bucket.count]);

  it("counts every event from the first to the last, in buckets of a round width", async () => {
    const result = await count({ buckets: "10" });
    expect(result).toMatchObject({
      from: "2026-03-02T10:00:00.000Z",
      to: "2026-03-10T00:00:00.001Z",
      bucketSeconds: 86_400,
      total: 8,
    });
    expect(result.buckets).toHaveLength(9);
    expect(result.buckets[0]).toEqual({ start: "2026-03-02T00:00:00.000Z", count: 5 });
    expect(nonEmpty(result)).toEqual([
      ["2026-03-02T00:00:00.000Z", 5],
      ["2026-03-03T00:00:00.000Z", 1],
      ["2026-03-09T00:00:00.000Z", 1],
      ["2026-03-10T00:00:00.000Z", 1],
    ]);
  });

  it("puts events on a boundary in the bucket it starts", async () => {
    const result = await count({ from: "2026-03-02T10:00:00Z", to: "2026-03-02T10:00:15Z", buckets: "3" });
    expect(result.bucketSeconds).toBe(5);
    expect(result.buckets.map((bucket) => bucket.count)).toEqual([2, 1, 0]);
  });

  it.each([
    "",
    "action:download",
    "event:package",
    "package:acme/*",
    "-action:download",
    "created:2026-03-02",
  ])("counts %j exactly as the search finds it", async (q) => {
    const found = (await search.page({ q, limit: 1000 })).events.filter(
      (event) => event.action !== "histogram_read",
    );
    const result = await count({ q, buckets: "500" });
    expect(result.total).toBe(found.length);
    for (const bucket of result.buckets) {
      const start = Date.parse(bucket.start);
      const end = start + (result.bucketSeconds ?? 0) * 1000;
      const inside = found.filter((event) => {
        const time = Date.parse(event.timestamp);
        return time >= start && time < end;
      });
      expect(bucket.count).toBe(inside.length);
    }
  });

  it("intersects from/to with the query's created: range", async () => {
    const result = await count({
      q: "created:2026-03-02..2026-03-03",
      from: "2026-03-02T10:00:05Z",
      to: "2026-04-01",
      buckets: "100",
    });
    expect(result).toMatchObject({
      from: "2026-03-02T10:00:05.000Z",
      to: "2026-03-04T00:00:00.000Z",
      total: 4,
    });
    expect(await count({ q: "created:<2026-03-01", from: "2026-03-02" })).toMatchObject({
      total: 0,
      buckets: [],
    });
  });

  it("lays out the buckets of a given range even when nothing matches, and none without a range", async () => {
    const given = await count({ q: "package:nobody/*", from: "2026-03-01", to: "2026-03-02", buckets: "24" });
    expect(given).toMatchObject({ bucketSeconds: 3_600, total: 0 });
    expect(given.buckets).toHaveLength(24);
    expect(await count({ q: "package:nobody/*" })).toEqual({
      from: null,
      to: null,
      bucketSeconds: null,
      total: 0,
      buckets: [],
    });
  });

  it("answers a range of years 0000 to 9999 with few buckets", async () => {
    const result = await count({ from: "0000-01-01", to: "9999-12-31T23:59:59.999Z", buckets: "500" });
    expect(result.buckets.length).toBeLessThanOrEqual(500);
    expect(result.total).toBe(8);
  });

  it.each([
    [{ q: "foo:bar" }, "InvalidQuery", { parameter: "q", position: 0 }],
    [{ q: "event:package (" }, "InvalidQuery", { parameter: "q", position: 14 }],
    [{ buckets: "0" }, "InvalidBuckets", { parameter: "buckets" }],
    [{ buckets: "501" }, "InvalidBuckets", { parameter: "buckets" }],
    [{ buckets: "abc" }, "InvalidBuckets", { parameter: "buckets" }],
    [{ buckets: "1.5" }, "InvalidBuckets", { parameter: "buckets" }],
    [{ from: "2026-02-30" }, "InvalidDate", { parameter: "from", position: 0 }],
    [{ to: "yesterday" }, "InvalidDate", { parameter: "to", position: 0 }],
    [{ to: "2026-03-02T10:00:00" }, "InvalidDate", { parameter: "to" }],
    [{ from: "2026-03-03", to: "2026-03-02" }, "InvalidRange", { parameter: "to" }],
    [{ from: "2026-03-02", to: "2026-03-02" }, "InvalidRange", { parameter: "to" }],
  ])("refuses %j", async (request, code, extensions) => {
    const error = await count(request).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(DomainError);
    expect(error).toMatchObject({ kind: "invalid", code, extensions });
  });

  it("takes SQL-looking text as text", async () => {
    for (const q of [
      "'; drop table audit_logs; select '",
      "package:x'or'1'='1",
      '"\'); delete from audit_search; --"',
    ]) {
      expect(await count({ q })).toMatchObject({ total: 0 });
    }
    const { rows } = await sql<{ n: number | string }>`select count(*) as n from audit_search`.execute(
      handle.db,
    );
    expect(Number(rows[0]?.n)).toBeGreaterThanOrEqual(EVENTS.length);
    expect(parseQuery("package:x'or'1'='1")).not.toBeNull();
  });

  it("records each read, and each refused one, on the trail", async () => {
    const trail = auditTrail(log, consoleContext);
    await histogram.countAndRecord(trail, { q: "action:download", buckets: "10" });
    await histogram.countAndRecord(trail, { q: "", buckets: "0" }).catch(() => undefined);
    const recorded = await search.page({ q: "action:audit.histogram_read", limit: 2 });
    expect(recorded.events.map((event) => [event.outcome, event.details])).toEqual([
      ["failure", expect.objectContaining({ buckets: "0", code: "InvalidBuckets" }) as unknown],
      [
        "success",
        {
          query: "action:download",
          buckets: "10",
          from: null,
          to: null,
          total: 5,
          bucket_seconds: 86_400,
          returned: 8,
        },
      ],
    ]);
  });
});
