import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { Worker } from "node:worker_threads";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { systemContext, type AuditEvent } from "../../src/audit/audit-event.ts";
import { AuditLog } from "../../src/audit/audit-log.ts";
import { ManualClock, systemClock } from "../../src/clock/clock.ts";
import { AuditRecords } from "../../src/storage/database/audit-records.ts";
import type { DatabaseHandle } from "../../src/storage/database/database-handle.ts";
import { migrateToLatest } from "../../src/storage/database/migrate-to-latest.ts";
import { openPostgresDatabase } from "../../src/storage/database/postgres-database.ts";
import { openSqliteDatabase } from "../../src/storage/database/sqlite-database.ts";
import { TestRuntime } from "../builders/test-runtime.ts";
import { expectContiguousVerifiedLog } from "../support/contiguous-verified-log.ts";
import type { AppendWorkerInput, AppendWorkerMessage } from "../support/audit-append-worker.ts";
import { storedAuditEvents } from "../support/audit-schema.ts";
import { createPostgresDatabase, createTestDatabase, testEngines } from "../support/test-databases.ts";

/** Counts the transactions of an AuditRecords (one per `append`), optionally holding each until released. */
function countTransactions(records: AuditRecords): { readonly count: () => number; hold: () => () => void } {
  const original = records.append.bind(records);
  let count = 0;
  let gate: Promise<void> = Promise.resolve();
  records.append = async (build) => {
    count += 1;
    await gate;
    return original(build);
  };
  return {
    count: () => count,
    hold: () => {
      let release = (): void => undefined;
      gate = new Promise<void>((resolve) => {
        release = resolve;
      });
      return () => {
        gate = Promise.resolve();
        release();
      };
    },
  };
}

const turns = async (n: number): Promise<void> => {
  for (let i = 0; i < n; i++) await new Promise<void>((resolve) => setImmediate(resolve));
};

describe("an HTTP request's event is committed before its response", () => {
  let runtime: TestRuntime;

  beforeEach(async () => {
    runtime = await TestRuntime.start();
  });

  afterEach(async () => {
    await storedAuditEvents(runtime.runtime.audit.records);
    await runtime.cleanup();
  });

  it("app.request() does not resolve while the commit of its event is held", async () => {
    const token = await runtime.createToken();
    await runtime.request("/packages.json", { token: token.token }); // token_accepted, out of the way
    const records = runtime.runtime.audit.records;
    const transactions = countTransactions(records);
    const release = transactions.hold();
    let answered = false;
    const pending = runtime.request("/packages.json", { token: token.token }).then((response) => {
      answered = true;
      return response;
    });
    await turns(20);
    expect(transactions.count()).toBe(1);
    expect(answered).toBe(false);
    const sizeBefore = (await records.state()).size;
    release();
    const response = await pending;
    expect(response.status).toBe(200);
    const [row] = await records.range(sizeBefore + 1, 10);
    expect(row).toMatchObject({
      event: "package_access",
      action: "packages_json",
      request_id: response.headers.get("x-request-id"),
    });
  });

  it("whatever the request's outcome, its event is in the table when the response arrives", async () => {
    const read = await runtime.createToken();
    const admin = await runtime.createToken({ scopes: ["admin"] });
    await runtime.publish("acme/widget", "1.0.0", admin.token);
    const requests: [string, Parameters<TestRuntime["request"]>[1], string][] = [
      ["/packages.json", {}, "credentials_missing"],
      ["/packages.json", { token: read.token }, "packages_json"],
      ["/p2/acme/widget.json", { token: read.token }, "metadata"],
      ["/p2/acme/missing.json", { token: read.token }, "metadata"],
      ["/api/tokens", { token: read.token, method: "POST", body: { description: "x" } }, "scope_denied"],
      [
        "/downloads",
        {
          token: read.token,
          method: "POST",
          body: { downloads: [{ name: "acme/widget", version: "1.0.0.0" }] },
        },
        "install_notification",
      ],
      ["/api/tokens", { token: admin.token, method: "POST", body: { description: "ci" } }, "created"],
    ];
    for (const [url, init, action] of requests) {
      const response = await runtime.request(url, init);
      const requestId = response.headers.get("x-request-id");
      // Read straight away: no flush, no waiting.
      const state = await runtime.runtime.audit.records.state();
      const rows = await runtime.runtime.audit.records.range(Math.max(1, state.size - 3), 10);
      expect(
        rows.filter((row) => row.request_id === requestId).map((row) => row.action),
        `${url} -> ${response.status}`,
      ).toContain(action);
    }
    await storedAuditEvents(runtime.runtime.audit.records);
  });
});

