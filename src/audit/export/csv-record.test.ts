import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { AuditEvent } from "../audit-event.ts";
import {
  DDE_PAYLOAD,
  download,
  exampleEvents,
  hostile,
  packagesJsonBare,
  settingChanged,
} from "../../../test/builders/audit-event-examples.ts";
import {
  AUDIT_CSV_COLUMNS,
  csvCell,
  csvHeaderLine,
  csvLine,
  csvValues,
  isFormulaLike,
} from "./csv-record.ts";

/**
 * A strict RFC 4180 reader: records end with CRLF, cells are separated by commas, a quoted cell
 * may hold anything with `"` doubled, and a quote anywhere else is an error.
 */
function parseCsv(text: string): string[][] {
  const records: string[][] = [];
  let record: string[] = [];
  let cell = "";
  let i = 0;
  let quoted = false;
  while (i < text.length) {
    const c = text.charAt(i);
    if (quoted) {
      if (c === '"' && text.charAt(i + 1) === '"') {
        cell += '"';
        i += 2;
      } else if (c === '"') {
        quoted = false;
        i += 1;
        const next = text.charAt(i);
        if (next !== "," && next !== "\r") throw new Error(`text after a closing quote at ${i}`);
      } else {
        cell += c;
        i += 1;
      }
    } else if (c === '"') {
      if (cell !== "") throw new Error(`quote inside an unquoted cell at ${i}`);
      quoted = true;
      i += 1;
    } else if (c === ",") {
      record.push(cell);
      cell = "";
      i += 1;
    } else if (c === "\r" && text.charAt(i + 1) === "\n") {
      record.push(cell);
      records.push(record);
      record = [];
      cell = "";
      i += 2;
    } else if (c === "\r" || c === "\n") {
      throw new Error(`bare line break in an unquoted cell at ${i}`);
    } else {
      cell += c;
      i += 1;
    }
  }
  if (quoted || cell !== "" || record.length > 0) throw new Error("the last record does not end with CRLF");
  return records;
}

/** What a reader must get back for each raw value: itself, `'` + itself when neutralised, "" for null. */
function expectedCells(event: AuditEvent): string[] {
  return csvValues(event).map((value) => (value === null ? "" : isFormulaLike(value) ? `'${value}` : value));
}

describe("csvHeaderLine", () => {
  it("names the columns, in order, ending with CRLF", () => {
    expect(csvHeaderLine()).toBe(
      "seq,id,timestamp,event,action,severity,outcome,user,actor_type,actor_id,auth_method,ip_address," +
        "user_agent,request_id,target_type,target_id,target_name,target_version,details\r\n",
    );
    expect(parseCsv(csvHeaderLine())).toEqual([[...AUDIT_CSV_COLUMNS]]);
  });
});

