import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TestRuntime, type TestToken } from "../../../test/builders/test-runtime.ts";
import { createPostgresDatabase, testEngines } from "../../../test/support/test-databases.ts";
import { consoleContext } from "../../audit/audit-event.ts";
import { rowToEvent } from "../../audit/audit-row.ts";
import { auditTrail } from "../../audit/audit-trail.ts";
import { parseQuery } from "../../audit/audit-search.ts";
import { jsonText } from "../../audit/export/jsonl-line.ts";
import { AuditSearchRecords } from "../../storage/database/audit-search-records.ts";

/** Texts a line must carry escaped and whole: JSON's escapes, line breaks of every kind, astral characters. */
const AWKWARD = [
  'quote " backslash \\ tab \t newline \n return \r',
  "DEL \u007f NEL \u0085 line sep \u2028 paragraph sep \u2029",
  "emoji 🎉 astral 𝄞 NUL-in-JSON \u0000 BOM \ufeff",
];

/**
 * The JSON Lines export is the same bytes on both engines: each line is `jsonText(event)` of the
 * stored event, with every character a line reader could split on escaped, for every event, a
 * filtered export, and across pages (5,100 events: more than one read of 5,000).
 */
describe.each(testEngines())("the JSON Lines export on %s", (engine) => {
  let t: TestRuntime;
  let admin: TestToken;

  beforeAll(async () => {
    t = await TestRuntime.start(
      engine === "postgres" ? { env: { PB_DATABASE_URL: await createPostgresDatabase() } } : {},
    );
    admin = await t.createToken({ scopes: ["admin"], description: "export" });
    const trail = auditTrail(t.runtime.audit.log, consoleContext);
    for (let index = 0; index < 5_100; index += 1) {
      await trail.record({
        event: "package",
        action: "uploaded",
        outcome: "success",
        target: { type: "package", name: `acme/pkg-${index % 7}`, version: `1.0.${index}` },
        details: { index, text: AWKWARD[index % AWKWARD.length], numbers: [1e21, 0.1, -5] },
      });
    }
  }, 120_000);

  afterAll(async () => {
    await t.cleanup();
  });

  /** What the export must hold: the stored events (before the export's own) through jsonText (no `ip:` here). */
  async function stored(q: string, maxSeq: number): Promise<string> {
    const records = new AuditSearchRecords(t.runtime.database.db, () => []);
    let text = "";
    for await (const row of records.scan(parseQuery(q), "asc", { pageSize: 1000, maxSeq })) {
      text += `${jsonText(rowToEvent(row))}\n`;
    }
    return text;
  }

  it.each(["", "package:acme/pkg-3"])(
    "writes every event of %j as jsonText writes it, one per line",
    async (q) => {
      const response = await t.request(`/api/audit/export?format=jsonl&q=${encodeURIComponent(q)}`, {
        token: admin.token,
      });
      expect(response.status).toBe(200);
      const body = await response.text();
      const lines = body.split("\n").slice(0, -1);
      // The log as it was when the export opened (its own request's authentication included).
      const last = JSON.parse(lines.at(-1) ?? "{}") as { seq: number };
      expect(body).toBe(await stored(q, last.seq));
      expect(lines.length).toBe(Number(response.headers.get("x-audit-export-events")));
      expect(lines.every((line) => !/[\u2028\u2029\u0085\u007f\r]/.test(line))).toBe(true);
      expect(lines.map((line) => (JSON.parse(line) as { seq: number }).seq)).toEqual(
        lines.map((line) => (JSON.parse(line) as { seq: number }).seq).toSorted((a, b) => a - b),
      );
    },
  );
});
