import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { answerWorker } from "../../src/cluster/answer-worker.ts";
import { AuditTurns } from "../../src/cluster/audit-turns.ts";
import type { PrimaryMessage, WorkerMessage } from "../../src/cluster/cluster-messages.ts";
import { MetricsGathering } from "../../src/cluster/metrics-gathering.ts";
import { PrimaryLink } from "../../src/cluster/primary-link.ts";
import { createSilentLogger } from "../../src/observability/logger.ts";
import { storedAuditEvents } from "../support/audit-schema.ts";
import { TestRuntime, type TestToken } from "../builders/test-runtime.ts";

/** A worker of `serve`, in this process: its runtime, and its link to the primary. */
interface Worker {
  readonly runtime: TestRuntime;
  readonly link: PrimaryLink;
  /** Closes the fake IPC channel, as when the primary dies. */
  disconnect(): void;
}

/**
 * The audit log of `serve` with workers: the primary and two workers (runtimes on one SQLite
 * file, wired as serve-primary.ts and serve-worker.ts wire them, over a fake IPC channel that
 * delivers asynchronously). In one process the test also shows why the turns exist: two
 * connections of one thread that both wanted SQLite's write lock would wait for each other
 * inside better-sqlite3's busy handler.
 */
describe("workers commit their audit events in the primary's turns", () => {
  let shared: string;
  let env: Record<string, string>;
  let turns: AuditTurns;
  let primary: TestRuntime;
  let workers: Worker[];
  let reader: TestToken;

  beforeEach(async () => {
    shared = fs.mkdtempSync(path.join(os.tmpdir(), "pb-turns-"));
    env = {
      PB_DATA_DIR: path.join(shared, "data"),
      PB_DATABASE_URL: path.join(shared, "data", "broker.sqlite"),
      PB_AUDIT_CHECKPOINT_EVENTS: "10",
    };
    turns = new AuditTurns();
    primary = await TestRuntime.start({
      env,
      runtimeOptions: { auditExclusive: (commit) => turns.exclusive(commit) },
    });
    workers = [await startWorker(), await startWorker()];
    const admin = await primary.createToken({ scopes: ["admin", "write"] });
    reader = await primary.createToken();
    await primary.publish("acme/red", "1.0.0", admin.token);
  });

  afterEach(async () => {
    for (const worker of workers) await worker.runtime.cleanup();
    await primary.cleanup();
    fs.rmSync(shared, { recursive: true, force: true });
  });

  function workerAt(index: number): Worker {
    const worker = workers[index];
    if (worker === undefined) throw new Error(`no worker ${index}`);
    return worker;
  }

  async function startWorker(): Promise<Worker> {
    const owner = {};
    let connected = true;
    const link: PrimaryLink = new PrimaryLink((message: WorkerMessage) => {
      if (!connected) throw new Error("channel closed");
      const copy = structuredClone(message);
      setImmediate(() => {
        answerWorker(
          owner,
          copy,
          {
            turns,
            checkpointer: primary.runtime.audit.checkpointer,
            metrics: new MetricsGathering({ own: () => Promise.resolve([]), peers: () => [] }),
            logger: createSilentLogger(),
          },
          (reply: PrimaryMessage) => {
            if (!connected) throw new Error("channel closed");
            setImmediate(() => {
              link.receive(structuredClone(reply));
            });
          },
        );
      });
    });
    const runtime = await TestRuntime.start({
      env,
      runtimeOptions: { auditExclusive: link.exclusive, remoteSigner: link },
    });
    return {
      runtime,
      link,
      disconnect: () => {
        connected = false;
        link.disconnected();
        turns.forget(owner);
      },
    };
  }

  it("commits every answered request's event, one process at a time, with seq contiguous", async () => {
    let inside = 0;
    let most = 0;
    for (const runtime of [...workers.map((worker) => worker.runtime), primary]) {
      const records = runtime.runtime.audit.records;
      const append = records.append.bind(records);
      records.append = async (build) => {
        inside += 1;
        most = Math.max(most, inside);
        try {
          return await append(build);
        } finally {
          inside -= 1;
        }
      };
    }
    const requests = Array.from({ length: 60 }, (_, i) =>
      workerAt(i % 2).runtime.request("/p2/acme/red.json", {
        token: reader.token,
        headers: { "x-request-id": `turns-${i}` },
      }),
    );
    const responses = await Promise.all(requests);
    expect(responses.map((response) => response.status)).toEqual(Array(60).fill(200));
    expect(most).toBe(1);

    const events = await storedAuditEvents(primary.runtime.audit.records);
    expect(events.map((event) => event.seq)).toEqual(events.map((_, i) => i + 1));
    const recorded = new Set(events.map((event) => event.request_id));
    for (let i = 0; i < 60; i++) expect(recorded.has(`turns-${i}`), `turns-${i}`).toBe(true);
  });

  it("has the primary sign the checkpoints the workers' commits make due, and none in the workers", async () => {
    const before = (await primary.runtime.audit.records.checkpoints()).length;
    for (let i = 0; i < 30; i++) {
      await workerAt(i % 2).runtime.request("/p2/acme/red.json", { token: reader.token });
    }
    await primary.runtime.audit.log.flush();
    await primary.runtime.audit.checkpointer.checkpointNow();
    const checkpoints = await primary.runtime.audit.records.checkpoints();
    // At least one every 10 events came from the reported sizes, not only the final one.
    expect(checkpoints.length - before).toBeGreaterThanOrEqual(3);
    const signedBy = (runtime: TestRuntime) =>
      runtime.logLines.filter((line) => line.message === "Audit checkpoint").length;
    expect(signedBy(primary)).toBe(checkpoints.length);
    for (const worker of workers) expect(signedBy(worker.runtime)).toBe(0);
    // A worker asks the primary when it needs a checkpoint now (an audit proof).
    await workerAt(0).runtime.request("/p2/acme/red.json", { token: reader.token });
    await workerAt(0).runtime.runtime.audit.log.flush();
    const latest = await workerAt(0).link.checkpointNow();
    expect(latest?.size).toBe((await primary.runtime.audit.records.state()).size);
  });

  it("takes the turn back from a worker that is gone, and fails what waits in a worker whose primary is gone", async () => {
    const [first, second] = [workerAt(0), workerAt(1)];
    // The first worker holds a turn when its channel closes (it died halfway).
    let holding: () => void = () => undefined;
    const held = first.link.exclusive(
      () =>
        new Promise<void>((resolve) => {
          holding = resolve;
        }),
    );
    await new Promise((resolve) => setTimeout(resolve, 20));
    first.disconnect();
    const answered = await second.runtime.request("/p2/acme/red.json", { token: reader.token });
    expect(answered.status).toBe(200);
    holding();
    await held;

    const waiting = first.runtime.request("/p2/acme/red.json", { token: reader.token });
    expect((await waiting).status).toBe(500);
    await first.runtime.runtime.audit.log.flush();
  });
});
