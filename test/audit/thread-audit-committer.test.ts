import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { SecretBox } from "../../src/access/secret-box.ts";
import type { AuditState } from "../../src/storage/database/audit-records.ts";
import { systemContext, type AuditContext, type AuditEvent } from "../../src/audit/audit-event.ts";
import { AuditLog } from "../../src/audit/audit-log.ts";
import { MerkleAccumulator } from "../../src/audit/integrity/merkle.ts";
import { RawIpVault } from "../../src/audit/privacy/raw-ip-vault.ts";
import { ThreadAuditCommitter } from "../../src/audit/thread-audit-committer.ts";
import { systemClock } from "../../src/clock/clock.ts";
import { AuditRecords } from "../../src/storage/database/audit-records.ts";
import type { DatabaseHandle } from "../../src/storage/database/database-handle.ts";
import { migrateToLatest } from "../../src/storage/database/migrate-to-latest.ts";
import { RawIpRecords } from "../../src/storage/database/raw-ip-records.ts";
import { openSqliteDatabase } from "../../src/storage/database/sqlite-database.ts";
import { storedAuditEvents } from "../support/audit-schema.ts";
import { expectContiguousVerifiedLog } from "../support/contiguous-verified-log.ts";

const SECRET_KEY = Buffer.alloc(32, 7);

