import { generateKeyPairSync } from "node:crypto";
import { describe, expect, it } from "vitest";
import { canonicalJson } from "./canonical-json.ts";
import { formatCheckpoint, signCheckpoint } from "./checkpoint.ts";
import { emptyRoot, leafHashHex } from "./merkle-hash.ts";
import { createNoteSigner, createNoteVerifier, signNote } from "./signed-note.ts";
import { buildSyntheticAuditLog, syntheticEvent, syntheticRow } from "./synthetic-audit-log.ts";
import {
  LogVerifier,
  verifyLog,
  type KnownCheckpoint,
  type StoredAuditRow,
  type VerifyLogInput,
  type VerifyLogResult,
} from "./verify-log.ts";

const ORIGIN = "audit.example/log";
const keys = generateKeyPairSync("ed25519");
const signer = createNoteSigner({ name: ORIGIN, privateKey: keys.privateKey });
const verifier = createNoteVerifier({ name: ORIGIN, publicKey: keys.publicKey });
const forgerKeys = generateKeyPairSync("ed25519");
const forger = createNoteSigner({ name: ORIGIN, privateKey: forgerKeys.privateKey });

const log = buildSyntheticAuditLog({ size: 50, checkpointSizes: [10, 20, 37, 50], signer, purgedThrough: 5 });
const rows = log.rows;
const checkpoints: readonly KnownCheckpoint[] = log.checkpoints;
const checkpointAt = (size: number): KnownCheckpoint => {
  const found = log.checkpoints.find((checkpoint) => checkpoint.size === size);
  if (found === undefined) throw new Error(`no checkpoint at ${size}`);
  return found;
};

function verify(overrides: Partial<VerifyLogInput> = {}): Promise<VerifyLogResult> {
  return verifyLog({ rows, checkpoints, verifiers: [verifier], origin: ORIGIN, ...overrides });
}

const replaceRow = (seq: number, row: StoredAuditRow): StoredAuditRow[] =>
  rows.map((original) => (original.seq === seq ? row : original));
const editedEvent = (seq: number): string =>
  canonicalJson({ ...syntheticEvent(seq), action: "token_revoked" });

describe("verifyLog on an intact log", () => {
  it("verifies every row and reports the last checkpoint", async () => {
    const result = await verify();
    expect(result).toEqual({
      ok: true,
      size: 50,
      checkpoint: {
        size: 50,
        rootHash: expect.stringMatching(/^[A-Za-z0-9+/]{43}=$/) as unknown,
        note: checkpointAt(50).note,
      },
    });
  });

  it("reads async rows, async pages, and mixes of both", async () => {
    async function* oneByOne(): AsyncGenerator<StoredAuditRow> {
      for (const row of rows) {
        await Promise.resolve();
        yield row;
      }
    }
    async function* pages(): AsyncGenerator<StoredAuditRow | readonly StoredAuditRow[]> {
      yield rows.slice(0, 7);
      await Promise.resolve();
      yield rows[7]!;
      yield rows.slice(8, 30);
      yield [];
      yield rows.slice(30);
    }
    expect((await verify({ rows: oneByOne() })).ok).toBe(true);
    expect((await verify({ rows: pages() })).ok).toBe(true);
  });

  it("verifies without checkpoints (nothing anchored) and an empty log", async () => {
    expect(await verify({ checkpoints: [] })).toEqual({ ok: true, size: 50, checkpoint: null });
    expect(await verify({ rows: [], checkpoints: [] })).toEqual({ ok: true, size: 0, checkpoint: null });
    const empty = signCheckpoint({ origin: ORIGIN, size: 0, rootHash: emptyRoot() }, signer);
    expect(await verify({ rows: [], checkpoints: [{ note: empty }] })).toMatchObject({
      ok: true,
      checkpoint: { size: 0 },
    });
  });

  it("accepts the same checkpoint twice (database and an outside copy) and unknown extra signatures", async () => {
    const witness = createNoteSigner({ name: "witness.example", privateKey: forgerKeys.privateKey });
    const cosigned = signCheckpoint({ origin: ORIGIN, size: 37, rootHash: rootAt(37) }, [signer, witness]);
    const result = await verify({ checkpoints: [...checkpoints, { note: cosigned, source: "--against" }] });
    expect(result.ok).toBe(true);
  });

  it("accepts stored hashes in upper case", async () => {
    const upper = rows.map((row) => ({ ...row, leafHash: row.leafHash.toUpperCase() }));
    expect((await verify({ rows: upper })).ok).toBe(true);
  });
});