describe("csvLine", () => {
  it("writes a download with its package target (golden)", () => {
    expect(csvLine(download)).toBe(
      "1042,01KB3V9Q8G7J5YF3Q2M1T6W0XZ,2026-03-01T09:12:44.512Z,package_access,download,info,success," +
        "pb_Ab3d…x9Yz,token,pb_Ab3d…x9Yz,basic,203.0.113.7," +
        "Composer/2.5.5 (Linux; 6.1; PHP 8.2.7; cURL 7.88.1),req_01KB3V9Q8D0000000000000003," +
        "package,,acme/widgets,1.2.0.0," +
        '"{""status"":200,""reference"":""3f786850e387550fdab836ed7e6dc881de23001b""}"\r\n',
    );
  });

  it("writes a setting change with before/after details (golden)", () => {
    expect(csvLine(settingChanged)).toBe(
      "1043,01KB3V9Q8G7J5YF3Q2M1T6W0Y0,2026-03-01T09:15:00.000Z,configuration,setting_changed,warning,success," +
        "system,system,system,none,,,,setting,,PB_AUDIT_IP_MODE,," +
        '"{""before"":""full"",""after"":""truncate""}"\r\n',
    );
  });

  it("writes null members as empty cells (golden)", () => {
    expect(csvLine(packagesJsonBare)).toBe(
      "1044,01KB3V9Q8G7J5YF3Q2M1T6W0Y1,2026-03-01T09:15:01.020Z,package_access,packages_json,info,success," +
        'pb_Ab3d…x9Yz,token,pb_Ab3d…x9Yz,basic,,,req_01KB3V9Q8D0000000000000005,,,,,"{""status"":200}"\r\n',
    );
  });

  it("neutralises and quotes the hostile event (golden)", () => {
    expect(csvLine(hostile)).toBe(
      "1045,01KB3V9Q8G7J5YF3Q2M1T6W0Y2,2026-03-01T09:15:02.999Z,package_access,download_denied,warning,denied," +
        `"' \t=HYPERLINK(""http://evil.example"")",token,'＠SUM(1+1),basic,hmac:0123456789abcdef0123456789abcdef,` +
        `"'=cmd|' /C calc'!A0, ""quoted""\r\nnext|line\\path\u2028sep 🎉 key=value",'-2+3,` +
        `package,,"acme/""widget"",|\\","'+1.0\n=2",` +
        `"{""status"":403,""code"":""PackageNotAllowed"",""reason"":""line1\\r\\nline2 a=b|c\\\\d\u2029 🎉"",""note"":""@x""}"\r\n`,
    );
  });

  it("round-trips every cell through an RFC 4180 reader: raw, or `'` + raw where neutralised", () => {
    const text = csvHeaderLine() + exampleEvents.map(csvLine).join("");
    const [header, ...rows] = parseCsv(text);
    expect(header).toEqual([...AUDIT_CSV_COLUMNS]);
    expect(rows).toEqual(exampleEvents.map(expectedCells));
    const hostileRow = rows.at(-1)!;
    expect(hostileRow[AUDIT_CSV_COLUMNS.indexOf("user_agent")]).toBe(`'${hostile.user_agent!}`);
    expect(hostileRow[AUDIT_CSV_COLUMNS.indexOf("user_agent")]).toContain(DDE_PAYLOAD);
    // The cells that were not neutralised are exactly the raw values.
    csvValues(hostile).forEach((value, index) => {
      if (value !== null && !isFormulaLike(value)) expect(hostileRow[index]).toBe(value);
    });
    expect(JSON.parse(hostileRow[AUDIT_CSV_COLUMNS.indexOf("details")]!)).toEqual(hostile.details);
  });

  it("round-trips arbitrary strings, and no cell a reader gets starts a formula (property)", () => {
    const text = fc.oneof(
      fc.string({ unit: "grapheme" }),
      fc.string({
        unit: fc.constantFrom("=", "+", "-", "@", "\t", "\r", "\n", " ", '"', ",", "＝", "＠", "a", "\u3000"),
      }),
    );
    fc.assert(
      fc.property(text, text, text, (userAgent, user, name) => {
        const event: AuditEvent = {
          ...download,
          user,
          user_agent: userAgent,
          target: { type: "package", name },
        };
        const [row, ...more] = parseCsv(csvLine(event));
        expect(more).toEqual([]);
        expect(row).toEqual(expectedCells(event));
        for (const cell of row!) expect(isFormulaLike(cell)).toBe(false);
      }),
    );
  });
});

describe("csvCell", () => {
  it.each([
    ["=1+1", "'=1+1"],
    ["+1", "'+1"],
    ["-1", "'-1"],
    ["@SUM(A1)", "'@SUM(A1)"],
    ["\tx", "'\tx"],
    ["\rx", '"\'\rx"'],
    ["＝1+1", "'＝1+1"],
    ["＋1", "'＋1"],
    ["－1", "'－1"],
    ["＠x", "'＠x"],
    ["﹦1", "'﹦1"],
    ["  =1", "'  =1"],
    ["\u00a0@x", "'\u00a0@x"],
    ["\u3000＝1", "'\u3000＝1"],
    ["\u200b=1", "'\u200b=1"],
    ["\n=1", '"\'\n=1"'],
    ["a=1", "a=1"],
    ["1-2", "1-2"],
    ["   ", "   "],
    ["", ""],
    ['say "hi"', '"say ""hi"""'],
    ["a,b", '"a,b"'],
    ["=a,b", '"\'=a,b"'],
  ])("%j becomes %j", (value, cell) => {
    expect(csvCell(value)).toBe(cell);
  });

  it("writes null as an empty cell", () => {
    expect(csvCell(null)).toBe("");
  });
});

/**
 * The straightforward implementation the optimised one replaced (a record of the values, mapped
 * to cells, joined; the formula check as a Set lookup and a leading-white-space regex): the tests
 * below hold the fast paths to it byte for byte.
 */
