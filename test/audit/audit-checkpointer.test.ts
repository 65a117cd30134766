import { generateKeyPairSync } from "node:crypto";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { AuditCheckpointer } from "../../src/audit/audit-checkpointer.ts";
import { systemContext } from "../../src/audit/audit-event.ts";
import { AuditLog } from "../../src/audit/audit-log.ts";
import { auditTrail } from "../../src/audit/audit-trail.ts";
import { CHECKPOINT_LOG_MESSAGE } from "../../src/audit/checkpoint-file.ts";
import { openCheckpoint } from "../../src/audit/integrity/checkpoint.ts";
import { rootFromLeafHashes } from "../../src/audit/integrity/merkle.ts";
import {
  createNoteSigner,
  createNoteVerifier,
  parseVerifierKey,
} from "../../src/audit/integrity/signed-note.ts";
import { verifyLog } from "../../src/audit/integrity/verify-log.ts";
import { rowToEvent } from "../../src/audit/audit-row.ts";
import { canonicalJson } from "../../src/audit/integrity/canonical-json.ts";
import { ManualClock } from "../../src/clock/clock.ts";
import { createLogger } from "../../src/observability/logger.ts";
import { AuditRecords, type AuditCheckpointRow } from "../../src/storage/database/audit-records.ts";
import type { DatabaseHandle } from "../../src/storage/database/database-handle.ts";
import { TestRuntime } from "../builders/test-runtime.ts";
import { storedAuditEvents } from "../support/audit-schema.ts";
import { createTestDatabase } from "../support/test-databases.ts";

describe("AuditCheckpointer in the runtime", () => {
  let runtime: TestRuntime;

  beforeEach(async () => {
    runtime = await TestRuntime.start({ env: { PB_AUDIT_CHECKPOINT_EVENTS: "5" } });
  });

  afterEach(async () => {
    await storedAuditEvents(runtime.runtime.audit.records);
    await runtime.cleanup();
  });

  const audit = () => runtime.runtime.audit;

  async function appendOneByOne(count: number): Promise<void> {
    const trail = auditTrail(audit().log, systemContext);
    for (let i = 0; i < count; i++) {
      await trail.record({ event: "system", action: "probe", outcome: "success", details: { i } });
    }
    await audit().log.flush();
  }

  /** The "Audit checkpoint" lines of the operational log, by size. */
  function loggedCheckpoints(): Map<number, string> {
    const logged = new Map<number, string>();
    for (const line of runtime.logLines) {
      if (line.message !== CHECKPOINT_LOG_MESSAGE) continue;
      const context = line.context as { size: number; rootHash: string; checkpoint: string };
      logged.set(context.size, context.checkpoint);
    }
    return logged;
  }

  /** The checkpoint is signed by the runtime's key, logged as stored, and its root is the tree's. */
  async function expectSound(checkpoint: AuditCheckpointRow): Promise<void> {
    const opened = openCheckpoint(checkpoint.note, [audit().verifier], { origin: audit().origin });
    expect(opened.checkpoint.size).toBe(checkpoint.size);
    // The published verifier key (GET /audit/public-key) opens it too.
    expect(openCheckpoint(checkpoint.note, [parseVerifierKey(audit().verifierKey)]).checkpoint.size).toBe(
      checkpoint.size,
    );
    const leaves = await audit().records.leafHashes(1, checkpoint.size);
    expect(leaves).toHaveLength(checkpoint.size);
    const root = rootFromLeafHashes(leaves.map((hex) => Buffer.from(hex, "hex")));
    expect(opened.checkpoint.rootHash.equals(root)).toBe(true);
    expect(checkpoint.rootHash).toBe(root.toString("hex"));
    expect(loggedCheckpoints().get(checkpoint.size)).toBe(checkpoint.note);
  }

  it("stores a checkpoint after every PB_AUDIT_CHECKPOINT_EVENTS events, without being asked", async () => {
    // checkpoint_key_created and migrated are events 1 and 2.
    expect((await audit().records.state()).size).toBe(2);
    expect(await audit().records.checkpoints()).toEqual([]);
    await appendOneByOne(2);
    expect(await audit().records.checkpoints()).toEqual([]);
    await appendOneByOne(1);
    const [first] = await audit().records.checkpoints();
    expect(first?.size).toBe(5);
    await expectSound(first!);

    await appendOneByOne(5);
    const sizes = (await audit().records.checkpoints()).map((checkpoint) => checkpoint.size);
    expect(sizes).toEqual([5, 10]);
    for (const checkpoint of await audit().records.checkpoints()) await expectSound(checkpoint);
    await storedAuditEvents(audit().records);
  });

  it("a batch that crosses the threshold is checkpointed at its committed size", async () => {
    const trail = auditTrail(audit().log, systemContext);
    await Promise.all(
      Array.from({ length: 9 }, () => trail.record({ event: "system", action: "probe", outcome: "success" })),
    );
    await audit().log.flush();
    const checkpoints = await audit().records.checkpoints();
    expect(checkpoints.map((checkpoint) => checkpoint.size)).toEqual([11]);
    await expectSound(checkpoints[0]!);
  });

  it("checkpointNow() signs the current tree, once", async () => {
    await appendOneByOne(1);
    const now = await audit().checkpointer.checkpointNow();
    expect(now?.size).toBe(3);
    await expectSound(now!);
    const logged = runtime.logLines.filter((line) => line.message === CHECKPOINT_LOG_MESSAGE).length;
    // Nothing new: the same checkpoint, not a second one.
    expect(await audit().checkpointer.checkpointNow()).toEqual(now);
    expect(runtime.logLines.filter((line) => line.message === CHECKPOINT_LOG_MESSAGE)).toHaveLength(logged);
    // Counting restarts from the checkpoint: the next automatic one is 5 events later.
    await appendOneByOne(4);
    expect((await audit().records.checkpoints()).map((checkpoint) => checkpoint.size)).toEqual([3]);
    await appendOneByOne(1);
    expect((await audit().records.checkpoints()).map((checkpoint) => checkpoint.size)).toEqual([3, 8]);
  });

  it("stop() signs a final checkpoint of everything appended", async () => {
    await appendOneByOne(4); // a checkpoint at 5; then one more event
    await audit().checkpointer.stop();
    const checkpoints = await audit().records.checkpoints();
    expect(checkpoints.map((checkpoint) => checkpoint.size)).toEqual([5, 6]);
    for (const checkpoint of checkpoints) await expectSound(checkpoint);
  });

  it("the stored log verifies against every checkpoint", async () => {
    await appendOneByOne(12);
    await audit().checkpointer.checkpointNow();
    const rows = await audit().records.range(1, 100);
    const result = await verifyLog({
      rows: rows.map((row) => ({
        seq: row.seq,
        id: row.id,
        canonical: canonicalJson(rowToEvent(row)),
        leafHash: row.leaf_hash,
      })),
      checkpoints: (await audit().records.checkpoints()).map((checkpoint) => ({ note: checkpoint.note })),
      verifiers: [audit().verifier],
      origin: audit().origin,
      checkEnvelope: true,
    });
    expect(result).toMatchObject({ ok: true, size: 14, checkpoint: { size: 14 } });
  });
});