function rootAt(size: number): Buffer {
  const state = log.states.get(size);
  if (state === undefined) throw new Error(`no state at ${size}`);
  const verifierForState = new LogVerifier({ checkpoints: [], verifiers: [], resumeFrom: state });
  expect(verifierForState.size).toBe(size);
  // The checkpoint note holds the root; read it back from there.
  const note = checkpointAt(size).note;
  return Buffer.from(note.split("\n")[2]!, "base64");
}

describe("verifyLog finds tampering", () => {
  it("an edited payload: hash-mismatch at exactly that seq", async () => {
    const row = rows[22]!;
    const result = await verify({ rows: replaceRow(23, { ...row, canonical: editedEvent(23) }) });
    expect(result).toMatchObject({ ok: false, reason: "hash-mismatch", firstBadSeq: 23 });
  });

  it("an edited stored hash: hash-mismatch at that seq, or the checkpoint if the payload was purged", async () => {
    const bumped = (hex: string): string => (hex.startsWith("0") ? "1" : "0") + hex.slice(1);
    expect(
      await verify({ rows: replaceRow(8, { ...rows[7]!, leafHash: bumped(rows[7]!.leafHash) }) }),
    ).toMatchObject({
      reason: "hash-mismatch",
      firstBadSeq: 8,
    });
    expect(
      await verify({ rows: replaceRow(3, { ...rows[2]!, leafHash: bumped(rows[2]!.leafHash) }) }),
    ).toMatchObject({
      reason: "inconsistent-checkpoint",
      firstBadSeq: 1,
    });
    expect(await verify({ rows: replaceRow(3, { ...rows[2]!, leafHash: "not hex" }) })).toMatchObject({
      reason: "hash-mismatch",
      firstBadSeq: 3,
    });
  });

  it("an edit with the hash recomputed: the checkpoint covering it, from the last good one", async () => {
    const canonical = editedEvent(25);
    const result = await verify({
      rows: replaceRow(25, { ...rows[24]!, canonical, leafHash: leafHashHex(canonical) }),
    });
    expect(result).toMatchObject({ ok: false, reason: "inconsistent-checkpoint", firstBadSeq: 21 });
    expect(result.ok || result.detail).toMatch(/seq 21\.\.37/);
  });

  it("a deleted row: a gap at its seq", async () => {
    expect(await verify({ rows: rows.filter((row) => row.seq !== 14) })).toMatchObject({
      reason: "gap",
      firstBadSeq: 14,
    });
    expect(await verify({ rows: rows.slice(1) })).toMatchObject({ reason: "gap", firstBadSeq: 1 });
  });

  it("swapped rows: a reorder at the first", async () => {
    const swapped = [...rows];
    [swapped[11], swapped[12]] = [swapped[12]!, swapped[11]!];
    expect(await verify({ rows: swapped })).toMatchObject({ reason: "reorder", firstBadSeq: 12 });
    const far = [...rows];
    [far[11], far[30]] = [far[30]!, far[11]!];
    expect(await verify({ rows: far })).toMatchObject({ reason: "gap", firstBadSeq: 12 });
  });

  it("a repeated or nonsensical seq: a reorder where the row appears", async () => {
    const repeated = [...rows.slice(0, 16), rows[15]!, ...rows.slice(16)];
    expect(await verify({ rows: repeated })).toMatchObject({ reason: "reorder", firstBadSeq: 17 });
    expect(await verify({ rows: replaceRow(9, { ...rows[8]!, seq: Number.NaN }) })).toMatchObject({
      reason: "reorder",
      firstBadSeq: 9,
    });
  });

  it("a truncated tail: inconsistent-checkpoint just after the end", async () => {
    const result = await verify({ rows: rows.slice(0, 44) });
    expect(result).toMatchObject({ ok: false, reason: "inconsistent-checkpoint", firstBadSeq: 45 });
    expect(result.ok || result.detail).toMatch(/truncated/);
  });

  it("a checkpoint re-signed by another key, or with its root or size altered: bad-signature at its size", async () => {
    const forged = signCheckpoint({ origin: ORIGIN, size: 20, rootHash: rootAt(20) }, forger);
    expect(await verify({ checkpoints: [...checkpoints, { note: forged }] })).toMatchObject({
      reason: "bad-signature",
      firstBadSeq: 20,
    });
    const note = checkpointAt(37).note;
    const lines = note.split("\n");
    const otherRoot = Buffer.from(lines[2]!, "base64");
    otherRoot[0] = otherRoot[0]! ^ 1;
    const alteredRoot = [lines[0], lines[1], otherRoot.toString("base64"), ...lines.slice(3)].join("\n");
    expect(await verify({ checkpoints: [{ note: alteredRoot }] })).toMatchObject({
      reason: "bad-signature",
      firstBadSeq: 37,
    });
    const alteredSize = note.replace("\n37\n", "\n36\n");
    expect(await verify({ checkpoints: [{ note: alteredSize }] })).toMatchObject({
      reason: "bad-signature",
      firstBadSeq: 36,
    });
  });

  it("an unreadable checkpoint, one of another origin, or an unverifiable one past the end", async () => {
    expect(await verify({ checkpoints: [{ note: "garbage" }] })).toMatchObject({
      reason: "bad-signature",
      firstBadSeq: 1,
    });
    const elsewhere = signCheckpoint({ origin: "other.example/log", size: 10, rootHash: rootAt(10) }, signer);
    const result = await verify({ checkpoints: [{ note: elsewhere, source: "export.zip" }] });
    expect(result).toMatchObject({ reason: "bad-signature", firstBadSeq: 10 });
    expect(result.ok || result.detail).toMatch(/export\.zip/);
    const beyond = signCheckpoint({ origin: ORIGIN, size: 60, rootHash: rootAt(50) }, forger);
    expect(await verify({ checkpoints: [{ note: beyond }] })).toMatchObject({
      reason: "bad-signature",
      firstBadSeq: 51,
    });
  });

  it("two validly signed checkpoints of one size with different roots (a fork)", async () => {
    const fork = signCheckpoint({ origin: ORIGIN, size: 20, rootHash: rootAt(10) }, signer);
    for (const order of [
      [...checkpoints, { note: fork }],
      [{ note: fork }, ...checkpoints],
    ]) {
      expect(await verify({ checkpoints: order })).toMatchObject({
        reason: "inconsistent-checkpoint",
        firstBadSeq: 11,
      });
    }
  });

  it("reports the first problem by seq", async () => {
    const tampered = replaceRow(30, { ...rows[29]!, canonical: editedEvent(30) });
    const forged = signCheckpoint({ origin: ORIGIN, size: 20, rootHash: rootAt(20) }, forger);
    expect(await verify({ rows: tampered, checkpoints: [...checkpoints, { note: forged }] })).toMatchObject({
      reason: "bad-signature",
      firstBadSeq: 20,
    });
    const earlier = replaceRow(15, { ...rows[14]!, canonical: editedEvent(15) });
    expect(await verify({ rows: earlier, checkpoints: [...checkpoints, { note: forged }] })).toMatchObject({
      reason: "hash-mismatch",
      firstBadSeq: 15,
    });
  });

  it("cannot see a rehashed edit after the last checkpoint: those rows are not anchored yet", async () => {
    const short = checkpoints.filter((checkpoint) => checkpoint.note !== checkpointAt(50).note);
    const canonical = editedEvent(45);
    const result = await verify({
      rows: replaceRow(45, { ...rows[44]!, canonical, leafHash: leafHashHex(canonical) }),
      checkpoints: short,
    });
    expect(result).toMatchObject({ ok: true, size: 50, checkpoint: { size: 37 } });
  });
});

