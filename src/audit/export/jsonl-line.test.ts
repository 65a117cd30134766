import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { download, exampleEvents, hostile } from "../../../test/builders/audit-event-examples.ts";
import { jsonLine, jsonlLine, jsonText } from "./jsonl-line.ts";

/** Anything a line-oriented reader could split on, or a terminal could act on. */
// eslint-disable-next-line no-control-regex -- looking for control characters is the point
const RAW_BREAK_OR_CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;

describe("jsonlLine", () => {
  it("writes the envelope as one JSON line (golden)", () => {
    expect(jsonlLine(download)).toBe(
      '{"schema_version":1,"id":"01KB3V9Q8G7J5YF3Q2M1T6W0XZ","seq":1042,"timestamp":"2026-03-01T09:12:44.512Z",' +
        '"event":"package_access","action":"download","severity":"info","outcome":"success","user":"pb_Ab3d…x9Yz",' +
        '"actor":{"type":"token","id":"pb_Ab3d…x9Yz","auth_method":"basic"},"ip_address":"203.0.113.7",' +
        '"user_agent":"Composer/2.5.5 (Linux; 6.1; PHP 8.2.7; cURL 7.88.1)","request_id":"req_01KB3V9Q8D0000000000000003",' +
        '"target":{"type":"package","name":"acme/widgets","version":"1.2.0.0"},' +
        '"details":{"status":200,"reference":"3f786850e387550fdab836ed7e6dc881de23001b"}}\n',
    );
  });

  it("is lossless: every example parses back to the same event", () => {
    for (const event of exampleEvents) expect(JSON.parse(jsonlLine(event))).toEqual(event);
  });

  it("keeps CR, LF, U+2028 and U+2029 escaped, so the hostile event is still one line", () => {
    const line = jsonlLine(hostile);
    expect(line.endsWith("\n")).toBe(true);
    expect(RAW_BREAK_OR_CONTROL.test(line.slice(0, -1))).toBe(false);
    expect(line).toContain("\\r\\n");
    expect(line).toContain("\\u2028");
    expect(line).toContain("\\u2029");
    expect(line).toContain("🎉");
  });

  it("escapes every control character and line separator in any string (property)", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary" }), fc.string({ unit: "grapheme" }), (a, b) => {
        const value = { a, b: `${b}\u0085\u2028\u007f`, nested: [a, { b }] };
        const line = jsonLine(value);
        expect(line.split("\n")).toHaveLength(2);
        expect(RAW_BREAK_OR_CONTROL.test(line.slice(0, -1))).toBe(false);
        expect(JSON.parse(line)).toEqual(value);
      }),
    );
  });
});

/** The straightforward implementation the optimised one replaced: always the replace pass. */
function referenceJsonLine(value: object): string {
  const json = JSON.stringify(value);
  return `${json.replace(/[\u007f-\u009f\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`)}\n`;
}

/** Units for the strings of nested values: what must be escaped, what must not, and neighbours. */
const UNITS = [
  ...Array.from(
    'a"\\/\b\f\n\r\t\u0000\u001f\u007e\u007f\u0080\u0085\u009f\u00a0é…\u2027\u2028\u2029\u202a\ufeff',
  ),
  "🎉",
  "\ud800",
  "\udfff",
];

describe("jsonText and jsonLine against the straightforward reference", () => {
  it("write the same bytes for the examples", () => {
    for (const event of exampleEvents) {
      expect(jsonlLine(event)).toBe(referenceJsonLine(event));
      expect(jsonText(event)).toBe(referenceJsonLine(event).slice(0, -1));
    }
  });

  it("write the same bytes for nested values re-read from their stored JSON (property)", () => {
    fc.assert(
      fc.property(fc.jsonValue({ stringUnit: fc.constantFrom(...UNITS) }), fc.jsonValue(), (a, b) => {
        // As the exporter gets them: stored by JSON.stringify, read back by JSON.parse, so the
        // strings went through \uXXXX escapes (lone surrogates, controls) and back.
        const value = JSON.parse(JSON.stringify({ a, nested: [{ b }, a] })) as object;
        expect(jsonLine(value)).toBe(referenceJsonLine(value));
        expect(jsonText(value)).toBe(referenceJsonLine(value).slice(0, -1));
      }),
      { numRuns: 1000 },
    );
  });
});
