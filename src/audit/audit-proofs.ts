import { conflict, invalidInput, notFound } from "../errors/domain-error.ts";
import type { AuditCheckpointRow, AuditRow, AuditState } from "../storage/database/audit-records.ts";
import type { AuditEvent } from "./audit-event.ts";
import { isPurged, rowToEvent } from "./audit-row.ts";
import { AuditTreeHashes, type AuditTreeHashesOptions } from "./audit-tree-hashes.ts";

/** What the proofs read: `AuditRecords`, plus a checkpoint by size. */
export interface ProofRecords {
  findById(id: string): Promise<AuditRow | null>;
  leafHashes(from: number, to: number): Promise<string[]>;
  latestCheckpoint(): Promise<AuditCheckpointRow | null>;
  checkpointAt(size: number): Promise<AuditCheckpointRow | null>;
  state(): Promise<AuditState>;
}

/** Signs the current tree when it grew since the last checkpoint (`AuditCheckpointer`). */
export interface CheckpointSigner {
  checkpointNow(): Promise<AuditCheckpointRow | null>;
}

/** An inclusion proof of RFC 6962 with what a client needs to check it (hashes as hex). */
export interface InclusionProofDocument {
  /** The event as rebuilt from its stored columns: its RFC 8785 canonical JSON is the leaf. */
  readonly event: AuditEvent;
  /** seq - 1. */
  readonly leafIndex: number;
  /** SHA-256(0x00 || canonical JSON of `event`), as stored. */
  readonly leafHash: string;
  readonly treeSize: number;
  /** MTH of the first `treeSize` leaves. */
  readonly rootHash: string;
  /** The audit path, leaf to root. */
  readonly proof: string[];
  /** The signed checkpoint of `treeSize` leaves, or null when none was signed at that size. */
  readonly checkpoint: string | null;
}

export interface ConsistencyProofDocument {
  readonly from: number;
  readonly to: number;
  readonly fromRoot: string;
  readonly toRoot: string;
  readonly proof: string[];
  /** The signed checkpoints of those sizes, when there are. */
  readonly checkpoints: { readonly from: string | null; readonly to: string | null };
}

/**
 * Inclusion and consistency proofs of the audit log and its latest checkpoint: what the API
 * serves. Without an explicit size, proofs are for the latest signed checkpoint; when that does
 * not cover the event yet, a checkpoint of the current tree is signed first (so an event can be
 * proven as soon as it is committed). A proof for an explicit size comes with the checkpoint of
 * that size if one was signed, otherwise `checkpoint: null`: check it against a root you trust.
 */
export class AuditProofs {
  readonly #records: ProofRecords;
  readonly #checkpointer: CheckpointSigner;
  readonly #tree: AuditTreeHashes;

  constructor(options: {
    records: ProofRecords;
    checkpointer: CheckpointSigner;
    tree?: AuditTreeHashesOptions;
  }) {
    this.#records = options.records;
    this.#checkpointer = options.checkpointer;
    this.#tree = new AuditTreeHashes(options.records, options.tree);
  }

