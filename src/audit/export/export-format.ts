import type { AuditEvent } from "../audit-event.ts";
import { toCef } from "./cef-line.ts";
import { csvHeaderLine, csvLine } from "./csv-record.ts";
import { toEcs } from "./ecs-document.ts";
import { jsonLine, jsonlLine } from "./jsonl-line.ts";
import { toOcsf } from "./ocsf-document.ts";
import type { ProductInfo } from "./product-info.ts";

export const exportFormats = ["jsonl", "csv", "ecs", "ocsf", "cef"] as const;
export type ExportFormat = (typeof exportFormats)[number];

/**
 * How a streaming exporter writes one format: `header` once (empty when the format has none),
 * then `line(event)` for each event, in `seq` order. Every line ends with its own terminator.
 */
export interface AuditEventFormatter {
  readonly header: string;
  /** A function property, not a method: an exporter may pass `line` around unbound. */
  readonly line: (event: AuditEvent) => string;
  readonly contentType: string;
  /** Without the leading dot: `audit-log.${fileExtension}`. */
  readonly fileExtension: string;
}

/** NDJSON (http://ndjson.org) is what Elasticsearch's bulk API and most SIEM collectors read. */
const NDJSON = "application/x-ndjson";

export function isExportFormat(value: string): value is ExportFormat {
  return (exportFormats as readonly string[]).includes(value);
}

export function formatter(format: ExportFormat, product: ProductInfo): AuditEventFormatter {
  switch (format) {
    case "jsonl":
      return { header: "", line: jsonlLine, contentType: NDJSON, fileExtension: "jsonl" };
    case "csv":
      // RFC 4180 registers text/csv with the charset and header parameters.
      return {
        header: csvHeaderLine(),
        line: csvLine,
        contentType: "text/csv; charset=utf-8; header=present",
        fileExtension: "csv",
      };
    case "ecs":
      return {
        header: "",
        line: (event) => jsonLine(toEcs(event, product)),
        contentType: NDJSON,
        fileExtension: "ecs.ndjson",
      };
    case "ocsf":
      return {
        header: "",
        line: (event) => jsonLine(toOcsf(event, product)),
        contentType: NDJSON,
        fileExtension: "ocsf.ndjson",
      };
    case "cef":
      return {
        header: "",
        line: (event) => toCef(event, product),
        contentType: "text/plain; charset=utf-8",
        fileExtension: "cef",
      };
  }
}
