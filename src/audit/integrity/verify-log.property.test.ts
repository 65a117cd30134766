import { createPrivateKey, createPublicKey } from "node:crypto";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { canonicalJson } from "./canonical-json.ts";
import { signCheckpoint } from "./checkpoint.ts";
import { leafHashHex } from "./merkle-hash.ts";
import { createNoteSigner, createNoteVerifier, signNote } from "./signed-note.ts";
import { buildSyntheticAuditLog, syntheticEvent, syntheticEventId } from "./synthetic-audit-log.ts";
import {
  verifyLog,
  type AuditRowSource,
  type KnownCheckpoint,
  type StoredAuditRow,
  type VerifyFailureReason,
  type VerifyLogResult,
} from "./verify-log.ts";

/**
 * Random tamperings of one 10,000-event log (built once) must all be detected, with the exact seq
 * where a row-level check can know it. Each run resumes from the saved tree state of the last
 * checkpoint before the tampering, so it hashes at most a few thousand rows.
 */

const SIZE = 10_000;
const PURGED_THROUGH = 300;
const CHECKPOINT_SIZES = [1, 3, 1000, 1337, 2000, 3000, 4000, 4097, 5000, 6000, 7000, 8000, 9000, 10_000];
const ORIGIN = "audit.example/log";

/** Fixed keys, so that every run signs the same bytes: an RFC 8410 PKCS#8 prefix and a 32-byte seed. */
function privateKeyFromSeed(byte: number) {
  const pkcs8 = Buffer.concat([
    Buffer.from("302e020100300506032b657004220420", "hex"),
    Buffer.alloc(32, byte),
  ]);
  return createPrivateKey({ key: pkcs8, format: "der", type: "pkcs8" });
}

const signer = createNoteSigner({ name: ORIGIN, privateKey: privateKeyFromSeed(1) });
const forger = createNoteSigner({ name: ORIGIN, privateKey: privateKeyFromSeed(2) }); // same name, another key
const verifier = createNoteVerifier({ name: ORIGIN, publicKey: createPublicKey(privateKeyFromSeed(1)) });

const log = buildSyntheticAuditLog({
  size: SIZE,
  checkpointSizes: CHECKPOINT_SIZES,
  signer,
  purgedThrough: PURGED_THROUGH,
});
const rows = log.rows;
const anchors = [0, ...CHECKPOINT_SIZES];

/** The largest checkpoint size strictly below seq (0 if none): the last anchor before it. */
const anchorBelow = (seq: number): number => anchors.filter((size) => size < seq).at(-1) ?? 0;

interface Scenario {
  readonly label: string;
  /** The tampered rows from array index `start` (seq start + 1) on. */
  readonly rows: (start: number) => Iterable<StoredAuditRow>;
  readonly checkpoints: readonly KnownCheckpoint[];
  /** Runs may resume from a saved state of size < this. */
  readonly resumeBelow: number;
  readonly check: (result: VerifyLogResult, envelope: boolean) => void;
}

const fromArray =
  (tampered: readonly StoredAuditRow[]) =>
  (start: number): Iterable<StoredAuditRow> =>
    tampered.slice(start);

function expectFailure(
  result: VerifyLogResult,
  reasons: readonly VerifyFailureReason[],
  firstBadSeq: number,
): void {
  if (result.ok) throw new Error(`tampering not detected: ${JSON.stringify(result)}`);
  expect(reasons).toContain(result.reason);
  expect(result.firstBadSeq).toBe(firstBadSeq);
}

function withRows(mutate: (copy: StoredAuditRow[]) => void): (start: number) => Iterable<StoredAuditRow> {
  const copy = [...rows];
  mutate(copy);
  return fromArray(copy);
}

const row = (seq: number): StoredAuditRow => rows[seq - 1]!;

const editableFields = ["action", "outcome", "user", "ip_address", "timestamp", "details"] as const;
function editedCanonical(seq: number, field: (typeof editableFields)[number]): string {
  const event = syntheticEvent(seq);
  const replacement: Record<(typeof editableFields)[number], unknown> = {
    action: "token_revoked",
    outcome: event.outcome === "denied" ? "success" : "denied",
    user: "tok_attacker",
    ip_address: "198.51.100.7",
    timestamp: "2020-02-02T02:02:02.000Z",
    details: { ...(event.details as object), bytes: 1 },
  };
  return canonicalJson({ ...event, [field]: replacement[field] });
}

