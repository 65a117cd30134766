import { canonicalJson } from "./canonical-json.ts";
import { leafHashOf, verifyInclusion } from "./merkle-inclusion.ts";
import { bytesToHex, equalBytes, hexToBytes } from "./proof-bytes.ts";
import { CheckpointError, openCheckpoint, parseVerifierKey } from "./signed-checkpoint.ts";

/** What the browser checks an event's inclusion proof with (all as the API returned them). */
export interface EventProofInput {
  /** GET /audit/public-key. */
  readonly verifierKey: string;
  /** GET /audit/checkpoint: the signed note the proof must lead to. */
  readonly checkpointNote: string;
  /** GET /api/audit/events/{id}/proof?size=<the checkpoint's size>. */
  readonly proof: {
    readonly event: unknown;
    readonly leafIndex: number;
    readonly leafHash: string;
    readonly treeSize: number;
    readonly proof: readonly string[];
  };
}

export type EventProofResult =
  | {
      readonly ok: true;
      readonly checkpointSize: number;
      /** `<name>+<hex key ID>` of the key that signed the checkpoint. */
      readonly signedBy: string;
      readonly leafHash: string;
    }
  | { readonly ok: false; readonly reason: EventProofFailure; readonly detail: string };

export type EventProofFailure =
  | "bad-key"
  | "bad-checkpoint"
  | "bad-signature"
  | "wrong-origin"
  | "wrong-size"
  | "leaf-mismatch"
  | "not-included";

/**
 * Checks, without trusting anything the server computed: the checkpoint note is signed by the
 * verifier key and names its origin; the event's canonical JSON hashes to the proof's leaf; the
 * proof is for the checkpoint's tree size and leads from that leaf at index seq - 1 to the
 * checkpoint's root. Never throws.
 */
export async function verifyEventProof(input: EventProofInput): Promise<EventProofResult> {
  let checkpoint;
  let keyName;
  try {
    const key = await parseVerifierKey(input.verifierKey);
    keyName = key.name;
    checkpoint = await openCheckpoint(input.checkpointNote, key);
  } catch (error) {
    if (!(error instanceof CheckpointError)) throw error;
    const reason =
      error.reason === "bad-key"
        ? "bad-key"
        : error.reason === "malformed"
          ? "bad-checkpoint"
          : "bad-signature";
    return fail(reason, error.message);
  }
  if (checkpoint.origin !== keyName) {
    return fail("wrong-origin", `the checkpoint is of log ${checkpoint.origin}, the key is of ${keyName}`);
  }
  const { proof } = input;
  if (proof.treeSize !== checkpoint.size) {
    return fail(
      "wrong-size",
      `the proof is for ${proof.treeSize} events, the checkpoint for ${checkpoint.size}`,
    );
  }
  let leafHash;
  let seq: unknown;
  try {
    leafHash = await leafHashOf(canonicalJson(proof.event));
    seq = (proof.event as { seq?: unknown } | null)?.seq;
  } catch (error) {
    return fail("leaf-mismatch", error instanceof Error ? error.message : "the event cannot be hashed");
  }
  const claimed = hexToBytes(proof.leafHash);
  if (claimed === undefined || !equalBytes(leafHash, claimed)) {
    return fail("leaf-mismatch", "the event does not hash to the proof's leaf");
  }
  if (seq !== proof.leafIndex + 1) {
    return fail(
      "leaf-mismatch",
      `the proof is for leaf ${proof.leafIndex}, the event's seq is ${String(seq)}`,
    );
  }
  const path = proof.proof.map(hexToBytes);
  const nodes = path.filter((node) => node !== undefined);
  const included =
    nodes.length === path.length &&
    (await verifyInclusion(leafHash, proof.leafIndex, checkpoint.size, nodes, checkpoint.rootHash));
  if (!included) return fail("not-included", "the proof does not lead to the checkpoint's root");
  return {
    ok: true,
    checkpointSize: checkpoint.size,
    signedBy: checkpoint.signedBy,
    leafHash: bytesToHex(leafHash),
  };
}

function fail(reason: EventProofFailure, detail: string): EventProofResult {
  return { ok: false, reason, detail };
}