describe("ThreadAuditCommitter: the audit log committed from a worker thread", () => {
  let root: string;
  let file: string;
  let main: DatabaseHandle;
  const logs: AuditLog[] = [];

  /** A log committing in a thread of its own, closed after the test. */
  const threadLog = (
    options: { rawIpDays?: number; onCommitted?: (state: AuditState, root: Buffer) => undefined } = {},
  ) => {
    const rawIpDays = options.rawIpDays ?? 0;
    const log = new AuditLog({
      committer: new ThreadAuditCommitter({ file, rawIpDays, secretKey: rawIpDays > 0 ? SECRET_KEY : null }),
      clock: systemClock,
      onCommitted: options.onCommitted,
    });
    logs.push(log);
    return log;
  };

  beforeEach(async () => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), "pb-audit-thread-"));
    file = path.join(root, "broker.sqlite");
    main = openSqliteDatabase(file);
    await migrateToLatest(main.db);
  });

  afterEach(async () => {
    await Promise.all(logs.splice(0).map((log) => log.close()));
    await main.close();
    fs.rmSync(root, { recursive: true, force: true });
  });

  it("resolves each append with the event the thread stored; the log is contiguous and verifies", async () => {
    const roots: { size: number; root: Buffer }[] = [];
    const log = threadLog({
      onCommitted: (state, committedRoot) => {
        roots.push({ size: state.size, root: committedRoot });
        return undefined;
      },
    });
    const context: AuditContext = {
      actor: { type: "user", id: "usr_1", auth_method: "session" },
      ipAddress: "203.0.113.0",
      userAgent: "Composer/2.8 (\u2028 test)",
      requestId: "req_01",
    };
    const appended = await Promise.all(
      Array.from({ length: 300 }, (_, index) =>
        log.append(
          {
            event: "package_access",
            action: "download",
            outcome: index % 7 === 0 ? "failure" : "success",
            target: { type: "package", id: `acme/pkg-${index}` },
            details: { index, nested: { text: 'ünïcödé \u0000 "quoted"', list: [1, null, true] } },
          },
          context,
        ),
      ),
    );
    const stored = await expectContiguousVerifiedLog(new AuditRecords(main.db), 300);
    expect(appended.map((event) => event.seq).sort((a, b) => a - b)).toEqual(
      stored.map((event) => event.seq),
    );
    const bySeq = new Map(stored.map((event) => [event.seq, event]));
    for (const event of appended) expect(event).toEqual(bySeq.get(event.seq));
    // Group commit still happens: far fewer commits than events.
    expect(roots.length).toBeLessThan(300);
    // The root handed to onCommitted is a Buffer, and the root of the tree at that size.
    const last = roots.at(-1);
    expect(Buffer.isBuffer(last?.root)).toBe(true);
    const state = await new AuditRecords(main.db).state();
    expect(last?.size).toBe(300);
    expect(last?.root.equals(MerkleAccumulator.fromState(state).root())).toBe(true);
  });

  it("a thread and a writer on another connection keep seq contiguous", async () => {
    const threaded = threadLog();
    const inline = new AuditLog({ records: new AuditRecords(main.db), clock: systemClock });
    const seqs = { thread: [] as number[], inline: [] as number[] };
    for (let wave = 0; wave < 20; wave++) {
      const events = await Promise.all(
        Array.from({ length: 10 }, (_, index) => {
          const writer = index % 2 === 0 ? "thread" : "inline";
          const log = writer === "thread" ? threaded : inline;
          return log
            .append(
              { event: "system", action: "tick", outcome: "success", details: { writer } },
              systemContext,
            )
            .then((event) => {
              seqs[writer].push(event.seq);
              return event;
            });
        }),
      );
      expect(events).toHaveLength(10);
    }
    await inline.flush();
    expect([...seqs.thread, ...seqs.inline].sort((a, b) => a - b)).toEqual(
      Array.from({ length: 200 }, (_, i) => i + 1),
    );
    await expectContiguousVerifiedLog(new AuditRecords(main.db), 200);
  });

  it("seals raw addresses in the thread; the vault of the main connection opens them", async () => {
    const log = threadLog({ rawIpDays: 30 });
    const event = await log.append(
      { event: "authentication", action: "login_failed", outcome: "failure" },
      { ...systemContext, ipAddress: "198.51.100.0", rawIpAddress: "198.51.100.23" },
    );
    const without = await log.append({ event: "system", action: "tick", outcome: "success" }, systemContext);
    const vault = new RawIpVault({
      records: new RawIpRecords(main.db),
      secrets: new SecretBox(SECRET_KEY),
      clock: systemClock,
      keepDays: 30,
    });
    expect(await vault.read(event.seq)).toEqual({ state: "kept", ip: "198.51.100.23" });
    expect(await vault.read(without.seq)).toEqual({ state: "not-kept", ip: null });
    // The address is beside the event, never in it.
    const [stored] = await storedAuditEvents(new AuditRecords(main.db));
    expect(JSON.stringify(stored)).not.toContain("198.51.100.23");
  });

  it("an entry that cannot cross to the thread fails its batch; later appends go on from the same seq", async () => {
    const log = threadLog();
    const hostile = log.append(
      { event: "system", action: "bad", outcome: "success", details: { callback: () => "not data" } },
      systemContext,
    );
    await expect(hostile).rejects.toThrow(/could not be cloned/);
    const next = await log.append({ event: "system", action: "tick", outcome: "success" }, systemContext);
    expect(next.seq).toBe(1);
    await expectContiguousVerifiedLog(new AuditRecords(main.db), 1);
  });

  it("a commit the database refuses rejects its appends with the database's error and code", async () => {
    const log = threadLog();
    await log.append({ event: "system", action: "first", outcome: "success" }, systemContext);
    // A row where the next event goes, behind the log's back (the state still says 1).
    const [first] = await new AuditRecords(main.db).range(1, 1);
    await main.db
      .insertInto("audit_logs")
      .values({ ...first!, seq: 2, id: "01JTHREADTESTCOLLIDINGROW0", ip_key: null })
      .execute();
    const refused = log.append({ event: "system", action: "second", outcome: "success" }, systemContext);
    await expect(refused).rejects.toMatchObject({
      message: expect.stringMatching(/UNIQUE constraint failed/) as unknown,
      code: expect.stringMatching(/^SQLITE_CONSTRAINT/) as unknown,
    });
  });

  it("a thread that cannot open the database fails every commit with a clear error, and never hangs", async () => {
    const notADirectory = path.join(root, "plain-file");
    fs.writeFileSync(notADirectory, "");
    const log = new AuditLog({
      committer: new ThreadAuditCommitter({
        file: path.join(notADirectory, "broker.sqlite"),
        rawIpDays: 0,
        secretKey: null,
      }),
      clock: systemClock,
    });
    logs.push(log);
    for (let attempt = 0; attempt < 2; attempt++) {
      await expect(
        log.append({ event: "system", action: "tick", outcome: "success" }, systemContext),
      ).rejects.toThrow(/the audit commit thread stopped before committing \(E[A-Z]+: .*plain-file/);
    }
  });

  it("close() commits what was appended, then later appends are refused", async () => {
    const log = threadLog();
    const pending = Array.from({ length: 25 }, () =>
      log.append({ event: "system", action: "tick", outcome: "success" }, systemContext),
    );
    await log.close();
    const events: AuditEvent[] = await Promise.all(pending);
    expect(events.map((event) => event.seq)).toEqual(Array.from({ length: 25 }, (_, i) => i + 1));
    await expect(
      log.append({ event: "system", action: "late", outcome: "success" }, systemContext),
    ).rejects.toThrow(/the audit log is closed/);
    await expectContiguousVerifiedLog(new AuditRecords(main.db), 25);
  });
});