function rawEdit(text: string, position: number): string {
  const at = position % text.length;
  const replacement = text[at] === "x" ? "y" : "x";
  return text.slice(0, at) + replacement + text.slice(at + 1);
}

function renumbered(seq: number, newSeq: number): StoredAuditRow {
  const canonical = canonicalJson({ ...syntheticEvent(seq), seq: newSeq });
  return { seq: newSeq, id: row(seq).id, canonical, leafHash: leafHashHex(canonical) };
}

function forgedRow(seq: number): StoredAuditRow {
  const canonical = canonicalJson({
    ...syntheticEvent(seq),
    id: syntheticEventId(SIZE + seq),
    action: "login",
  });
  return { seq, id: syntheticEventId(SIZE + seq), canonical, leafHash: leafHashHex(canonical) };
}

const noteAt = (size: number): string => {
  const found = log.checkpoints.find((checkpoint) => checkpoint.size === size);
  if (found === undefined) throw new Error(`no checkpoint ${size}`);
  return found.note;
};
const bodyOf = (note: string): string => note.slice(0, note.lastIndexOf("\n\n") + 1);
const genuine = log.checkpoints;
const replacing = (size: number, note: string): KnownCheckpoint[] =>
  genuine.map((checkpoint) => (checkpoint.size === size ? { note } : checkpoint));

const tamperings = fc.oneof(
  fc.record({
    kind: fc.constant("edit-payload" as const),
    seq: fc.integer({ min: PURGED_THROUGH + 1, max: SIZE }),
    field: fc.constantFrom(...editableFields),
    raw: fc.boolean(),
    position: fc.nat(),
  }),
  fc.record({
    kind: fc.constant("edit-payload-rehash" as const),
    seq: fc.integer({ min: PURGED_THROUGH + 1, max: SIZE }),
    field: fc.constantFrom(...editableFields),
  }),
  fc.record({ kind: fc.constant("delete-row" as const), seq: fc.integer({ min: 1, max: SIZE }) }),
  fc.record({
    kind: fc.constant("insert-duplicate" as const),
    seq: fc.integer({ min: 1, max: SIZE }),
    before: fc.boolean(),
  }),
  fc.record({ kind: fc.constant("insert-renumber" as const), seq: fc.integer({ min: 1, max: SIZE }) }),
  fc
    .record({
      kind: fc.constant("swap-positions" as const),
      a: fc.integer({ min: 1, max: SIZE }),
      b: fc.integer({ min: 1, max: SIZE }),
    })
    .filter(({ a, b }) => a !== b),
  fc
    .record({
      kind: fc.constant("swap-contents" as const),
      a: fc.integer({ min: PURGED_THROUGH + 1, max: SIZE }),
      b: fc.integer({ min: PURGED_THROUGH + 1, max: SIZE }),
    })
    .filter(({ a, b }) => a !== b),
  fc.record({
    kind: fc.constant("change-seq" as const),
    seq: fc.integer({ min: 1, max: SIZE }),
    to: fc.oneof(
      fc.integer({ min: -5, max: SIZE + 5 }),
      fc.constant(Number.NaN),
      fc.double({ min: 1, max: SIZE, noNaN: true }),
    ),
  }),
  fc.record({
    kind: fc.constant("edit-stored-hash" as const),
    seq: fc.integer({ min: 1, max: SIZE }),
    digit: fc.integer({ min: 0, max: 63 }),
  }),
  fc.record({
    kind: fc.constant("forge-checkpoint" as const),
    size: fc.constantFrom(...CHECKPOINT_SIZES),
    how: fc.constantFrom("other-key" as const, "known-key-id" as const, "added-beside" as const),
  }),
  fc.record({
    kind: fc.constant("alter-checkpoint" as const),
    size: fc.constantFrom(...CHECKPOINT_SIZES),
    byte: fc.integer({ min: 0, max: 31 }),
    newSize: fc.option(fc.integer({ min: 0, max: SIZE + 100 }), { nil: undefined }),
  }),
  fc.record({ kind: fc.constant("truncate" as const), length: fc.integer({ min: 0, max: SIZE - 1 }) }),
  fc.record({ kind: fc.constant("none" as const) }),
);