describe.each(testEngines())("group commit on %s", (engine) => {
  let database: DatabaseHandle;

  beforeEach(async () => {
    database = await createTestDatabase(engine);
  });

  afterEach(async () => {
    await storedAuditEvents(new AuditRecords(database.db));
    await database.close();
  });

  it("500 concurrent appends share a few transactions; seq is 1..500 without duplicates", async () => {
    const records = new AuditRecords(database.db);
    const transactions = countTransactions(records);
    const log = new AuditLog({ records, clock: new ManualClock() });
    const appended = await Promise.all(
      Array.from({ length: 500 }, (_, n) =>
        log.append({ event: "system", action: "probe", outcome: "success", details: { n } }, systemContext),
      ),
    );
    expect(transactions.count()).toBeLessThan(10);
    // Each append got its own committed event, in the order of the calls.
    expect(appended.map((event) => event.seq)).toEqual(Array.from({ length: 500 }, (_, i) => i + 1));
    expect(appended.map((event) => event.details.n)).toEqual(Array.from({ length: 500 }, (_, i) => i));
    const stored = await expectContiguousVerifiedLog(records, 500);
    expect(stored).toEqual(appended);
  });

  it("appends that arrive while a commit runs join the next one", async () => {
    const records = new AuditRecords(database.db);
    const transactions = countTransactions(records);
    const log = new AuditLog({ records, clock: new ManualClock() });
    const release = transactions.hold();
    const first = log.append({ event: "system", action: "first", outcome: "success" }, systemContext);
    await turns(3);
    expect(transactions.count()).toBe(1);
    // The first commit is running (held): these 200, from many turns of the event loop, queue up.
    const later: Promise<AuditEvent>[] = [];
    for (let turn = 0; turn < 20; turn++) {
      for (let i = 0; i < 10; i++) {
        later.push(log.append({ event: "system", action: "later", outcome: "success" }, systemContext));
      }
      await turns(1);
    }
    expect(transactions.count()).toBe(1);
    release();
    await Promise.all([first, ...later]);
    expect(transactions.count()).toBe(2);
    await expectContiguousVerifiedLog(records, 201);
  });

  it("a failed commit rejects its appends and leaves no trace; the next commit continues the sequence", async () => {
    const records = new AuditRecords(database.db);
    const log = new AuditLog({ records, clock: new ManualClock() });
    await log.append({ event: "system", action: "ok", outcome: "success" }, systemContext);
    const original = records.append.bind(records);
    records.append = (build) =>
      original((state) => {
        const built = build(state);
        // A row the table refuses (a duplicate seq) makes the whole transaction fail.
        return { ...built, rows: [...built.rows, { ...built.rows[0]! }] };
      });
    const failed = await Promise.allSettled([
      log.append({ event: "system", action: "lost", outcome: "success" }, systemContext),
      log.append({ event: "system", action: "lost", outcome: "success" }, systemContext),
    ]);
    expect(failed.map((result) => result.status)).toEqual(["rejected", "rejected"]);
    records.append = original;
    expect(
      await log.append({ event: "system", action: "ok", outcome: "success" }, systemContext),
    ).toMatchObject({
      seq: 2,
    });
    const events = await expectContiguousVerifiedLog(records, 2);
    expect(events.map((event) => event.action)).toEqual(["ok", "ok"]);
  });
});

/** Two writers, each with its own connection, append `count` events each in waves; returns their seqs. */
async function appendFromTwoWriters(
  open: () => DatabaseHandle,
  count: number,
): Promise<{ a: number[]; b: number[]; handles: DatabaseHandle[] }> {
  const handles = [open(), open()];
  const [a, b] = await Promise.all(
    handles.map(async (handle, writer) => {
      const log = new AuditLog({ records: new AuditRecords(handle.db), clock: systemClock });
      const seqs: number[] = [];
      for (let sent = 0; sent < count; sent += 7) {
        const wave = Array.from({ length: Math.min(7, count - sent) }, (_, index) =>
          log.append(
            {
              event: "system",
              action: "concurrency_probe",
              outcome: "success",
              details: { writer, n: sent + index },
            },
            systemContext,
          ),
        );
        for (const event of await Promise.all(wave)) seqs.push(event.seq);
        // Let the other writer in between waves.
        await turns(1);
      }
      return seqs;
    }),
  );
  return { a: a ?? [], b: b ?? [], handles };
}

