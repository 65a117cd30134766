import type { AuditCheckpointRow, AuditRow } from "../storage/database/audit-records.ts";
import type { AuditDetails } from "./audit-event.ts";
import { isPurged, rowToEvent } from "./audit-row.ts";
import type { AuditTrail } from "./audit-trail.ts";
import { canonicalJson } from "./integrity/canonical-json.ts";
import { formatVerifierKey, type NoteVerifier } from "./integrity/signed-note.ts";
import {
  LogVerifier,
  type KnownCheckpoint,
  type StoredAuditRow,
  type VerifyLogResult,
} from "./integrity/verify-log.ts";

/** What verification reads: `AuditRecords`. */
export interface VerificationRecords {
  /** Every row in ascending seq, read in pages. */
  scan(): AsyncIterable<AuditRow>;
  checkpoints(): Promise<AuditCheckpointRow[]>;
}

export interface VerifyAuditOptions {
  /** Checkpoints kept outside the database (`--against FILE`): copies the database cannot rewrite. */
  readonly external?: readonly KnownCheckpoint[];
  /**
   * The only key whose checkpoints are trusted; by default the server's own checkpoint key. An
   * auditor can pin the verifier key they saved from `GET /audit/public-key` (`--key`).
   */
  readonly trustedKey?: NoteVerifier;
}

export interface AuditVerificationReport {
  /** The verdict: `{ok: true, size, checkpoint}` or `{ok: false, firstBadSeq, reason, detail}`. */
  readonly result: VerifyLogResult;
  /** How many distinct checkpoints each source gave (a note found in both counts in both). */
  readonly checkpoints: { readonly database: number; readonly external: number };
  /** The verifier key (vkey) that checkpoints had to be signed with. */
  readonly trustedKey: string;
}

/**
 * The one verification of the stored audit log, behind `GET /api/audit/verify` and
 * `package-broker audit verify`. It streams the rows in seq order (pages of `scan()`; constant
 * memory), rebuilds each event from its columns exactly as it was hashed when appended
 * (`rowToEvent`, then RFC 8785 canonical JSON), and runs the shared verifier
 * (integrity/verify-log.ts) over them with every checkpoint of the database plus the external
 * ones. Checkpoints count only when signed by the trusted key for the log's origin: someone who
 * rebuilds the table and re-signs checkpoints with a key of their own gets `bad-signature`,
 * and a table rewritten or truncated below an externally saved checkpoint gets
 * `inconsistent-checkpoint`.
 */
export class AuditVerification {
  readonly #records: VerificationRecords;
  readonly #verifier: NoteVerifier;
  readonly #origin: string;

  constructor(options: { records: VerificationRecords; verifier: NoteVerifier; origin: string }) {
    this.#records = options.records;
    this.#verifier = options.verifier;
    this.#origin = options.origin;
  }

  async verify(options: VerifyAuditOptions = {}): Promise<AuditVerificationReport> {
    const key = options.trustedKey ?? this.#verifier;
    // Read the checkpoints before the rows: rows only grow, so every checkpoint is covered.
    const stored = await this.#records.checkpoints();
    const database = stored.map((row) => ({ note: row.note, source: `database (size ${row.size})` }));
    const external = distinct(options.external ?? []);
    // Each distinct note is checked once, whichever copies it came from.
    const checkpoints = distinct([...database, ...external]);
    const counts = { database: distinct(database).length, external: external.length };
    // The checkpointer signs with the origin as the key's name; a pinned key names its origin.
    const verifier = new LogVerifier({ checkpoints, verifiers: [key], origin: key.name });
    const result = await verifyRows(verifier, this.#records.scan());
    return { result, checkpoints: counts, trustedKey: formatVerifierKey(key) };
  }

  /** `verify`, then records the outcome as an `audit`/`verified` event on the trail. */
  async verifyAndRecord(
    trail: AuditTrail,
    options: VerifyAuditOptions & { readonly details?: AuditDetails } = {},
  ): Promise<AuditVerificationReport> {
    const report = await this.verify(options);
    const { result } = report;
    const common = {
      database_checkpoints: report.checkpoints.database,
      external_checkpoints: report.checkpoints.external,
      trusted_key: report.trustedKey,
      ...options.details,
    };
    await trail.record({
      event: "audit",
      action: "verified",
      outcome: result.ok ? "success" : "failure",
      severity: result.ok ? "info" : "error",
      target: { type: "audit_log", name: this.#origin },
      details: result.ok
        ? { size: result.size, checkpoint_size: result.checkpoint?.size ?? null, ...common }
        : { first_bad_seq: result.firstBadSeq, reason: result.reason, detail: result.detail, ...common },
    });
    return report;
  }
}

function distinct(checkpoints: readonly KnownCheckpoint[]): KnownCheckpoint[] {
  const seen = new Set<string>();
  return checkpoints.filter((checkpoint) => {
    if (seen.has(checkpoint.note)) return false;
    seen.add(checkpoint.note);
    return true;
  });
}

async function verifyRows(verifier: LogVerifier, rows: AsyncIterable<AuditRow>): Promise<VerifyLogResult> {
  for await (const row of rows) {
    const { stored, problem } = toStoredRow(row);
    const failure = verifier.push(stored);
    if (failure === undefined) continue;
    // An unreadable row is reported as what it is, at its seq, when it is the first problem.
    if (problem !== undefined && failure.reason === "hash-mismatch" && failure.firstBadSeq === row.seq) {
      return { ...failure, detail: problem };
    }
    return failure;
  }
  return verifier.finish();
}

/**
 * A row as the verifier sees it: the canonical JSON of the event rebuilt from its columns. A row
 * whose JSON columns do not parse (or do not form JSON data) gets a malformed leaf hash instead,
 * so the verifier reports hash-mismatch at exactly its seq (after any gap or reorder before it).
 */
function toStoredRow(row: AuditRow): { stored: StoredAuditRow; problem?: string } {
  // A purged row has nothing left to hash: its stored leaf hash still has to fit the tree.
  if (isPurged(row))
    return { stored: { seq: row.seq, id: row.id, canonical: null, leafHash: row.leaf_hash } };
  try {
    return {
      stored: {
        seq: row.seq,
        id: row.id,
        canonical: canonicalJson(rowToEvent(row)),
        leafHash: row.leaf_hash,
      },
    };
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    return {
      stored: { seq: row.seq, id: row.id, canonical: null, leafHash: "" },
      problem: `row seq ${row.seq} (id ${row.id}): its columns do not form an event (${reason})`,
    };
  }
}
