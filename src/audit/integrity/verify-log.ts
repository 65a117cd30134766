import { DomainError } from "../../errors/domain-error.ts";
import { openCheckpoint, parseCheckpoint } from "./checkpoint.ts";
import { MerkleAccumulator, type MerkleAccumulatorState } from "./merkle-accumulator.ts";
import { isHashHexAnyCase, leafHashHex } from "./merkle-hash.ts";
import { parseNote, type NoteVerifier } from "./signed-note.ts";

/**
 * The one audit-log verifier, shared by the server, `audit verify` and offline export checks.
 *
 * It reads the stored rows in ascending seq and, for each, checks that seq continues the log
 * (1, 2, 3 ...), recomputes the leaf hash from the stored canonical JSON and compares it with the
 * stored leaf hash (a row whose payload retention purged, `canonical: null`, contributes its
 * stored hash unchecked), and appends it to an RFC 6962 accumulator. Whenever the tree reaches
 * the size of a signed checkpoint, the root is compared with the checkpoint's. Checkpoints are
 * opened first: each must carry a signature by one of `verifiers`.
 *
 * The result names the first seq that could not be verified and why:
 * - hash-mismatch: the row's content does not hash to its stored leaf hash (exact seq);
 * - gap: a seq is missing (exact seq; a stream that skips ahead and does not come back);
 * - reorder: a row appears where another seq belongs (exact seq), or, with `checkEnvelope`, the
 *   row holds the event of another seq;
 * - bad-signature: a checkpoint is not validly signed by a known key (or is unreadable, or of
 *   another origin); firstBadSeq is the size it claims (1 if unreadable);
 * - inconsistent-checkpoint: the recomputed root differs from a signed checkpoint's (rows changed
 *   with their hashes recomputed, rows inserted or removed: firstBadSeq is the first seq after the
 *   last checkpoint that matched), or the log ends before a checkpoint's size (tail truncated:
 *   firstBadSeq is the log size + 1).
 *
 * Rows after the last checkpoint are checked row by row only: nothing anchors them yet.
 * Cost: one SHA-256 per row plus about one per row for the tree, no allocation but a hex string
 * per row; see bench/audit-verify.
 */

export interface StoredAuditRow {
  readonly seq: number;
  /** The event id (ULID), used in messages and, with `checkEnvelope`, checked against the event. */
  readonly id: string;
  /** The canonical JSON of the event as stored; null once retention purged the payload. */
  readonly canonical: string | null;
  /** The stored leaf hash, 64 hex digits. */
  readonly leafHash: string;
}

export interface KnownCheckpoint {
  /** A signed checkpoint note. */
  readonly note: string;
  /** Where it came from (e.g. "database", a file name), for messages. */
  readonly source?: string;
}

export type VerifyFailureReason =
  "hash-mismatch" | "gap" | "reorder" | "bad-signature" | "inconsistent-checkpoint";

export interface VerifiedCheckpoint {
  readonly size: number;
  /** Base64, as in the checkpoint. */
  readonly rootHash: string;
  readonly note: string;
}

export interface VerifyLogSuccess {
  readonly ok: true;
  /** The number of rows verified (the tree size). */
  readonly size: number;
  /** The largest checkpoint whose root matched, or null if none did. */
  readonly checkpoint: VerifiedCheckpoint | null;
}

export interface VerifyLogFailure {
  readonly ok: false;
  readonly firstBadSeq: number;
  readonly reason: VerifyFailureReason;
  readonly detail: string;
}

export type VerifyLogResult = VerifyLogSuccess | VerifyLogFailure;

/** Rows one by one (sync or async), or async pages of rows, in ascending seq. */
export type AuditRowSource =
  Iterable<StoredAuditRow> | AsyncIterable<StoredAuditRow | readonly StoredAuditRow[]>;

export interface LogVerifierOptions {
  readonly checkpoints: readonly KnownCheckpoint[];
  readonly verifiers: readonly NoteVerifier[];
  /** When set, checkpoints of another origin are refused (bad-signature). */
  readonly origin?: string;
  /**
   * A trusted accumulator state to start from instead of the empty tree (for example the one
   * saved when a checkpoint was last verified): rows start at its size + 1. Checkpoints below its
   * size cannot be compared and only have their signatures checked.
   */
  readonly resumeFrom?: MerkleAccumulatorState;
  /**
   * Also parse each canonical JSON and require its top-level `seq` and `id` to equal the row's.
   * This pins a moved payload to its exact seq; it costs one JSON.parse per row.
   */
  readonly checkEnvelope?: boolean;
}

export interface VerifyLogInput extends LogVerifierOptions {
  readonly rows: AuditRowSource;
}

