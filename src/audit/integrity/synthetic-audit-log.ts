import { canonicalJson } from "./canonical-json.ts";
import { signCheckpoint } from "./checkpoint.ts";
import { MerkleAccumulator, type MerkleAccumulatorState } from "./merkle-accumulator.ts";
import { leafHashHex } from "./merkle-hash.ts";
import type { NoteSigner } from "./signed-note.ts";
import type { KnownCheckpoint, StoredAuditRow } from "./verify-log.ts";

/**
 * A deterministic audit log for tests and benchmarks: events shaped like the real envelope
 * (about 560 bytes of canonical JSON each), their stored rows, and checkpoints signed at chosen
 * sizes. Not used by the server.
 */

export interface SyntheticAuditLogOptions {
  readonly size: number;
  /** Tree sizes to sign checkpoints at (each ≤ size). */
  readonly checkpointSizes: readonly number[];
  readonly signer: NoteSigner;
  /** Checkpoint origin; the signer's name by default. */
  readonly origin?: string;
  /** Rows with seq ≤ this have their payload purged (canonical: null), as retention does. */
  readonly purgedThrough?: number;
}

export interface SyntheticAuditLog {
  readonly origin: string;
  readonly rows: readonly StoredAuditRow[];
  readonly checkpoints: readonly (KnownCheckpoint & { readonly size: number })[];
  /** The accumulator state at each checkpoint size (and at 0), to resume verification from. */
  readonly states: ReadonlyMap<number, MerkleAccumulatorState>;
}

const categories = ["authentication", "package_access", "repository", "package", "token"] as const;
const outcomes = ["success", "success", "success", "failure", "denied"] as const;
const CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
const BASE_TIME = Date.UTC(2026, 0, 1);

/** The event with this seq: the same every time. */
export function syntheticEvent(seq: number): Record<string, unknown> {
  const outcome = outcomes[seq % outcomes.length] ?? "success";
  const token = `tok_${hex(seq * 2654435761, 12)}`;
  return {
    schema_version: 1,
    id: syntheticEventId(seq),
    seq,
    timestamp: new Date(BASE_TIME + seq * 250).toISOString(),
    event: categories[seq % categories.length] ?? "authentication",
    action: seq % 7 === 0 ? "metadata_download" : "dist_download",
    severity: outcome === "success" ? "info" : "warning",
    outcome,
    user: token,
    actor: { type: "token", id: token, auth_method: "bearer" },
    ip_address: `203.0.113.${seq % 251}`,
    user_agent: "Composer/2.7.1 (Linux; PHP 8.3.4)",
    request_id: `req_${hex(seq * 40503, 16)}`,
    target: { type: "package", name: `acme/widget-${seq % 997}`, version: `1.${seq % 13}.${seq % 101}` },
    details: {
      dist_reference: hex(seq * 2246822519, 40),
      bytes: 10_000 + ((seq * 7919) % 5_000_000),
      cache: seq % 3 === 0 ? "miss" : "hit",
    },
  };
}

/** A ULID-shaped id, increasing with seq. */
export function syntheticEventId(seq: number): string {
  let text = "";
  for (let rest = seq; text.length < 16; rest = Math.floor(rest / 32))
    text = (CROCKFORD[rest % 32] ?? "0") + text;
  return `01JH0000AB${text}`;
}

/** The stored row of an event (canonical JSON and its leaf hash). */
export function syntheticRow(
  seq: number,
  event: Record<string, unknown> = syntheticEvent(seq),
): StoredAuditRow {
  const canonical = canonicalJson(event);
  return { seq, id: String(event.id), canonical, leafHash: leafHashHex(canonical) };
}

export function buildSyntheticAuditLog(options: SyntheticAuditLogOptions): SyntheticAuditLog {
  const { size, signer, purgedThrough = 0 } = options;
  const origin = options.origin ?? signer.name;
  const wanted = new Set(options.checkpointSizes);
  const rows: StoredAuditRow[] = [];
  const checkpoints: (KnownCheckpoint & { size: number })[] = [];
  const states = new Map<number, MerkleAccumulatorState>();
  const tree = new MerkleAccumulator();
  const checkpointAt = (): void => {
    states.set(tree.size, tree.toState());
    if (!wanted.has(tree.size)) return;
    const note = signCheckpoint({ origin, size: tree.size, rootHash: tree.root() }, signer);
    checkpoints.push({ note, size: tree.size, source: `synthetic@${tree.size}` });
  };
  checkpointAt();
  for (let seq = 1; seq <= size; seq++) {
    const row = syntheticRow(seq);
    rows.push(seq <= purgedThrough ? { ...row, canonical: null } : row);
    tree.appendHex(row.leafHash);
    if (wanted.has(seq)) checkpointAt();
  }
  return { origin, rows, checkpoints, states };
}

function hex(seed: number, length: number): string {
  let text = "";
  for (let state = seed % 4294967296; text.length < length;) {
    state = (Math.imul(state ^ (state >>> 15), 2246822507) + 0x9e3779b9) >>> 0;
    text += state.toString(16).padStart(8, "0");
  }
  return text.slice(0, length);
}