describe("checkEnvelope", () => {
  it("pins a payload moved to another seq (with its hash) to that seq", async () => {
    const moved = rows.map((row) =>
      row.seq === 30
        ? { ...rows[30]!, seq: 30, id: row.id }
        : row.seq === 31
          ? { ...rows[29]!, seq: 31, id: row.id }
          : row,
    );
    expect(await verify({ rows: moved })).toMatchObject({
      reason: "inconsistent-checkpoint",
      firstBadSeq: 21,
    });
    expect(await verify({ rows: moved, checkEnvelope: true })).toMatchObject({
      reason: "reorder",
      firstBadSeq: 30,
    });
  });

  it("checks the id and that the payload is a JSON object", async () => {
    expect(
      await verify({
        rows: replaceRow(12, { ...rows[11]!, id: "01JH0000AB000000000000000X" }),
        checkEnvelope: true,
      }),
    ).toMatchObject({
      reason: "hash-mismatch",
      firstBadSeq: 12,
    });
    const notJson = "not json";
    const broken = replaceRow(12, { ...rows[11]!, canonical: notJson, leafHash: leafHashHex(notJson) });
    expect(await verify({ rows: broken, checkEnvelope: true })).toMatchObject({
      reason: "hash-mismatch",
      firstBadSeq: 12,
    });
    const array = replaceRow(12, { ...rows[11]!, canonical: "[]", leafHash: leafHashHex("[]") });
    expect(await verify({ rows: array, checkEnvelope: true })).toMatchObject({
      reason: "hash-mismatch",
      firstBadSeq: 12,
    });
    expect((await verify({ checkEnvelope: true })).ok).toBe(true);
  });
});