export async function verifyLog(input: VerifyLogInput): Promise<VerifyLogResult> {
  const verifier = new LogVerifier(input);
  const { rows } = input;
  if (isAsyncIterable(rows)) {
    for await (const item of rows) {
      const failure = isPage(item) ? verifier.pushAll(item) : verifier.push(item);
      if (failure !== undefined) return failure;
    }
  } else {
    for (const row of rows) {
      const failure = verifier.push(row);
      if (failure !== undefined) return failure;
    }
  }
  return verifier.finish();
}

type CheckpointCheck =
  | {
      readonly kind: "signed";
      readonly size: number;
      readonly rootHex: string;
      readonly verified: VerifiedCheckpoint;
    }
  | { readonly kind: "bad"; readonly size: number; readonly detail: string };

/**
 * The verifier as a sink, for callers that produce rows themselves: `push` each row in order,
 * stop at the first failure it returns, then `finish`.
 */
export class LogVerifier {
  readonly #accumulator: MerkleAccumulator;
  readonly #checks: readonly CheckpointCheck[];
  readonly #checkEnvelope: boolean;
  #nextCheck = 0;
  #nextCheckSize = Number.POSITIVE_INFINITY;
  #lastMatched: VerifiedCheckpoint | null = null;
  #anchoredSize: number;
  /** A row whose seq ran ahead: the next row tells a gap from a reorder. */
  #held: StoredAuditRow | undefined;
  #failure: VerifyLogFailure | undefined;

  constructor(options: LogVerifierOptions) {
    this.#accumulator =
      options.resumeFrom === undefined
        ? new MerkleAccumulator()
        : MerkleAccumulator.fromState(options.resumeFrom);
    // The starting state is trusted: it anchors everything below it.
    this.#anchoredSize = this.#accumulator.size;
    this.#checkEnvelope = options.checkEnvelope ?? false;
    this.#checks = openCheckpoints(options.checkpoints, options.verifiers, options.origin);
    // Checkpoints at or below the starting size: signatures always count; only a checkpoint of
    // exactly that size can be compared with the tree.
    for (
      let check = this.#checks[0];
      check !== undefined && check.size <= this.#accumulator.size && this.#failure === undefined;
      check = this.#checks[++this.#nextCheck]
    ) {
      if (check.kind === "bad" || check.size === this.#accumulator.size) this.#failure = this.#settle(check);
    }
    this.#nextCheckSize = this.#checks[this.#nextCheck]?.size ?? Number.POSITIVE_INFINITY;
  }

  /** Rows verified so far (the tree size). */
  get size(): number {
    return this.#accumulator.size;
  }

  /** Verifies the next row; returns the failure (also on every later call) or undefined. */
  push(row: StoredAuditRow): VerifyLogFailure | undefined {
    if (this.#failure !== undefined) return this.#failure;
    const expected = this.#accumulator.size + 1;
    if (this.#held !== undefined) return this.#outOfOrder(this.#held, row, expected);
    if (row.seq !== expected) {
      if (Number.isSafeInteger(row.seq) && row.seq > expected) {
        this.#held = row;
        return undefined;
      }
      return this.#fail(expected, "reorder", `${describe(row)} appears where seq ${expected} belongs`);
    }
    let hex: string;
    if (row.canonical === null) {
      hex = row.leafHash;
      if (!isHashHexAnyCase(hex))
        return this.#fail(expected, "hash-mismatch", `${describe(row)}: stored leaf hash is malformed`);
    } else {
      hex = leafHashHex(row.canonical);
      if (hex !== row.leafHash && hex !== row.leafHash.toLowerCase()) {
        return this.#fail(
          expected,
          "hash-mismatch",
          `${describe(row)}: content hashes to ${hex}, stored ${row.leafHash}`,
        );
      }
      if (this.#checkEnvelope) {
        const problem = envelopeProblem(row, row.canonical);
        if (problem !== undefined) return this.#fail(expected, problem.reason, problem.detail);
      }
    }
    this.#accumulator.appendHex(hex);
    return this.#accumulator.size === this.#nextCheckSize ? this.#checkpointsAtSize() : undefined;
  }

  pushAll(rows: readonly StoredAuditRow[]): VerifyLogFailure | undefined {
    for (const row of rows) {
      const failure = this.push(row);
      if (failure !== undefined) return failure;
    }
    return undefined;
  }

  /** The verdict once all rows are pushed. */
  finish(): VerifyLogResult {
    if (this.#failure !== undefined) return this.#failure;
    const size = this.#accumulator.size;
    if (this.#held !== undefined) {
      return this.#fail(
        size + 1,
        "gap",
        `seq ${size + 1} is missing; the next row is ${describe(this.#held)}`,
      );
    }
    const pending = this.#checks[this.#nextCheck];
    if (pending?.kind === "bad") return this.#fail(size + 1, "bad-signature", pending.detail);
    if (pending !== undefined) {
      return this.#fail(
        size + 1,
        "inconsistent-checkpoint",
        `the log ends at seq ${size} but a signed checkpoint covers ${pending.size} rows: ` +
          `seq ${size + 1}..${pending.size} are missing (tail truncated)`,
      );
    }
    return { ok: true, size, checkpoint: this.#lastMatched };
  }

  #checkpointsAtSize(): VerifyLogFailure | undefined {
    const size = this.#accumulator.size;
    let check = this.#checks[this.#nextCheck];
    while (check?.size === size) {
      const failure = this.#settle(check);
      if (failure !== undefined) return failure;
      this.#nextCheck += 1;
      check = this.#checks[this.#nextCheck];
    }
    // Only once every checkpoint of this size matched (a fork must not depend on input order).
    this.#anchoredSize = size;
    this.#nextCheckSize = check?.size ?? Number.POSITIVE_INFINITY;
    return undefined;
  }

  /** Compares the tree with a checkpoint of its size. */
  #settle(check: CheckpointCheck): VerifyLogFailure | undefined {
    if (check.kind === "bad") return this.#fail(Math.max(check.size, 1), "bad-signature", check.detail);
    const rootHex = this.#accumulator.rootHex();
    if (rootHex !== check.rootHex) {
      const from = this.#anchoredSize + 1;
      return this.#fail(
        from,
        "inconsistent-checkpoint",
        `the rows hash to root ${rootHex} at size ${check.size}, the signed checkpoint says ${check.rootHex}: ` +
          `a row in seq ${from}..${check.size} was changed with its hash recomputed, or rows were inserted or removed`,
      );
    }
    this.#lastMatched = check.verified;
    return undefined;
  }

  #outOfOrder(held: StoredAuditRow, row: StoredAuditRow, expected: number): VerifyLogFailure {
    if (row.seq === expected) {
      return this.#fail(expected, "reorder", `${describe(held)} comes before ${describe(row)}`);
    }
    return this.#fail(expected, "gap", `seq ${expected} is missing; the next row is ${describe(held)}`);
  }

  #fail(firstBadSeq: number, reason: VerifyFailureReason, detail: string): VerifyLogFailure {
    this.#failure = { ok: false, firstBadSeq, reason, detail };
    return this.#failure;
  }
}