function expectDisjointCover(a: readonly number[], b: readonly number[], size: number): void {
  expect([...a, ...b].sort((x, y) => x - y)).toEqual(Array.from({ length: size }, (_, i) => i + 1));
  // Each writer's own seqs increase (its commits are ordered).
  expect(a).toEqual([...a].sort((x, y) => x - y));
  expect(b).toEqual([...b].sort((x, y) => x - y));
}

describe("two processes append to the same database", () => {
  let root: string;

  beforeEach(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), "pb-audit-two-"));
  });

  afterEach(() => {
    fs.rmSync(root, { recursive: true, force: true });
  });

  it.runIf(testEngines().includes("postgres"))("PostgreSQL: seq stays one contiguous sequence", async () => {
    const url = await createPostgresDatabase();
    const setup = openPostgresDatabase(url);
    await migrateToLatest(setup.db);
    const { a, b, handles } = await appendFromTwoWriters(
      () => openPostgresDatabase(url, { maxConnections: 3 }),
      150,
    );
    await Promise.all(handles.map((handle) => handle.close()));
    try {
      expectDisjointCover(a, b, 300);
      // The writers really interleaved: neither got one block of the sequence.
      expect(Math.min(...b)).toBeLessThan(Math.max(...a));
      expect(Math.min(...a)).toBeLessThan(Math.max(...b));
      await expectContiguousVerifiedLog(new AuditRecords(setup.db), 300);
    } finally {
      await setup.close();
    }
  });

  it("SQLite: two connections to one file keep seq contiguous", async () => {
    const file = path.join(root, "broker.sqlite");
    const setup = openSqliteDatabase(file);
    await migrateToLatest(setup.db);
    const { a, b, handles } = await appendFromTwoWriters(() => openSqliteDatabase(file), 150);
    await Promise.all(handles.map((handle) => handle.close()));
    try {
      expectDisjointCover(a, b, 300);
      expect(Math.min(...b)).toBeLessThan(Math.max(...a));
      await expectContiguousVerifiedLog(new AuditRecords(setup.db), 300);
    } finally {
      await setup.close();
    }
  });

  it("SQLite: two worker threads (each blocking in SQLite's busy handler) keep seq contiguous", async () => {
    const file = path.join(root, "broker.sqlite");
    const setup = openSqliteDatabase(file);
    await migrateToLatest(setup.db);
    const workers = ["a", "b"].map(
      (name) =>
        new Worker(new URL("../support/audit-append-worker.ts", import.meta.url), {
          workerData: { file, name, count: 200, wave: 5, holdMs: 2, pauseMs: 5 } satisfies AppendWorkerInput,
        }),
    );
    /** `ready` when the worker has opened the database; `done` with its seqs. */
    const messages = (worker: Worker) => {
      let ready = (): void => undefined;
      const readyPromise = new Promise<void>((resolve) => {
        ready = resolve;
      });
      const done = new Promise<number[]>((resolve, reject) => {
        worker.on("message", (message: AppendWorkerMessage) => {
          if ("seqs" in message) resolve(message.seqs);
          else ready();
        });
        worker.once("error", reject);
        worker.once("exit", (code) => {
          reject(new Error(`worker exited with ${code} before it reported`));
        });
      });
      return { ready: Promise.race([readyPromise, done.then(() => undefined)]), done };
    };
    const channels = workers.map(messages);
    try {
      await Promise.all(channels.map((channel) => channel.ready));
      for (const worker of workers) worker.postMessage("go");
      const [a = [], b = []] = await Promise.all(channels.map((channel) => channel.done));
      expectDisjointCover(a, b, 400);
      expect(Math.min(...b)).toBeLessThan(Math.max(...a));
      expect(Math.min(...a)).toBeLessThan(Math.max(...b));
      const events = await expectContiguousVerifiedLog(new AuditRecords(setup.db), 400);
      expect(events.filter((event) => event.details.writer === "a")).toHaveLength(200);
    } finally {
      await Promise.all(workers.map((worker) => worker.terminate()));
      await setup.close();
    }
  });
});
