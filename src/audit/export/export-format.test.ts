import { describe, expect, it } from "vitest";
import { download, exampleEvents, hostile } from "../../../test/builders/audit-event-examples.ts";
import { toCef } from "./cef-line.ts";
import { csvHeaderLine, csvLine } from "./csv-record.ts";
import { toEcs } from "./ecs-document.ts";
import { exportFormats, formatter, isExportFormat } from "./export-format.ts";
import { toOcsf } from "./ocsf-document.ts";
import { packageBrokerProduct } from "./product-info.ts";

const product = packageBrokerProduct("1.4.2");

/** What a streaming exporter writes: the header once, then one line per event. */
function exportAll(format: (typeof exportFormats)[number]): string {
  const { header, line } = formatter(format, product);
  return header + exampleEvents.map((event) => line(event)).join("");
}

describe("formatter", () => {
  it("describes each format for a download response", () => {
    expect(
      exportFormats.map((format) => {
        const { contentType, fileExtension, header } = formatter(format, product);
        return [format, contentType, fileExtension, header === "" ? "no header" : "header"];
      }),
    ).toEqual([
      ["jsonl", "application/x-ndjson", "jsonl", "no header"],
      ["csv", "text/csv; charset=utf-8; header=present", "csv", "header"],
      ["ecs", "application/x-ndjson", "ecs.ndjson", "no header"],
      ["ocsf", "application/x-ndjson", "ocsf.ndjson", "no header"],
      ["cef", "text/plain; charset=utf-8", "cef", "no header"],
    ]);
  });

  it("writes one line per event in the line formats, the hostile one included", () => {
    for (const format of ["jsonl", "ecs", "ocsf", "cef"] as const) {
      const lines = exportAll(format).split("\n");
      expect(lines.pop(), format).toBe("");
      expect(lines, format).toHaveLength(exampleEvents.length);
    }
  });

  it("writes ECS and OCSF documents as NDJSON, CEF and CSV as their formatters do", () => {
    const ndjson = (format: "ecs" | "ocsf") =>
      exportAll(format)
        .trimEnd()
        .split("\n")
        .map((line) => JSON.parse(line) as unknown);
    expect(ndjson("ecs")).toEqual(exampleEvents.map((event) => toEcs(event, product)));
    expect(ndjson("ocsf")).toEqual(exampleEvents.map((event) => toOcsf(event, product)));
    expect(exportAll("cef")).toBe(exampleEvents.map((event) => toCef(event, product)).join(""));
    expect(exportAll("csv")).toBe(csvHeaderLine() + exampleEvents.map(csvLine).join(""));
    expect(JSON.parse(formatter("jsonl", product).line(download))).toEqual(download);
    expect(formatter("ecs", product).line(hostile)).not.toMatch(/[\u2028\u2029]/);
  });
});

describe("isExportFormat", () => {
  it("accepts the format names only", () => {
    expect(exportFormats.every(isExportFormat)).toBe(true);
    expect(isExportFormat("JSONL")).toBe(false);
    expect(isExportFormat("xml")).toBe(false);
    expect(isExportFormat("toString")).toBe(false);
  });
});