type Tampering = typeof tamperings extends fc.Arbitrary<infer T> ? T : never;

function scenario(t: Tampering): Scenario {
  switch (t.kind) {
    case "edit-payload": {
      const canonical = t.raw
        ? rawEdit(row(t.seq).canonical ?? "", t.position)
        : editedCanonical(t.seq, t.field);
      return {
        label: `edit payload of ${t.seq}`,
        rows: withRows((copy) => (copy[t.seq - 1] = { ...row(t.seq), canonical })),
        checkpoints: genuine,
        resumeBelow: t.seq,
        check: (result) => {
          expectFailure(result, ["hash-mismatch"], t.seq);
        },
      };
    }
    case "edit-payload-rehash": {
      const canonical = editedCanonical(t.seq, t.field);
      return {
        label: `edit payload of ${t.seq} and its hash`,
        rows: withRows(
          (copy) => (copy[t.seq - 1] = { ...row(t.seq), canonical, leafHash: leafHashHex(canonical) }),
        ),
        checkpoints: genuine,
        resumeBelow: anchorBelow(t.seq) + 1,
        check: (result) => {
          expectFailure(result, ["inconsistent-checkpoint"], anchorBelow(t.seq) + 1);
        },
      };
    }
    case "delete-row":
      return {
        label: `delete ${t.seq}`,
        rows: withRows((copy) => copy.splice(t.seq - 1, 1)),
        checkpoints: genuine,
        resumeBelow: t.seq,
        check: (result) => {
          // The last row gone looks like a truncated tail: the checkpoint at SIZE finds it.
          expectFailure(result, [t.seq === SIZE ? "inconsistent-checkpoint" : "gap"], t.seq);
        },
      };
    case "insert-duplicate": {
      const forged = forgedRow(t.seq);
      const coveredAtOnce = t.before && CHECKPOINT_SIZES.includes(t.seq);
      return {
        label: `insert a forged row ${t.seq} ${t.before ? "before" : "after"} the real one`,
        rows: withRows((copy) => copy.splice(t.before ? t.seq - 1 : t.seq, 0, forged)),
        checkpoints: genuine,
        resumeBelow: anchorBelow(t.seq) + 1,
        check: (result) => {
          // The forged row takes seq t.seq (its hash is right); the real one then repeats that seq,
          // unless a checkpoint at exactly t.seq catches the forged row first.
          if (coveredAtOnce) expectFailure(result, ["inconsistent-checkpoint"], anchorBelow(t.seq) + 1);
          else expectFailure(result, ["reorder"], t.seq + 1);
        },
      };
    }
    case "insert-renumber": {
      const forged = forgedRow(t.seq);
      return {
        label: `insert a row at ${t.seq}, renumber and rehash the rest`,
        rows: (start) => renumberedView(t.seq, forged, start),
        checkpoints: genuine,
        resumeBelow: anchorBelow(t.seq) + 1,
        check: (result) => {
          expectFailure(result, ["inconsistent-checkpoint"], anchorBelow(t.seq) + 1);
        },
      };
    }
    case "swap-positions": {
      const [first, second] = t.a < t.b ? [t.a, t.b] : [t.b, t.a];
      return {
        label: `swap rows ${first} and ${second}`,
        rows: withRows((copy) => {
          copy[first - 1] = row(second);
          copy[second - 1] = row(first);
        }),
        checkpoints: genuine,
        resumeBelow: first,
        check: (result) => {
          expectFailure(result, ["reorder", "gap"], first);
        },
      };
    }
    case "swap-contents": {
      const [first, second] = t.a < t.b ? [t.a, t.b] : [t.b, t.a];
      return {
        label: `swap the stored contents of ${first} and ${second}, seq kept`,
        rows: withRows((copy) => {
          copy[first - 1] = { ...row(second), seq: first };
          copy[second - 1] = { ...row(first), seq: second };
        }),
        checkpoints: genuine,
        resumeBelow: anchorBelow(first) + 1,
        check: (result, envelope) => {
          if (envelope) expectFailure(result, ["reorder"], first);
          else expectFailure(result, ["inconsistent-checkpoint"], anchorBelow(first) + 1);
        },
      };
    }
    case "change-seq": {
      const to = t.to === t.seq ? t.seq + 0.5 : t.to;
      return {
        label: `change seq ${t.seq} to ${to}`,
        rows: withRows((copy) => (copy[t.seq - 1] = { ...row(t.seq), seq: to })),
        checkpoints: genuine,
        resumeBelow: t.seq,
        check: (result) => {
          expectFailure(result, ["gap", "reorder"], t.seq);
        },
      };
    }
    case "edit-stored-hash": {
      const stored = row(t.seq).leafHash;
      const digit = stored[t.digit] === "0" ? "1" : "0";
      const leafHash = stored.slice(0, t.digit) + digit + stored.slice(t.digit + 1);
      const purged = t.seq <= PURGED_THROUGH;
      return {
        label: `edit the stored hash of ${t.seq}${purged ? " (payload purged)" : ""}`,
        rows: withRows((copy) => (copy[t.seq - 1] = { ...row(t.seq), leafHash })),
        checkpoints: genuine,
        resumeBelow: purged ? anchorBelow(t.seq) + 1 : t.seq,
        check: (result) => {
          // A purged row has only its stored hash: the next checkpoint is what catches the change.
          if (purged) expectFailure(result, ["inconsistent-checkpoint"], anchorBelow(t.seq) + 1);
          else expectFailure(result, ["hash-mismatch"], t.seq);
        },
      };
    }
    case "forge-checkpoint": {
      const body = bodyOf(noteAt(t.size));
      let note = signNote(body, forger);
      if (t.how === "known-key-id") {
        // The genuine key's ID, the forger's signature bytes.
        const genuineId = Buffer.alloc(4);
        genuineId.writeUInt32BE(signer.keyId);
        const line = note.slice(body.length + 1, -1);
        const blob = Buffer.from(line.slice(line.lastIndexOf(" ") + 1), "base64");
        genuineId.copy(blob, 0);
        note = `${body}\n— ${ORIGIN} ${blob.toString("base64")}\n`;
      }
      return {
        label: `forge the checkpoint at ${t.size} (${t.how})`,
        rows: fromArray(rows),
        checkpoints: t.how === "added-beside" ? [...genuine, { note }] : replacing(t.size, note),
        resumeBelow: t.size,
        check: (result) => {
          expectFailure(result, ["bad-signature"], t.size);
        },
      };
    }
    case "alter-checkpoint": {
      const note = noteAt(t.size);
      const [origin, size, root, ...rest] = note.split("\n");
      const rootBytes = Buffer.from(root ?? "", "base64");
      rootBytes[t.byte] = (rootBytes[t.byte] ?? 0) ^ 0x20;
      const newSize = t.newSize !== undefined && t.newSize !== t.size ? t.newSize : undefined;
      const altered = [
        origin,
        newSize ?? size,
        newSize === undefined ? rootBytes.toString("base64") : root,
        ...rest,
      ].join("\n");
      const claimed = newSize ?? t.size;
      const reportedAt = Math.min(Math.max(claimed, 1), SIZE + 1);
      return {
        label: `alter the ${newSize === undefined ? "root" : `size (to ${newSize})`} of the checkpoint at ${t.size}`,
        rows: fromArray(rows),
        checkpoints: replacing(t.size, altered),
        resumeBelow: Math.max(Math.min(claimed, t.size), 1),
        check: (result) => {
          expectFailure(result, ["bad-signature"], reportedAt);
        },
      };
    }
    case "truncate":
      return {
        label: `truncate to ${t.length} rows`,
        rows: withRows((copy) => copy.splice(t.length)),
        checkpoints: genuine,
        resumeBelow: t.length + 1,
        check: (result) => {
          expectFailure(result, ["inconsistent-checkpoint"], t.length + 1);
        },
      };
    case "none":
      return {
        label: "no tampering",
        rows: fromArray(rows),
        checkpoints: genuine,
        resumeBelow: SIZE + 1,
        check: (result) => {
          expect(result).toMatchObject({ ok: true, size: SIZE, checkpoint: { size: SIZE } });
        },
      };
  }
}

