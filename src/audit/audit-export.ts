import { DomainError, invalidInput } from "../errors/domain-error.ts";
import type { AuditCheckpointRow, AuditRow } from "../storage/database/audit-records.ts";
import type { AuditSearchRecords } from "../storage/database/audit-search-records.ts";
import type { AuditProofs, CheckpointSigner } from "./audit-proofs.ts";
import { rowToEvent } from "./audit-row.ts";
import { parseQuery } from "./audit-search.ts";
import type { AuditTrail } from "./audit-trail.ts";
import {
  exportFormats,
  formatter,
  isExportFormat,
  type AuditEventFormatter,
  type ExportFormat,
} from "./export/export-format.ts";
import { jsonLine } from "./export/jsonl-line.ts";
import type { ProductInfo } from "./export/product-info.ts";
import {
  BUNDLE_FORMAT,
  BUNDLE_VERSION,
  BundleDigest,
  formatManifest,
  type BundleEventLine,
  type BundleHeader,
  type BundleManifestLine,
} from "./integrity/export-bundle.ts";
import { signNote, type NoteSigner } from "./integrity/signed-note.ts";

export interface AuditExportRequest {
  /** One of `exportFormats`, or `bundle` (verifiable, integrity/export-bundle.ts); else a 400. */
  readonly format: string;
  /** The query (docs/audit-search.md); empty exports every event. */
  readonly q: string;
}

/** An export ready to stream: everything that can be refused was checked before the first byte. */
export interface OpenedExport {
  readonly format: ExportFormat | "bundle";
  readonly contentType: string;
  /** A file name for the download: `audit-log-<time of the export>.<extension>`. */
  readonly fileName: string;
  /** How many events will be written (counted when the export opened). */
  readonly total: number;
  /** The header, then the events in seq order, in chunks of a page of events each. */
  readonly chunks: AsyncIterable<ExportChunk>;
}

export interface ExportChunk {
  readonly text: string;
  /** How many events `text` holds (0 for the header). */
  readonly events: number;
}

/** Events read per database page, and so per chunk written. */
const PAGE = 1000;
/**
 * Rows read per query: fewer, larger queries (5,000 rows, a few MiB) made the raw scan of SQLite
 * 366,000 → 504,000 rows/s (bench/README.md, "Export").
 */
const SCAN_PAGE = 5000;

/**
 * Streams the events that match a query in one export format (jsonl, csv, ecs, ocsf, cef), oldest
 * first, in constant memory and without a cap on size or time. Every export is recorded as an
 * `audit`/`exported` event before its first byte; a refused one as a failure.
 */
export class AuditExporter {
  readonly #records: AuditSearchRecords;
  readonly #product: ProductInfo;
  readonly #bundles: BundleSigning;

  constructor(options: { records: AuditSearchRecords; product: ProductInfo; bundles: BundleSigning }) {
    this.#records = options.records;
    this.#product = options.product;
    this.#bundles = options.bundles;
  }

