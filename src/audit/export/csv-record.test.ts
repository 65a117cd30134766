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