  /** The latest signed checkpoint; one is signed now if there is none yet. */
  async latestCheckpoint(): Promise<AuditCheckpointRow> {
    const latest = (await this.#records.latestCheckpoint()) ?? (await this.#checkpointer.checkpointNow());
    if (latest === null) throw notFound("AuditLogEmpty", "the audit log has no events yet, so no checkpoint");
    return latest;
  }

  async inclusion(eventId: string, size?: number): Promise<InclusionProofDocument> {
    const row = await this.#records.findById(eventId);
    if (row === null) throw notFound("AuditEventNotFound", `no audit event has the id ${eventId}`);
    const event = readEvent(row);
    let checkpoint: AuditCheckpointRow | null;
    let treeSize: number;
    if (size === undefined) {
      checkpoint = await this.#covering(row.seq);
      treeSize = checkpoint.size;
    } else {
      const logSize = (await this.#records.state()).size;
      if (size < row.seq || size > logSize) {
        throw invalidInput(
          "InvalidTreeSize",
          `size must be between ${row.seq} (the event's seq) and ${logSize} (the log's size), not ${size}`,
        );
      }
      treeSize = size;
      checkpoint = await this.#records.checkpointAt(size);
    }
    const { proof, root } = await this.#tree.inclusion(row.seq - 1, treeSize);
    assertMatches(checkpoint, treeSize, root);
    return {
      event,
      leafIndex: row.seq - 1,
      leafHash: row.leaf_hash.toLowerCase(),
      treeSize,
      rootHash: root,
      proof,
      checkpoint: checkpoint?.note ?? null,
    };
  }

  /** The audit path of the event `seq` in the tree of `treeSize` leaves (hex, leaf to root). */
  async path(seq: number, treeSize: number): Promise<string[]> {
    return (await this.#tree.inclusion(seq - 1, treeSize)).proof;
  }

  /** PROOF(from, D[to]); `to` defaults to the latest checkpoint (signed now if needed). */
  async consistency(from: number, to?: number): Promise<ConsistencyProofDocument> {
    if (from < 1) throw invalidInput("InvalidTreeSize", `from must be at least 1, not ${from}`);
    let toCheckpoint: AuditCheckpointRow | null;
    let second: number;
    if (to === undefined) {
      toCheckpoint = await this.#covering(from);
      second = toCheckpoint.size;
    } else {
      second = to;
      toCheckpoint = null;
    }
    const logSize = (await this.#records.state()).size;
    if (from > second || second > logSize) {
      throw invalidInput(
        "InvalidTreeSize",
        `from and to must satisfy 1 ≤ from ≤ to ≤ ${logSize} (the log's size); got from=${from}, to=${second}`,
      );
    }
    toCheckpoint ??= await this.#records.checkpointAt(second);
    const fromCheckpoint = await this.#records.checkpointAt(from);
    const hashes = await this.#tree.consistency(from, second);
    assertMatches(fromCheckpoint, from, hashes.firstRoot);
    assertMatches(toCheckpoint, second, hashes.secondRoot);
    return {
      from,
      to: second,
      fromRoot: hashes.firstRoot,
      toRoot: hashes.secondRoot,
      proof: hashes.proof,
      checkpoints: { from: fromCheckpoint?.note ?? null, to: toCheckpoint?.note ?? null },
    };
  }

  /** The latest checkpoint if it covers `seq`, else a new one of the current tree. */
  async #covering(seq: number): Promise<AuditCheckpointRow> {
    const latest = await this.#records.latestCheckpoint();
    if (latest !== null && latest.size >= seq) return latest;
    const signed = await this.#checkpointer.checkpointNow();
    if (signed === null || signed.size < seq) {
      throw invalidInput(
        "InvalidTreeSize",
        `the audit log has ${signed?.size ?? 0} events; seq ${seq} is not in it`,
      );
    }
    return signed;
  }
}

function readEvent(row: AuditRow): AuditEvent {
  if (isPurged(row)) {
    throw conflict(
      "AuditEventPurged",
      `retention purged the payload of event seq ${row.seq} on ${row.purged_at ?? "?"}: there is no event left to prove`,
    );
  }
  try {
    return rowToEvent(row);
  } catch {
    throw conflict(
      "AuditEventCorrupt",
      `the stored event seq ${row.seq} cannot be read (a JSON column does not parse): run \`package-broker audit verify\``,
    );
  }
}

/** A proof must never silently disagree with a signed checkpoint of the same size. */
function assertMatches(checkpoint: AuditCheckpointRow | null, size: number, root: string): void {
  if (checkpoint === null || checkpoint.rootHash.toLowerCase() === root) return;
  throw conflict(
    "AuditCheckpointMismatch",
    `the stored leaf hashes give root ${root} at size ${size} but the signed checkpoint says ${checkpoint.rootHash}: ` +
      "run `package-broker audit verify`",
  );
}