  async open(trail: AuditTrail, request: AuditExportRequest): Promise<OpenedExport> {
    const details = { format: request.format.slice(0, 32), query: request.q.slice(0, 2000) };
    try {
      const format = parseFormat(request.format);
      const query = parseQuery(request.q);
      // Events appended while the export runs are left out: the export is the log as it was
      // when it started, and `total` stays true. A bundle is pinned to a checkpoint signed now.
      const checkpoint = format === "bundle" ? await this.#bundles.checkpointer.checkpointNow() : null;
      const maxSeq = checkpoint?.size ?? (await this.#records.maxSeq());
      const total = await this.#records.count(query, maxSeq);
      const recorded = await trail.record({
        event: "audit",
        action: "exported",
        outcome: "success",
        target: { type: "audit_log" },
        details: { ...details, events: total, up_to_seq: maxSeq },
      });
      const writer =
        checkpoint === null
          ? formatWriter(formatter(format as ExportFormat, this.#product))
          : bundleWriter(this.#bundles, checkpoint, request.q, recorded.timestamp);
      const records = this.#records;
      async function* chunks(): AsyncGenerator<ExportChunk> {
        if (writer.header !== "") yield { text: writer.header, events: 0 };
        let chunk = "";
        let inChunk = 0;
        for await (const row of records.scan(query, "asc", { maxSeq, pageSize: SCAN_PAGE })) {
          // Only a bundle's lines wait (for proofs): no await per row for the plain formats.
          const line = writer.line(row);
          chunk += typeof line === "string" ? line : await line;
          inChunk += 1;
          if (inChunk === PAGE) {
            yield { text: chunk, events: inChunk };
            chunk = "";
            inChunk = 0;
          }
        }
        const footer = writer.footer();
        if (chunk !== "" || footer !== "") yield { text: chunk + footer, events: inChunk };
      }
      const stamp = recorded.timestamp.replace(/[:.]/g, "-");
      return {
        format,
        contentType: writer.contentType,
        fileName: `audit-log-${stamp}.${writer.fileExtension}`,
        total,
        chunks: chunks(),
      };
    } catch (error) {
      if (error instanceof DomainError) {
        await trail.record({
          event: "audit",
          action: "exported",
          outcome: "failure",
          target: { type: "audit_log" },
          details: { ...details, code: error.code, error: error.message },
        });
      }
      throw error;
    }
  }
}

/** What a bundle needs beyond the rows: a checkpoint now, proofs, and the key to sign with. */
export interface BundleSigning {
  readonly checkpointer: CheckpointSigner;
  readonly proofs: Pick<AuditProofs, "path">;
  readonly signer: NoteSigner;
  readonly verifierKey: string;
  readonly origin: string;
}

/** Writes one export: a header, a line per stored row, and a footer. */
interface ExportWriter {
  readonly header: string;
  readonly line: (row: AuditRow) => string | Promise<string>;
  readonly footer: () => string;
  readonly contentType: string;
  readonly fileExtension: string;
}

function formatWriter(lines: AuditEventFormatter): ExportWriter {
  return {
    header: lines.header,
    line: (row) => lines.line(rowToEvent(row)),
    footer: () => "",
    contentType: lines.contentType,
    fileExtension: lines.fileExtension,
  };
}

/** The verifiable bundle of integrity/export-bundle.ts, pinned to `checkpoint`. */
function bundleWriter(
  signing: BundleSigning,
  checkpoint: AuditCheckpointRow,
  query: string,
  exportedAt: string,
): ExportWriter {
  const digest = new BundleDigest();
  const header: BundleHeader = {
    type: "header",
    format: BUNDLE_FORMAT,
    version: BUNDLE_VERSION,
    origin: signing.origin,
    verifier_key: signing.verifierKey,
    query,
    exported_at: exportedAt,
    checkpoint: checkpoint.note,
  };
  return {
    header: jsonLine(header),
    line: async (row) => {
      const leaf = row.leaf_hash.toLowerCase();
      digest.add(row.seq, leaf);
      const line: BundleEventLine = {
        type: "event",
        event: rowToEvent(row),
        proof: await signing.proofs.path(row.seq, checkpoint.size),
      };
      return jsonLine(line);
    },
    footer: () => {
      const manifest = formatManifest({
        origin: signing.origin,
        treeSize: checkpoint.size,
        events: digest.events,
        digest: digest.digest(),
      });
      const line: BundleManifestLine = { type: "manifest", note: signNote(manifest, signing.signer) };
      return jsonLine(line);
    },
    contentType: "application/x-ndjson",
    fileExtension: "bundle.jsonl",
  };
}

function parseFormat(format: string): ExportFormat | "bundle" {
  if (isExportFormat(format) || format === "bundle") return format;
  throw invalidInput(
    "InvalidExportFormat",
    `format must be one of ${exportFormats.join(", ")}, bundle; not ${JSON.stringify(format.slice(0, 32))}`,
    { parameter: "format" },
  );
}
