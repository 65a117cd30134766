import { createPublicKey, generateKeyPairSync } from "node:crypto";
import { sql } from "kysely";
import { afterEach, describe, expect, it } from "vitest";
import { createTestDatabase, testEngines, type EngineName } from "../../test/support/test-databases.ts";
import { ManualClock } from "../clock/clock.ts";
import { createLogger } from "../observability/logger.ts";
import { AuditRecords } from "../storage/database/audit-records.ts";
import type { DatabaseHandle } from "../storage/database/database-handle.ts";
import { AuditCheckpointer } from "./audit-checkpointer.ts";
import { consoleContext, type AuditEventInput } from "./audit-event.ts";
import { AuditLog } from "./audit-log.ts";
import { auditTrail } from "./audit-trail.ts";
import { AuditVerification } from "./audit-verification.ts";
import { readCheckpointFile } from "./checkpoint-file.ts";
import { canonicalJson } from "./integrity/canonical-json.ts";
import { leafHashHex, MerkleAccumulator } from "./integrity/merkle.ts";
import { createNoteSigner, createNoteVerifier, type NoteVerifier } from "./integrity/signed-note.ts";
import { rowToEvent } from "./audit-row.ts";

const ORIGIN = "broker.test/audit";

/** An audit log on a real database, with a checkpoint key and a captured operational log. */
interface Fixture {
  readonly handle: DatabaseHandle;
  readonly records: AuditRecords;
  readonly log: AuditLog;
  readonly checkpointer: AuditCheckpointer;
  readonly verifier: NoteVerifier;
  readonly verification: AuditVerification;
  /** The operational log as written (JSON lines). */
  readonly logText: () => string;
}

function keyPair(): {
  checkpointer: (records: AuditRecords, lines: string[]) => AuditCheckpointer;
  verifier: NoteVerifier;
} {
  const { privateKey } = generateKeyPairSync("ed25519");
  const signer = createNoteSigner({ name: ORIGIN, privateKey });
  const verifier = createNoteVerifier({ name: ORIGIN, publicKey: createPublicKey(privateKey) });
  return {
    verifier,
    checkpointer: (records, lines) =>
      new AuditCheckpointer({
        records,
        signer,
        origin: ORIGIN,
        clock: new ManualClock(),
        logger: createLogger({
          level: "info",
          destination: {
            write: (line: string) => {
              lines.push(line);
            },
          },
        }),
        policy: { everyEvents: 1_000_000, everyMs: 3_600_000 },
      }),
  };
}

function event(index: number): AuditEventInput {
  return {
    event: index % 2 === 0 ? "token" : "package_access",
    action: index % 2 === 0 ? "created" : "download",
    outcome: "success",
    target: { type: "package", name: `acme/pkg-${index}`, version: "1.0.0" },
    details: { index, note: "naïve ✓", nested: { list: [1, 2.5, "x"] } },
  };
}

async function append(log: AuditLog, from: number, count: number): Promise<void> {
  await Promise.all(Array.from({ length: count }, (_, i) => log.append(event(from + i), consoleContext)));
}

/** Drops the append-only protection, as an attacker with database access would. */
async function allowTampering(fixture: Fixture, engine: EngineName): Promise<void> {
  const { db } = fixture.handle;
  if (engine === "postgres") {
    await sql`alter table audit_logs disable trigger user`.execute(db);
    await sql`alter table audit_checkpoints disable trigger user`.execute(db);
    return;
  }
  for (const trigger of [
    "audit_logs_no_update",
    "audit_logs_no_delete",
    "audit_checkpoints_no_update",
    "audit_checkpoints_no_delete",
  ]) {
    await sql.raw(`drop trigger ${trigger}`).execute(db);
  }
}

/** Removes rows from `fromSeq` on and every checkpoint above `keepSize`, and rewinds the tree. */
async function truncate(fixture: Fixture, fromSeq: number, keepSize: number): Promise<void> {
  const { db } = fixture.handle;
  await db.deleteFrom("audit_logs").where("seq", ">=", fromSeq).execute();
  await db.deleteFrom("audit_checkpoints").where("size", ">", keepSize).execute();
  await rebuildState(fixture);
}

/** Recomputes audit_state from the rows left, so that appends continue after them. */
async function rebuildState(fixture: Fixture): Promise<void> {
  const accumulator = new MerkleAccumulator();
  for await (const row of fixture.records.scan()) accumulator.appendHex(row.leaf_hash);
  const state = accumulator.toState();
  await fixture.handle.db
    .updateTable("audit_state")
    .set({ size: state.size, frontier: JSON.stringify(state.frontier) })
    .where("id", "=", 1)
    .execute();
}

