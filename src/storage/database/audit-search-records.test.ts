import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, testEngines } from "../../../test/support/test-databases.ts";
import { anonymousActor, type AuditContext, type AuditEventInput } from "../../audit/audit-event.ts";
import { AuditLog } from "../../audit/audit-log.ts";
import { rowToEvent } from "../../audit/audit-row.ts";
import { parseQuery } from "../../audit/audit-search.ts";
import { jsonText, safeInLine } from "../../audit/export/jsonl-line.ts";
import { ipSearchKeys } from "../../audit/ip-privacy.ts";
import { ManualClock } from "../../clock/clock.ts";
import { AuditRecords } from "./audit-records.ts";
import { AuditSearchRecords } from "./audit-search-records.ts";
import type { DatabaseHandle } from "./database-handle.ts";

/** Every character class JSON escapes or a line reader trips on, and values whose text could drift. */
const AWKWARD = [
  'quote " backslash \\ slash /',
  // NUL only inside JSON (below): PostgreSQL's text columns cannot hold it, nor can HTTP headers.
  Array.from({ length: 31 }, (_, code) => String.fromCharCode(code + 1)).join(""),
  "DEL \u007f C1 \u0080\u0085\u009f line sep \u2028 paragraph sep \u2029",
  "emoji 🎉, astral 𝄞, CJK 漢字, RTL \u202e, BOM \ufeff, NBSP \u00a0",
  "<script>alert(1)</script>",
];

function events(): [AuditEventInput, AuditContext][] {
  const context = (userAgent: string | null, ip: string | null): AuditContext => ({
    actor: { type: "token", id: "pb_abcd…wxyz", auth_method: "basic" },
    ipAddress: ip,
    userAgent,
    requestId: "req_01",
  });
  return [
    [
      {
        event: "package_access",
        action: "download",
        outcome: "success",
        target: { type: "package", name: "acme/widget", version: "1.0.0" },
        details: {
          texts: [...AWKWARD, "NUL \u0000 inside JSON"],
          numbers: [0, -1, 1.5, 1e21, 1e-7, Number.MAX_SAFE_INTEGER, -0],
          nested: { empty: {}, list: [], deep: [[[{ a: null, b: true, c: false }]]] },
          "2": "integer-like key after a word key",
          'key with " and \u2028': "value",
          ["__proto__"]: "an own key",
        },
      },
      context(AWKWARD.join(" | "), "203.0.113.7"),
    ],
    [
      { event: "system", action: "started", outcome: "success", details: {} },
      { actor: anonymousActor, ipAddress: null, userAgent: null, requestId: null },
    ],
    ...AWKWARD.map((text, index): [AuditEventInput, AuditContext] => [
      {
        event: "configuration",
        action: "setting_changed",
        outcome: "failure",
        severity: "warning",
        target: { type: "setting", name: text },
        details: { before: text, after: index },
      },
      context(text, "2001:db8::1"),
    ]),
  ];
}

describe.each(testEngines())("AuditSearchRecords' JSON Lines on %s", (engine) => {
  let handle: DatabaseHandle;
  let records: AuditSearchRecords;

  beforeAll(async () => {
    handle = await createTestDatabase(engine);
    const clock = new ManualClock("2026-01-01T12:00:00.000Z");
    const log = new AuditLog({ records: new AuditRecords(handle.db), clock, onCommitted: () => undefined });
    for (const [input, context] of events()) {
      await log.append(input, context);
      clock.advance(1000);
    }
    records = new AuditSearchRecords(handle.db, ipSearchKeys(randomBytes(32)));
  });
  afterAll(async () => {
    await handle.close();
  });

  it.runIf(engine === "sqlite")("are not built by SQLite (its exports format in the process)", async () => {
    expect(records.buildsLines).toBe(false);
    await expect(records.pageLines({ query: null, limit: 10, afterSeq: null, order: "asc" })).rejects.toThrow(
      "PostgreSQL",
    );
  });

  it.runIf(engine === "postgres")(
    "are, byte for byte, the lines the process writes from the rows, whatever the query and the paging",
    async () => {
      expect(records.buildsLines).toBe(true);
      for (const q of [
        "",
        "event:configuration",
        "-event:system",
        "emoji",
        "created:2026-01-01",
        "ip:2001:db8::/32",
      ]) {
        const query = parseQuery(q);
        for (const order of ["asc", "desc"] as const) {
          const rows = [];
          for await (const row of records.scan(query, order, { pageSize: 2 })) rows.push(row);
          const lines = [];
          for await (const line of records.scanLines(query, order, { pageSize: 2 })) lines.push(line);
          expect(rows.length, q).toBeGreaterThan(0);
          expect(
            lines.map((line) => line.seq),
            `${q} ${order}`,
          ).toEqual(rows.map((row) => row.seq));
          expect(
            lines.map((line) => safeInLine(line.line)),
            `${q} ${order}`,
          ).toEqual(rows.map((row) => jsonText(rowToEvent(row))));
        }
      }
    },
  );

  it.runIf(engine === "postgres")("leave out purged events, as the rows do", async () => {
    await handle.db
      .updateTable("audit_logs")
      .set({ purged_at: "2026-02-01T00:00:00.000Z", user: null, actor: null, details: null, target: null })
      .where("seq", "=", 2)
      .execute();
    const page = await records.pageLines({
      query: null,
      limit: 100,
      afterSeq: null,
      order: "asc",
      maxSeq: 4,
    });
    expect(page.map((line) => line.seq)).toEqual([1, 3, 4]);
  });
});
