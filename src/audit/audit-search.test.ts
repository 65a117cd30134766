import { randomBytes } from "node:crypto";
import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, testEngines } from "../../test/support/test-databases.ts";
import { ManualClock } from "../clock/clock.ts";
import { DomainError } from "../errors/domain-error.ts";
import { AuditRecords } from "../storage/database/audit-records.ts";
import { AuditSearchRecords } from "../storage/database/audit-search-records.ts";
import type { DatabaseHandle } from "../storage/database/database-handle.ts";
import {
  anonymousActor,
  consoleContext,
  type AuditActor,
  type AuditContext,
  type AuditEventInput,
} from "./audit-event.ts";
import { AuditLog } from "./audit-log.ts";
import { AuditSearch } from "./audit-search.ts";
import { auditTrail } from "./audit-trail.ts";
import { ipSearchKeys, reduceIpAddress } from "./ip-privacy.ts";

const hashKey = randomBytes(32);
const tokenA: AuditActor = { type: "token", id: "pb_abcd…wxyz", auth_method: "bearer" };
const tokenB: AuditActor = { type: "token", id: "pb_efgh…0000", auth_method: "basic" };

function context(actor: AuditActor, ip: string | null, requestId: string | null = null): AuditContext {
  return { actor, ipAddress: ip, userAgent: "Composer/2.5.5 (Linux)", requestId };
}

/** Ten events, seq 1..10, one day apart from 2026-01-01, each findable by something of its own. */
const EVENTS: readonly [AuditEventInput, AuditContext][] = [
  [
    {
      event: "authentication",
      action: "token_invalid",
      outcome: "denied",
      details: { reason: "unknown token" },
    },
    context(anonymousActor, "203.0.113.7", "req_first"),
  ],
  [
    {
      event: "package_access",
      action: "download",
      outcome: "success",
      target: { type: "package", name: "acme/widget", version: "1.2.0" },
    },
    context(tokenA, "203.0.113.200", "req_second"),
  ],
  [
    {
      event: "package_access",
      action: "download",
      outcome: "success",
      target: { type: "package", name: "acme/gadget", version: "2.0.0" },
    },
    context(tokenB, "198.51.100.9"),
  ],
  [
    {
      event: "token",
      action: "created",
      outcome: "success",
      target: { type: "token", id: "t1", name: "pb_abcd…wxyz" },
    },
    consoleContext,
  ],
  [
    {
      event: "repository",
      action: "sync_completed",
      outcome: "success",
      target: { type: "repository", id: "r1", name: "acme-git" },
      details: { versions_added: 1 },
    },
    consoleContext,
  ],
  [
    {
      event: "repository",
      action: "version_added",
      outcome: "success",
      target: { type: "package", name: "acme/widget", version: "1.3.0" },
      details: { repository: "acme-git" },
    },
    consoleContext,
  ],
  [
    {
      event: "configuration",
      action: "setting_changed",
      outcome: "success",
      severity: "warning",
      target: { type: "setting", name: "PB_AUDIT_IP_MODE" },
      details: { before: "full", after: "hash" },
    },
    consoleContext,
  ],
  [
    { event: "authentication", action: "token_invalid", outcome: "denied", details: {} },
    context(anonymousActor, reduceIpAddress("203.0.113.7", "truncate", hashKey)),
  ],
  [
    {
      event: "package_access",
      action: "download",
      outcome: "success",
      target: { type: "package", name: "acme/gadget", version: "2.0.1" },
    },
    context(tokenB, reduceIpAddress("198.51.100.9", "hash", hashKey)),
  ],
  [
    { event: "system", action: "started", outcome: "success", details: { note: "The quick brown fox" } },
    context(anonymousActor, "2001:db8::1"),
  ],
];