describe("AuditCheckpointer on its own", () => {
  let database: DatabaseHandle;

  beforeEach(async () => {
    database = await createTestDatabase("sqlite");
  });

  afterEach(async () => {
    vi.useRealTimers();
    await storedAuditEvents(new AuditRecords(database.db));
    await database.close();
  });

  function setup(policy: { everyEvents: number; everyMs: number }) {
    const records = new AuditRecords(database.db);
    const { privateKey, publicKey } = generateKeyPairSync("ed25519");
    const lines: Record<string, unknown>[] = [];
    const logger = createLogger({
      level: "info",
      destination: {
        write: (line: string) => {
          lines.push(JSON.parse(line) as Record<string, unknown>);
        },
      },
    });
    const clock = new ManualClock();
    const checkpointer = new AuditCheckpointer({
      records,
      signer: createNoteSigner({ name: "broker.test/audit", privateKey }),
      origin: "broker.test/audit",
      clock,
      logger,
      policy,
    });
    const log = new AuditLog({
      records,
      clock,
      onCommitted: (state, root) => checkpointer.committed(state, root),
    });
    const verifier = createNoteVerifier({ name: "broker.test/audit", publicKey });
    return { records, checkpointer, log, lines, verifier };
  }

  it("signs every everyMs while events keep coming, and not when nothing changed", async () => {
    vi.useFakeTimers({ toFake: ["setInterval", "clearInterval"] });
    const { records, checkpointer, log, lines, verifier } = setup({ everyEvents: 1000, everyMs: 60_000 });
    checkpointer.start();
    await log.append({ event: "system", action: "probe", outcome: "success" }, systemContext);
    await log.flush();
    expect(await records.checkpoints()).toEqual([]);
    await vi.advanceTimersByTimeAsync(60_000);
    await vi.waitFor(async () => {
      expect((await records.checkpoints()).map((checkpoint) => checkpoint.size)).toEqual([1]);
    });
    await vi.advanceTimersByTimeAsync(60_000);
    await log.append({ event: "system", action: "probe", outcome: "success" }, systemContext);
    await vi.advanceTimersByTimeAsync(60_000);
    await vi.waitFor(async () => {
      expect((await records.checkpoints()).map((checkpoint) => checkpoint.size)).toEqual([1, 2]);
    });
    await checkpointer.stop();
    expect((await records.checkpoints()).map((checkpoint) => checkpoint.size)).toEqual([1, 2]);
    const notes = lines.filter((line) => line.message === CHECKPOINT_LOG_MESSAGE);
    expect(notes).toHaveLength(2);
    for (const line of notes) {
      const note = (line.context as { checkpoint: string }).checkpoint;
      expect(openCheckpoint(note, [verifier]).checkpoint.origin).toBe("broker.test/audit");
    }
  });

  it("flush() of the log waits for the checkpoint its commit started", async () => {
    const { records, log } = setup({ everyEvents: 2, everyMs: 60_000 });
    void log.append({ event: "system", action: "probe", outcome: "success" }, systemContext);
    void log.append({ event: "system", action: "probe", outcome: "success" }, systemContext);
    await log.flush();
    expect((await records.checkpoints()).map((checkpoint) => checkpoint.size)).toEqual([2]);
  });

  it("an empty log gets no checkpoint", async () => {
    const { records, checkpointer } = setup({ everyEvents: 1, everyMs: 60_000 });
    expect(await checkpointer.checkpointNow()).toBeNull();
    await checkpointer.stop();
    expect(await records.checkpoints()).toEqual([]);
  });
});