describe.each(testEngines())("AuditVerification on %s", (engine) => {
  let fixture: Fixture | undefined;

  afterEach(async () => {
    await fixture?.log.flush();
    await fixture?.handle.close();
    fixture = undefined;
  });

  /** 30 events with checkpoints at 20 and 30. */
  async function open(): Promise<Fixture> {
    const handle = await createTestDatabase(engine);
    const records = new AuditRecords(handle.db);
    const lines: string[] = [];
    const keys = keyPair();
    const checkpointer = keys.checkpointer(records, lines);
    const log = new AuditLog({ records, clock: new ManualClock() });
    fixture = {
      handle,
      records,
      log,
      checkpointer,
      verifier: keys.verifier,
      verification: new AuditVerification({ records, verifier: keys.verifier, origin: ORIGIN }),
      logText: () => lines.join(""),
    };
    await append(log, 1, 20);
    await checkpointer.checkpointNow();
    await append(log, 21, 10);
    await checkpointer.checkpointNow();
    return fixture;
  }

  it("verifies an intact log up to its latest checkpoint", async () => {
    const f = await open();
    const report = await f.verification.verify();
    expect(report.result).toMatchObject({ ok: true, size: 30, checkpoint: { size: 30 } });
    expect(report.checkpoints).toEqual({ database: 2, external: 0 });
  });

  it("reports an edited column as hash-mismatch at its seq", async () => {
    const f = await open();
    await allowTampering(f, engine);
    await f.handle.db.updateTable("audit_logs").set({ outcome: "failure" }).where("seq", "=", 7).execute();
    expect((await f.verification.verify()).result).toMatchObject({
      ok: false,
      firstBadSeq: 7,
      reason: "hash-mismatch",
    });
  });

  it("reports a row whose JSON column does not parse as hash-mismatch at its seq, without crashing", async () => {
    const f = await open();
    await allowTampering(f, engine);
    await f.handle.db.updateTable("audit_logs").set({ details: "{not json" }).where("seq", "=", 11).execute();
    const { result } = await f.verification.verify();
    expect(result).toMatchObject({ ok: false, firstBadSeq: 11, reason: "hash-mismatch" });
    expect(result.ok ? "" : result.detail).toMatch(/seq 11 .*do not form an event/);
  });

  it("reports a deleted row as a gap", async () => {
    const f = await open();
    await allowTampering(f, engine);
    await f.handle.db.deleteFrom("audit_logs").where("seq", "=", 12).execute();
    expect((await f.verification.verify()).result).toMatchObject({
      ok: false,
      firstBadSeq: 12,
      reason: "gap",
    });
  });

  it("reports an edit with a recomputed hash against the signed checkpoint", async () => {
    const f = await open();
    await allowTampering(f, engine);
    const row = (await f.records.range(25, 1))[0]!;
    const forged = { ...rowToEvent(row), outcome: "denied" as const };
    await f.handle.db
      .updateTable("audit_logs")
      .set({ outcome: "denied", leaf_hash: leafHashHex(canonicalJson(forged)) })
      .where("seq", "=", 25)
      .execute();
    expect((await f.verification.verify()).result).toMatchObject({
      ok: false,
      firstBadSeq: 21,
      reason: "inconsistent-checkpoint",
    });
  });

  it("catches a truncated table only with the checkpoints saved from the operational log", async () => {
    const f = await open();
    const saved = readCheckpointFile(f.logText(), "ops.log");
    expect(saved.map((c) => c.note.split("\n")[1])).toEqual(["20", "30"]);
    await allowTampering(f, engine);
    await truncate(f, 21, 20);
    expect((await f.verification.verify()).result).toMatchObject({ ok: true, size: 20 });
    const report = await f.verification.verify({ external: saved });
    expect(report.result).toMatchObject({ ok: false, firstBadSeq: 21, reason: "inconsistent-checkpoint" });
    expect(report.checkpoints).toEqual({ database: 1, external: 2 });
  });

  it("catches a whole table rewritten with recomputed hashes and no (or newly keyed) checkpoints", async () => {
    const f = await open();
    const saved = readCheckpointFile(f.logText(), "ops.log");
    await allowTampering(f, engine);
    await truncate(f, 1, 0);
    await append(f.log, 1000, 30);
    // Rebuilt from scratch, hashes recomputed, no checkpoint: the rows alone look fine.
    expect((await f.verification.verify()).result).toMatchObject({ ok: true, size: 30, checkpoint: null });
    expect((await f.verification.verify({ external: saved })).result).toMatchObject({
      ok: false,
      firstBadSeq: 1,
      reason: "inconsistent-checkpoint",
    });

    // Re-signed under a key of the attacker's: refused unless that key is the trusted one...
    const attacker = keyPair();
    await attacker.checkpointer(f.records, []).checkpointNow();
    expect((await f.verification.verify()).result).toMatchObject({ ok: false, reason: "bad-signature" });
    // ... and even then the externally saved checkpoints, under the real key, do not verify.
    const swapped = await f.verification.verify({ trustedKey: attacker.verifier, external: saved });
    expect(swapped.result).toMatchObject({ ok: false, firstBadSeq: 20, reason: "bad-signature" });
  });

  it("records the outcome as an audit event", async () => {
    const f = await open();
    const trail = auditTrail(f.log, consoleContext);
    await f.verification.verifyAndRecord(trail, { details: { against: "ops.log" } });
    const ok = rowToEvent((await f.records.latestEvent("audit", "verified"))!);
    expect(ok).toMatchObject({
      outcome: "success",
      severity: "info",
      actor: { type: "console" },
      details: { size: 30, checkpoint_size: 30, database_checkpoints: 2, against: "ops.log" },
    });

    await allowTampering(f, engine);
    await f.handle.db.updateTable("audit_logs").set({ action: "deleted" }).where("seq", "=", 3).execute();
    await f.verification.verifyAndRecord(trail);
    const failed = rowToEvent((await f.records.latestEvent("audit", "verified"))!);
    expect(failed).toMatchObject({
      outcome: "failure",
      severity: "error",
      details: { first_bad_seq: 3, reason: "hash-mismatch" },
    });
  });
});
