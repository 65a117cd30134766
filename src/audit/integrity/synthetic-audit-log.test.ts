import { generateKeyPairSync } from "node:crypto";
import { describe, expect, it } from "vitest";
import { canonicalJson } from "./canonical-json.ts";
import { openCheckpoint } from "./checkpoint.ts";
import { MerkleAccumulator } from "./merkle-accumulator.ts";
import { leafHashHex } from "./merkle-hash.ts";
import { createNoteSigner, createNoteVerifier } from "./signed-note.ts";
import {
  buildSyntheticAuditLog,
  syntheticEvent,
  syntheticEventId,
  syntheticRow,
} from "./synthetic-audit-log.ts";

describe("synthetic audit log", () => {
  const { privateKey, publicKey } = generateKeyPairSync("ed25519");
  const signer = createNoteSigner({ name: "synthetic.example/log", privateKey });
  const verifier = createNoteVerifier({ name: "synthetic.example/log", publicKey });

  it("builds the same event for the same seq, shaped like the envelope, about 500-600 bytes", () => {
    expect(syntheticEvent(42)).toEqual(syntheticEvent(42));
    const row = syntheticRow(4242);
    expect(row.canonical).toBe(canonicalJson(syntheticEvent(4242)));
    expect(row.leafHash).toBe(leafHashHex(row.canonical ?? ""));
    expect(JSON.parse(row.canonical ?? "")).toMatchObject({ seq: 4242, id: row.id, schema_version: 1 });
    const sizes = [1, 999, 123_456, 9_999_999].map((seq) =>
      Buffer.byteLength(syntheticRow(seq).canonical ?? ""),
    );
    for (const size of sizes) expect(size).toBeGreaterThan(450);
    for (const size of sizes) expect(size).toBeLessThan(650);
  });

  it("gives unique, increasing, ULID-shaped ids", () => {
    const ids = [1, 2, 31, 32, 33, 1_000_000].map(syntheticEventId);
    expect([...ids].sort()).toEqual(ids);
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of ids) expect(id).toMatch(/^[0-9A-HJKMNP-TV-Z]{26}$/);
  });

  it("signs checkpoints at the sizes asked, keeps the tree states, and purges the oldest payloads", () => {
    const log = buildSyntheticAuditLog({
      size: 100,
      checkpointSizes: [1, 64, 100],
      signer,
      purgedThrough: 10,
    });
    expect(log.rows.map((row) => row.seq)).toEqual(Array.from({ length: 100 }, (_, i) => i + 1));
    expect(log.rows.filter((row) => row.canonical === null).map((row) => row.seq)).toEqual(
      Array.from({ length: 10 }, (_, i) => i + 1),
    );
    expect(log.checkpoints.map((checkpoint) => checkpoint.size)).toEqual([1, 64, 100]);
    const tree = new MerkleAccumulator();
    for (const row of log.rows) {
      tree.appendHex(row.leafHash);
      const checkpoint = log.checkpoints.find((candidate) => candidate.size === tree.size);
      if (checkpoint === undefined) continue;
      const opened = openCheckpoint(checkpoint.note, [verifier], { origin: "synthetic.example/log" });
      expect(opened.checkpoint.rootHash.equals(tree.root())).toBe(true);
      expect(log.states.get(tree.size)).toEqual(tree.toState());
    }
    expect(log.states.get(0)).toEqual({ size: 0, frontier: [] });
  });
});