describe.each(testEngines())("audit search on %s", (engine) => {
  let handle: DatabaseHandle;
  let log: AuditLog;
  let search: AuditSearch;
  const clock = new ManualClock("2026-01-01T12:00:00.000Z");

  beforeAll(async () => {
    handle = await createTestDatabase(engine);
    const records = new AuditRecords(handle.db);
    log = new AuditLog({ records, clock, onCommitted: () => undefined });
    for (const [input, ctx] of EVENTS) {
      await log.append(input, ctx);
      clock.advance(86_400_000);
    }
    search = new AuditSearch(new AuditSearchRecords(handle.db, ipSearchKeys(hashKey)));
  });
  afterAll(async () => {
    await handle.close();
  });

  const seqs = async (q: string, order: "asc" | "desc" = "desc"): Promise<number[]> =>
    (await search.page({ q, order })).events.map((event) => event.seq);

  it.each([
    ["", [10, 9, 8, 7, 6, 5, 4, 3, 2, 1]],
    ["event:authentication", [8, 1]],
    ["action:token", [4]],
    ["action:token.created", [4]],
    ["action:download", [9, 3, 2]],
    ['{"event":"authentication","action":"token_invalid"}', [8, 1]],
    ['{"event":"package_access","action":"download","user":"pb_efgh…0000"}', [9, 3]],
    ['{"event":"configuration"}', [7]],
    ["actor:anonymous", [10, 8, 1]],
    ["user:console", [7, 6, 5, 4]],
    ["package:acme/widget", [6, 2]],
    ["package:acme/*", [9, 6, 3, 2]],
    ["version:2.0.*", [9, 3]],
    ["repository:acme-git", [6, 5]],
    ["token:pb_abcd…wxyz", [4, 2]],
    ["ip:203.0.113.0/24", [8, 2, 1]],
    // The exact address also finds the event that kept only its network (truncate mode).
    ["ip:203.0.113.7", [8, 1]],
    // ... and the one that kept its keyed pseudonym (hash mode).
    ["ip:198.51.100.9", [9, 3]],
    ["ip:2001:db8::/32", [10]],
    ["ip:0.0.0.0/0", [8, 3, 2, 1]],
    ["severity:warning", [8, 7, 1]],
    ["outcome:denied", [8, 1]],
    ["request:req_first", [1]],
    ["request:req_*", [2, 1]],
    ["-event:package_access -event:authentication", [10, 7, 6, 5, 4]],
    // NOT keeps the events that have no package at all.
    ["-package:acme/*", [10, 8, 7, 5, 4, 1]],
    ["event:authentication OR package:acme/gadget", [9, 8, 3, 1]],
    ["(event:authentication OR event:token) -ip:203.0.113.0/24", [4]],
    ["fox", [10]],
    ['"quick brown"', [10]],
    ['"brown quick"', []],
    ["PB_AUDIT_IP_MODE", [7]],
    ["unknown token", [1]],
    ["created:2026-01-03", [3]],
    ["created:>=2026-01-09", [10, 9]],
    ["created:2026-01-02..2026-01-04", [4, 3, 2]],
    ["created:<2026-01-02T12:00:00Z", [1]],
    ["created:<=2026-01-02T12:00:00Z", [2, 1]],
    // Text that means something to FTS5 or SQL is only text here.
    ['"NEAR(quick fox)"', []],
    ["'; drop table audit_logs; select '", []],
    ['"\'; drop table audit_logs; --"', []],
  ])("%s", async (q, expected) => {
    expect(await seqs(q)).toEqual(expected);
  });

  it("pages by keyset: appends between pages shift nothing", async () => {
    const first = await search.page({ q: "", limit: 4 });
    expect(first.events.map((event) => event.seq)).toEqual([10, 9, 8, 7]);
    expect(first.nextCursor).not.toBeNull();
    await log.append({ event: "system", action: "started", outcome: "success" }, consoleContext);
    const second = await search.page({ q: "", limit: 4, cursor: first.nextCursor ?? "" });
    expect(second.events.map((event) => event.seq)).toEqual([6, 5, 4, 3]);
    const third = await search.page({ q: "", limit: 4, cursor: second.nextCursor ?? "" });
    expect(third.events.map((event) => event.seq)).toEqual([2, 1]);
    expect(third.nextCursor).toBeNull();

    const ascending = await search.page({ q: "event:authentication", limit: 1, order: "asc" });
    expect(ascending.events.map((event) => event.seq)).toEqual([1]);
    const next = await search.page({
      q: "event:authentication",
      limit: 1,
      order: "asc",
      cursor: ascending.nextCursor ?? "",
    });
    expect(next.events.map((event) => event.seq)).toEqual([8]);
  });

  it("returns whole events, as appended", async () => {
    const [event] = (await search.page({ q: "request:req_second" })).events;
    expect(event).toMatchObject({
      seq: 2,
      event: "package_access",
      action: "download",
      user: "pb_abcd…wxyz",
      actor: tokenA,
      ip_address: "203.0.113.200",
      target: { type: "package", name: "acme/widget", version: "1.2.0" },
    });
  });

  it.each([
    ["foo:bar", "InvalidQuery", 0],
    ["event:authentication (", "InvalidQuery", 21],
    ["event:nope", "InvalidQuery", 6],
  ])("refuses the malformed query %j with its position", async (q, code, position) => {
    const error = await search.page({ q }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(DomainError);
    expect(error).toMatchObject({ kind: "invalid", code, extensions: { parameter: "q", position } });
  });

  it.each([
    [{ limit: 0 }, "InvalidLimit"],
    [{ limit: 1001 }, "InvalidLimit"],
    [{ limit: 1.5 }, "InvalidLimit"],
    [{ cursor: "nonsense" }, "InvalidCursor"],
    [{ cursor: Buffer.from("v1:asc:5").toString("base64url") }, "InvalidCursor"],
    [{ cursor: "x".repeat(10_000) }, "InvalidCursor"], // long
  ])("refuses %j", async (request, code) => {
    await expect(search.page({ q: "", ...request })).rejects.toMatchObject({ kind: "invalid", code });
  });

  it("records each search, and each refused one, on the trail", async () => {
    const trail = auditTrail(log, consoleContext);
    await search.pageAndRecord(trail, { q: "event:token", limit: 5 });
    await search.pageAndRecord(trail, { q: "bogus:1" }).catch(() => undefined);
    const recorded = await search.page({ q: "action:audit.searched", limit: 2 });
    expect(recorded.events.map((event) => [event.outcome, event.details])).toEqual([
      ["failure", expect.objectContaining({ query: "bogus:1", code: "InvalidQuery" }) as unknown],
      ["success", { query: "event:token", limit: 5, order: "desc", cursor: null, returned: 1, more: false }],
    ]);
  });

  it("still has its table after hostile text (parameters only)", async () => {
    const result = await sql<{ n: number }>`select count(*) as n from audit_logs`.execute(handle.db);
    expect(Number(result.rows[0]?.n)).toBeGreaterThanOrEqual(10);
  });
});

describe.each(testEngines())("audit search over a longer log on %s", (engine) => {
  // More events than a page's first window (100 × 100 seqs), so the windowed plans run.
  const TOTAL = 12_000;
  const RARE = [10, 11_500];
  let handle: DatabaseHandle;

  beforeAll(async () => {
    handle = await createTestDatabase(engine);
    const log = new AuditLog({
      records: new AuditRecords(handle.db),
      clock: new ManualClock("2026-01-01T00:00:00.000Z"),
      onCommitted: () => undefined,
    });
    for (let from = 1; from <= TOTAL; from += 2000) {
      await Promise.all(
        Array.from({ length: 2000 }, (_, i) => {
          const seq = from + i;
          const rare = RARE.includes(seq);
          return log.append(
            {
              event: "package_access",
              action: "download",
              outcome: "success",
              target: {
                type: "package",
                name: rare ? "acme/rare" : `acme/common-${seq % 3}`,
                version: "1.0.0",
              },
              details: rare ? { note: "needle in the haystack" } : { note: "hay" },
            },
            consoleContext,
          );
        }),
      );
    }
  }, 60_000);
  afterAll(async () => {
    await handle.close();
  });

  it("refuses a search the index cannot catch up for in time, saying how far it is, then answers", async () => {
    const impatient = new AuditSearch(new AuditSearchRecords(handle.db, () => [], 0));
    const error = await impatient.page({ q: "package:acme/rare" }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(DomainError);
    expect(error).toMatchObject({
      kind: "unavailable",
      code: "AuditSearchIndexing",
      extensions: { indexed: 1000, size: TOTAL, retryAfter: 5 },
    });
    const patient = new AuditSearch(new AuditSearchRecords(handle.db, () => []));
    expect((await patient.page({ q: "package:acme/rare" })).events.map((event) => event.seq)).toEqual([
      11_500, 10,
    ]);
  });

  it.each([
    // A frequent filter: found in the first window.
    ["package:acme/common-1", "desc", [11_998, 11_995]],
    ["package:acme/common-1", "asc", [1, 4]],
    // A rare one: past the window, the query over the whole range.
    ["package:acme/rare", "desc", [11_500, 10]],
    ["package:acme/rare", "asc", [10, 11_500]],
    // Free text, rare and frequent, alone and with a filter.
    ["needle", "desc", [11_500, 10]],
    ['"in the haystack" package:acme/rare', "asc", [10, 11_500]],
    ["hay", "desc", [12_000, 11_999]],
    ["hay -package:acme/common-0", "desc", [11_999, 11_998]],
  ] as const)("pages %s (%s) two at a time", async (q, order, expected) => {
    const search = new AuditSearch(new AuditSearchRecords(handle.db, () => []));
    const page = await search.page({ q, order, limit: 2 });
    expect(page.events.map((event) => event.seq)).toEqual(expected);
    if (page.nextCursor === null) return;
    const next = await search.page({ q, order, limit: 2, cursor: page.nextCursor });
    const last = expected.at(-1) ?? 0;
    expect(next.events.every((event) => (order === "desc" ? event.seq < last : event.seq > last))).toBe(true);
  });
});