const reference = {
  triggers: new Set([
    "=",
    "+",
    "-",
    "@",
    "\t",
    "\r",
    "\uff1d",
    "\uff0b",
    "\uff0d",
    "\uff20",
    "\ufe66",
    "\ufe62",
    "\ufe63",
    "\ufe6b",
  ]),
  isFormulaLike(value: string): boolean {
    if (reference.triggers.has(value.charAt(0))) return true;
    const rest = value.slice(/^[\s\u180e\u200b-\u200d\u2060]*/u.exec(value)?.[0].length ?? 0);
    return rest !== value && reference.triggers.has(rest.charAt(0));
  },
  csvCell(value: string | null): string {
    if (value === null) return "";
    const safe = reference.isFormulaLike(value) ? `'${value}` : value;
    return /[",\r\n]/.test(safe) ? `"${safe.replaceAll('"', '""')}"` : safe;
  },
  csvValues(event: AuditEvent): (string | null)[] {
    const target = event.target;
    const values: Record<(typeof AUDIT_CSV_COLUMNS)[number], string | null> = {
      seq: String(event.seq),
      id: event.id,
      timestamp: event.timestamp,
      event: event.event,
      action: event.action,
      severity: event.severity,
      outcome: event.outcome,
      user: event.user,
      actor_type: event.actor.type,
      actor_id: event.actor.id,
      auth_method: event.actor.auth_method,
      ip_address: event.ip_address,
      user_agent: event.user_agent,
      request_id: event.request_id,
      target_type: target?.type ?? null,
      target_id: target?.id ?? null,
      target_name: target?.name ?? null,
      target_version: target?.version ?? null,
      details: JSON.stringify(event.details),
    };
    return AUDIT_CSV_COLUMNS.map((column) => values[column]);
  },
  csvLine(event: AuditEvent): string {
    return `${reference
      .csvValues(event)
      .map((value) => reference.csvCell(value))
      .join(",")}\r\n`;
  },
};

/**
 * Units that stress every branch: each formula trigger (ASCII, full-width, small-form), the white
 * space and invisibles a spreadsheet skips (ASCII and not), quotes, separators, line breaks,
 * controls, U+2028/U+2029, non-ASCII letters, an emoji and lone surrogates.
 */
const TRICKY_UNITS = [
  ...Array.from("=+-@\t\r\n\u000b\u000c \"',\\|{a1\u0000\u001f\u007f\u0085\u00a0é…"),
  ...Array.from("\u1680\u180e\u2000\u200a\u200b\u200d\u2028\u2029\u202f\u205f\u2060\u3000\ufeff"),
  ...Array.from("＝＋－＠﹦﹢﹣﹫"),
  "🎉",
  "\ud800",
  "\udc00",
];
const tricky = fc.oneof(
  fc.string({ unit: fc.constantFrom(...TRICKY_UNITS) }),
  fc.string({ unit: "binary" }),
  fc.string({ unit: "grapheme" }),
);

describe("the fast paths against the straightforward reference", () => {
  it("isFormulaLike and csvCell agree on every ASCII first character and the tricky units", () => {
    const firsts = [...Array.from({ length: 0x80 }, (_, code) => String.fromCharCode(code)), ...TRICKY_UNITS];
    for (const first of firsts) {
      for (const value of [
        first,
        `${first}=1`,
        `${first}x`,
        `${first} `,
        `${first}\u3000@`,
        `${first}"a,b`,
      ]) {
        expect(isFormulaLike(value), JSON.stringify(value)).toBe(reference.isFormulaLike(value));
        expect(csvCell(value), JSON.stringify(value)).toBe(reference.csvCell(value));
      }
    }
    expect(csvCell("")).toBe(reference.csvCell(""));
    expect(csvCell(null)).toBe(reference.csvCell(null));
  });

  it("csvCell agrees on any string (property)", () => {
    fc.assert(
      fc.property(tricky, (value) => {
        expect(csvCell(value)).toBe(reference.csvCell(value));
      }),
      { numRuns: 2000 },
    );
  });

  it("csvValues puts each value under its column, as the reference does", () => {
    for (const event of exampleEvents) expect(csvValues(event)).toEqual(reference.csvValues(event));
  });

  it("csvLine writes the same bytes for the examples and any strings, nulls and details (property)", () => {
    for (const event of exampleEvents) expect(csvLine(event)).toBe(reference.csvLine(event));
    fc.assert(
      fc.property(
        fc.integer(),
        fc.tuple(tricky, tricky, tricky, tricky, tricky),
        fc.tuple(fc.option(tricky), fc.option(tricky), fc.option(tricky)),
        fc.option(
          fc.record({ type: tricky, id: tricky, name: tricky, version: tricky }, { requiredKeys: ["type"] }),
        ),
        fc.dictionary(tricky, fc.jsonValue({ stringUnit: fc.constantFrom(...TRICKY_UNITS) })),
        (seq, [id, timestamp, action, user, actorId], [ipAddress, userAgent, requestId], target, details) => {
          const event: AuditEvent = {
            ...hostile,
            seq,
            id,
            timestamp,
            action,
            user,
            actor: { ...hostile.actor, id: actorId },
            ip_address: ipAddress,
            user_agent: userAgent,
            request_id: requestId,
            target,
            details,
          };
          expect(csvLine(event)).toBe(reference.csvLine(event));
        },
      ),
      { numRuns: 500 },
    );
  });
});