/** Rows with a forged row inserted at `at` and every later row renumbered and rehashed, lazily. */
function* renumberedView(at: number, forged: StoredAuditRow, start: number): Generator<StoredAuditRow> {
  for (let seq = start + 1; seq <= SIZE + 1; seq++) {
    if (seq < at) yield row(seq);
    else if (seq === at) yield forged;
    else yield row(seq - 1).canonical === null ? { ...row(seq - 1), seq } : renumbered(seq - 1, seq);
  }
}

async function* inPages(source: Iterable<StoredAuditRow>): AsyncGenerator<readonly StoredAuditRow[]> {
  let page: StoredAuditRow[] = [];
  for (const item of source) {
    page.push(item);
    if (page.length === 250) {
      await Promise.resolve();
      yield page;
      page = [];
    }
  }
  yield page;
}

describe("verifyLog under random tampering (property)", () => {
  it("detects every tampering, at the exact seq where the rows themselves show it", async () => {
    const labels = new Map<string, number>();
    await fc.assert(
      fc.asyncProperty(
        tamperings,
        fc.boolean(),
        fc.integer({ min: 0, max: 19 }),
        fc.integer({ min: 0, max: 9 }),
        async (tampering, envelope, resumeDice, sourceDice) => {
          const s = scenario(tampering);
          labels.set(tampering.kind, (labels.get(tampering.kind) ?? 0) + 1);
          // Usually resume from the last saved state before the tampering; sometimes verify it all.
          const start = resumeDice === 0 ? 0 : (anchors.filter((size) => size < s.resumeBelow).at(-1) ?? 0);
          const resumeFrom = log.states.get(start);
          const source: AuditRowSource = sourceDice === 0 ? inPages(s.rows(start)) : s.rows(start);
          const result = await verifyLog({
            rows: source,
            checkpoints: s.checkpoints,
            verifiers: [verifier],
            origin: ORIGIN,
            checkEnvelope: envelope,
            ...(resumeFrom === undefined ? {} : { resumeFrom }),
          });
          try {
            s.check(result, envelope);
          } catch (error) {
            throw new Error(
              `${s.label} (resumed at ${start}, envelope ${envelope}): ${JSON.stringify(result)}`,
              {
                cause: error,
              },
            );
          }
        },
      ),
      { seed: 20260611, numRuns: 1000 },
    );
    // Every kind of tampering was exercised many times.
    expect(labels.size).toBe(13);
    for (const count of labels.values()) expect(count).toBeGreaterThan(30);
  }, 180_000);

  it("detects two payload edits at the first of them", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.uniqueArray(fc.integer({ min: PURGED_THROUGH + 1, max: SIZE }), { minLength: 2, maxLength: 2 }),
        async (seqs) => {
          const tampered = [...rows];
          for (const seq of seqs)
            tampered[seq - 1] = { ...row(seq), canonical: editedCanonical(seq, "action") };
          const first = Math.min(...seqs);
          const start = anchorBelow(first);
          const result = await verifyLog({
            rows: tampered.slice(start),
            checkpoints: genuine,
            verifiers: [verifier],
            resumeFrom: log.states.get(start) ?? { size: 0, frontier: [] },
          });
          expectFailure(result, ["hash-mismatch"], first);
        },
      ),
      { seed: 8785, numRuns: 100 },
    );
  });

  it("verifies the untouched log from scratch", async () => {
    const result = await verifyLog({
      rows,
      checkpoints: genuine,
      verifiers: [verifier],
      checkEnvelope: true,
    });
    expect(result).toMatchObject({ ok: true, size: SIZE, checkpoint: { size: SIZE, note: noteAt(SIZE) } });
    // A checkpoint signed by the log key over a root no row set produces is a fork or a lie.
    const lie = signCheckpoint({ origin: ORIGIN, size: 500, rootHash: Buffer.alloc(32) }, signer);
    expect(
      await verifyLog({ rows, checkpoints: [...genuine, { note: lie }], verifiers: [verifier] }),
    ).toMatchObject({
      ok: false,
      reason: "inconsistent-checkpoint",
      firstBadSeq: 4,
    });
  });
});
