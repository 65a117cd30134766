import { generateKeyPairSync } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { consoleContext } from "../audit/audit-event.ts";
import { rowToEvent } from "../audit/audit-row.ts";
import { auditTrail } from "../audit/audit-trail.ts";
import { openCheckpoint } from "../audit/integrity/checkpoint.ts";
import { createNoteVerifier, formatVerifierKey, parseVerifierKey } from "../audit/integrity/signed-note.ts";
import { MerkleAccumulator } from "../audit/integrity/merkle.ts";
import { loadConfig } from "../config/load-config.ts";
import { createLogger } from "../observability/logger.ts";
import { openRuntime, type Runtime } from "../runtime.ts";
import { runCliCaptured, type CliRun } from "../../test/support/run-cli-captured.ts";

let root: string;
let env: Record<string, string>;
let opsLog: string;
/** The operational log the server wrote while the log grew (JSON lines). */
const logLines: string[] = [];

function cli(args: readonly string[]): Promise<CliRun> {
  return runCliCaptured(args, env);
}

/** The runtime as the server opens it, its operational log captured. */
async function withServerRuntime<T>(work: (runtime: Runtime) => Promise<T>): Promise<T> {
  const logger = createLogger({
    level: "info",
    destination: {
      write: (line: string) => {
        logLines.push(line);
      },
    },
  });
  const runtime = await openRuntime(loadConfig(env), logger);
  try {
    return await work(runtime);
  } finally {
    await runtime.close();
  }
}

async function grow(runtime: Runtime, count: number): Promise<void> {
  const trail = auditTrail(runtime.audit.log, consoleContext);
  await Promise.all(
    Array.from({ length: count }, (_, index) =>
      trail.record({ event: "package", action: "uploaded", outcome: "success", details: { index } }),
    ),
  );
  await runtime.audit.checkpointer.checkpointNow();
}

beforeAll(async () => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), "pb-audit-cli-"));
  env = { PB_DATA_DIR: path.join(root, "data"), PB_BASE_URL: "http://broker.test" };
  opsLog = path.join(root, "ops.log");
  await withServerRuntime(async (runtime) => {
    await grow(runtime, 20);
    await grow(runtime, 15);
  });
  fs.writeFileSync(opsLog, logLines.join(""));
});

afterAll(() => {
  fs.rmSync(root, { recursive: true, force: true });
});