describe("resumeFrom", () => {
  it("starts from a saved state and checks the checkpoints from there on", async () => {
    const state = log.states.get(20)!;
    expect(await verify({ rows: rows.slice(20), resumeFrom: state })).toMatchObject({ ok: true, size: 50 });
    const tampered = rows
      .slice(20)
      .map((row) => (row.seq === 33 ? { ...row, canonical: editedEvent(33) } : row));
    expect(await verify({ rows: tampered, resumeFrom: state })).toMatchObject({
      reason: "hash-mismatch",
      firstBadSeq: 33,
    });
    expect(await verify({ rows: rows.slice(21), resumeFrom: state })).toMatchObject({
      reason: "gap",
      firstBadSeq: 21,
    });
  });

  it("compares the checkpoint at the starting size, and still checks older signatures", async () => {
    const wrongState = log.states.get(10)!;
    const lying = { size: 20, frontier: [...wrongState.frontier.slice(0, 1), wrongState.frontier[0]!] };
    expect(await verify({ rows: rows.slice(20), resumeFrom: lying })).toMatchObject({
      reason: "inconsistent-checkpoint",
      firstBadSeq: 21,
    });
    const forged = signCheckpoint({ origin: ORIGIN, size: 10, rootHash: rootAt(10) }, forger);
    expect(
      await verify({
        rows: rows.slice(20),
        resumeFrom: log.states.get(20)!,
        checkpoints: [...checkpoints, { note: forged }],
      }),
    ).toMatchObject({ reason: "bad-signature", firstBadSeq: 10 });
  });
});

describe("LogVerifier", () => {
  it("keeps returning its first failure and stops the source early", async () => {
    const sink = new LogVerifier({ checkpoints, verifiers: [verifier] });
    expect(sink.push(rows[0]!)).toBeUndefined();
    const failure = sink.push(rows[2]!); // held: seq 3 where 2 belongs
    expect(failure).toBeUndefined();
    const verdict = sink.push(rows[3]!);
    expect(verdict).toMatchObject({ reason: "gap", firstBadSeq: 2 });
    expect(sink.push(rows[1]!)).toBe(verdict);
    expect(sink.finish()).toBe(verdict);

    let closed = false;
    async function* source(): AsyncGenerator<StoredAuditRow> {
      try {
        for (const row of rows) {
          await Promise.resolve();
          yield row.seq === 4 ? { ...row, canonical: "{}" } : row;
        }
      } finally {
        closed = true;
      }
    }
    expect(await verify({ rows: source() })).toMatchObject({ reason: "hash-mismatch", firstBadSeq: 4 });
    expect(closed).toBe(true);
  });

  it("reports a seq that runs ahead on the last row as a gap", () => {
    const sink = new LogVerifier({ checkpoints: [], verifiers: [] });
    sink.pushAll(rows.slice(0, 5));
    expect(sink.push({ ...syntheticRow(9) })).toBeUndefined();
    expect(sink.finish()).toMatchObject({ reason: "gap", firstBadSeq: 6 });
  });

  it("does not verify checkpoints without keys", async () => {
    expect(await verify({ verifiers: [] })).toMatchObject({ reason: "bad-signature", firstBadSeq: 10 });
    // Unsigned, so not even a note: nothing about it can be trusted, and it is reported first.
    const unsigned = `${formatCheckpoint({ origin: ORIGIN, size: 10, rootHash: rootAt(10) })}\n`;
    expect(await verify({ checkpoints: [{ note: unsigned }] })).toMatchObject({
      reason: "bad-signature",
      firstBadSeq: 1,
    });
    const plainNote = signNote("hello\n", signer);
    expect(await verify({ checkpoints: [{ note: plainNote }] })).toMatchObject({
      reason: "bad-signature",
      firstBadSeq: 1,
    });
  });
});