function openCheckpoints(
  known: readonly KnownCheckpoint[],
  verifiers: readonly NoteVerifier[],
  origin: string | undefined,
): CheckpointCheck[] {
  const checks = known.map((entry, index): CheckpointCheck => {
    const label = `checkpoint ${entry.source ?? `#${index + 1}`}`;
    try {
      const { checkpoint } = openCheckpoint(entry.note, verifiers, origin === undefined ? {} : { origin });
      const rootHash = checkpoint.rootHash.toString("base64");
      return {
        kind: "signed",
        size: checkpoint.size,
        rootHex: checkpoint.rootHash.toString("hex"),
        verified: { size: checkpoint.size, rootHash, note: entry.note },
      };
    } catch (error) {
      if (!(error instanceof DomainError)) throw error;
      const size = claimedSize(entry.note);
      const at = size === undefined ? "" : ` (size ${size})`;
      return { kind: "bad", size: size ?? 0, detail: `${label}${at}: ${error.message}` };
    }
  });
  // By size; at one size a bad checkpoint is reported before a good one is compared.
  return checks.sort((a, b) => a.size - b.size || (a.kind === "bad" ? -1 : 0) - (b.kind === "bad" ? -1 : 0));
}

/** The size an unverifiable checkpoint claims, if it can be read at all. */
function claimedSize(note: string): number | undefined {
  try {
    return parseCheckpoint(parseNote(note).text).size;
  } catch {
    return undefined;
  }
}

function envelopeProblem(
  row: StoredAuditRow,
  canonical: string,
): { reason: VerifyFailureReason; detail: string } | undefined {
  let event: unknown;
  try {
    event = JSON.parse(canonical);
  } catch {
    return { reason: "hash-mismatch", detail: `${describe(row)}: stored canonical JSON does not parse` };
  }
  if (typeof event !== "object" || event === null || Array.isArray(event)) {
    return { reason: "hash-mismatch", detail: `${describe(row)}: stored canonical JSON is not an object` };
  }
  const envelope = event as { seq?: unknown; id?: unknown };
  if (envelope.seq !== row.seq) {
    return { reason: "reorder", detail: `${describe(row)} holds the event of seq ${String(envelope.seq)}` };
  }
  if (envelope.id !== row.id) {
    return {
      reason: "hash-mismatch",
      detail: `${describe(row)} holds the event with id ${String(envelope.id)}`,
    };
  }
  return undefined;
}

function describe(row: StoredAuditRow): string {
  return `row seq ${String(row.seq)} (id ${row.id})`;
}

function isAsyncIterable(
  rows: AuditRowSource,
): rows is AsyncIterable<StoredAuditRow | readonly StoredAuditRow[]> {
  return Symbol.asyncIterator in rows;
}

function isPage(item: StoredAuditRow | readonly StoredAuditRow[]): item is readonly StoredAuditRow[] {
  return Array.isArray(item);
}