describe("audit verify", () => {
  it("verifies an intact log: exit 0, JSON and human output", async () => {
    const run = await cli(["audit", "verify", "--json"]);
    expect(run.code, run.stderr).toBe(0);
    const result = JSON.parse(run.stdout) as { ok: boolean; size: number; checkpoint: { size: number } };
    expect(result).toMatchObject({ ok: true, checkpoint: { size: result.size } });
    expect(Object.keys(result).sort()).toEqual(["checkpoint", "ok", "size"]);

    const human = await cli(["audit", "verify"]);
    expect(human.code).toBe(0);
    expect(human.stdout).toMatch(/^Audit log verified: \d+ events\.\n {2}Checkpoints: 2 from the database/);
    // The verification of the first run is itself an event: checked row by row, after the checkpoint.
    expect(human.stdout).toMatch(/1 events after it are checked row by row only/);
  });

  it("records each verification as an audit event of the console", async () => {
    await cli(["audit", "verify", "--json"]);
    const row = await withServerRuntime((runtime) => runtime.audit.records.latestEvent("audit", "verified"));
    expect(rowToEvent(row!)).toMatchObject({
      event: "audit",
      action: "verified",
      outcome: "success",
      actor: { type: "console", auth_method: "cli" },
      details: { database_checkpoints: 2, external_checkpoints: 0, key_pinned: false },
    });
  });

  it("checks the checkpoints of the operational log with --against", async () => {
    const run = await cli(["audit", "verify", "--against", opsLog]);
    expect(run.code, run.stdout + run.stderr).toBe(0);
    expect(run.stdout).toContain(`2 from the database, 2 from ${opsLog}`);
  });

  it("prints the latest checkpoint with `audit checkpoint`, signing one when the log grew", async () => {
    const run = await cli(["audit", "checkpoint", "--json"]);
    expect(run.code, run.stderr).toBe(0);
    const checkpoint = JSON.parse(run.stdout) as { size: number; note: string };
    const key = await withServerRuntime((runtime) => Promise.resolve(runtime.audit.verifier));
    expect(openCheckpoint(checkpoint.note, [key]).checkpoint.size).toBe(checkpoint.size);
    const human = await cli(["audit", "checkpoint"]);
    expect(human.stdout).toMatch(/^broker\.test\/audit\n\d+\n\S+\n\n\u2014 broker\.test\/audit \S+\n$/);
  });

  it("trusts only the pinned key with --key", async () => {
    const good = await withServerRuntime((runtime) => Promise.resolve(runtime.audit.verifierKey));
    expect((await cli(["audit", "verify", "--key", good])).code).toBe(0);
    const keyFile = path.join(root, "audit.vkey");
    fs.writeFileSync(keyFile, `${good}\n`);
    expect((await cli(["audit", "verify", "--key", keyFile])).code).toBe(0);

    const other = formatVerifierKey(
      createNoteVerifier({
        name: "broker.test/audit",
        publicKey: generateKeyPairSync("ed25519").publicKey,
      }),
    );
    expect(parseVerifierKey(other).name).toBe("broker.test/audit");
    const run = await cli(["audit", "verify", "--json", "--key", other]);
    expect(run.code).toBe(1);
    expect(JSON.parse(run.stdout)).toMatchObject({ ok: false, reason: "bad-signature" });
  });

  it("exits 2 for an unreadable file, a file without checkpoints, or a malformed key", async () => {
    const missing = await cli(["audit", "verify", "--against", path.join(root, "nope.log")]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("CheckpointFileUnreadable");
    const empty = path.join(root, "empty.log");
    fs.writeFileSync(empty, '{"level":"info","message":"Request completed"}\n');
    const none = await cli(["audit", "verify", "--against", empty]);
    expect(none.code).toBe(2);
    expect(none.stderr).toContain("CheckpointFileEmpty");
    expect((await cli(["audit", "verify", "--key", "not+a+key"])).code).toBe(2);
  });

  it("detects a truncated table with --against, exit 1 and the first missing seq", async () => {
    const cut = await withServerRuntime(async (runtime) => {
      const { db } = runtime.database;
      const first = (await runtime.audit.records.checkpoints())[0]!;
      for (const trigger of ["audit_logs_no_delete", "audit_checkpoints_no_delete"]) {
        await sql.raw(`drop trigger ${trigger}`).execute(db);
      }
      await db.deleteFrom("audit_logs").where("seq", ">", first.size).execute();
      await db.deleteFrom("audit_checkpoints").where("size", ">", first.size).execute();
      const tree = new MerkleAccumulator();
      for await (const row of runtime.audit.records.scan()) tree.appendHex(row.leaf_hash);
      const state = tree.toState();
      await db
        .updateTable("audit_state")
        .set({ size: state.size, frontier: JSON.stringify(state.frontier) })
        .where("id", "=", 1)
        .execute();
      return first.size;
    });

    // The database alone looks consistent ...
    const alone = await cli(["audit", "verify", "--json"]);
    expect(alone.code, alone.stdout).toBe(0);
    // ... the checkpoints saved from the operational log are not.
    const run = await cli(["audit", "verify", "--json", "--against", opsLog]);
    expect(run.code).toBe(1);
    const result = JSON.parse(run.stdout) as Record<string, unknown>;
    expect(result).toMatchObject({ ok: false, firstBadSeq: cut + 2, reason: "inconsistent-checkpoint" });
    expect(Object.keys(result).sort()).toEqual(["detail", "firstBadSeq", "ok", "reason"]);

    const human = await cli(["audit", "verify", "--against", opsLog]);
    expect(human.code).toBe(1);
    expect(human.stdout).toMatch(/^Audit log verification FAILED at seq \d+: inconsistent-checkpoint\n/);
    const row = await withServerRuntime((runtime) => runtime.audit.records.latestEvent("audit", "verified"));
    expect(rowToEvent(row!)).toMatchObject({
      outcome: "failure",
      details: { reason: "inconsistent-checkpoint", against: opsLog },
    });
  });
});
