import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildZip } from "../builders/zip-builder.ts";
import { openBrokerDatabase, type BrokerDatabaseReader } from "../support/broker-database-reader.ts";
import { brokerJson, BrokerServer } from "../support/broker-process.ts";
import { createPostgresDatabase, testEngines } from "../support/test-databases.ts";

/**
 * DESIGN.md §5, Durability: "A crash (`kill -9`) loses no acknowledged event." A real
 * `package-broker serve` takes 16 concurrent loops of authenticated dist downloads, is SIGKILLed
 * while they run, and is restarted on the same data dir and database, a few times at different
 * moments. Every download answered 2xx must then have its `package_access`/`download` event (by
 * request id), seq must run 1..N without a gap, and `audit verify` must pass. On SQLite, and on
 * PostgreSQL when the harness started it (there the broker dies mid-transaction with the database
 * still up).
 *
 * What this proves is survival of a process crash: a committed transaction is in the WAL file,
 * which a killed process cannot lose. SQLite also runs with synchronous=FULL (the WAL is fsynced
 * at every commit) against power loss, which a test cannot simulate here. The test cluster runs
 * with fsync=off, which a broker crash does not test either.
 */

const LOOPS = 16;
/** When each crash comes: after this many 2xx answers in the round (or after MAX_ROUND_MS). */
const KILL_AFTER_ACKS = [5, 150, 1200] as const;
const MAX_ROUND_MS = 8000;

interface Round {
  readonly acknowledged: string[];
  /** Requests sent but not answered when the SIGKILL was sent. */
  inFlightAtKill: number;
  readonly unexpected: string[];
}

interface VerifyJson {
  ok: boolean;
  size?: number;
  firstBadSeq?: number;
  reason?: string;
}

describe.each(testEngines())("audit log durability across a SIGKILL of the server, on %s", (engine) => {
  let root: string;
  let env: Record<string, string>;
  let readToken: string;
  let distPaths: string[];
  const rounds: Round[] = [];
  let server: BrokerServer | undefined;
  /** How the server ended after the last round's SIGTERM. */
  let cleanExit: BrokerServer["exit"] = null;

  beforeAll(async () => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), "pb-crash-"));
    env = {
      PB_DATA_DIR: path.join(root, "data"),
      PB_BASE_URL: "http://127.0.0.1:8080",
      // Sign checkpoints all the time, so some crashes land next to one.
      PB_AUDIT_CHECKPOINT_EVENTS: "50",
      PB_AUDIT_CHECKPOINT_SECONDS: "1",
      ...(engine === "postgres" ? { PB_DATABASE_URL: await createPostgresDatabase() } : {}),
    };
    brokerJson(["migrate"], env);
    for (const name of ["acme/red", "acme/green", "acme/blue"]) {
      for (const version of ["1.0.0", "1.1.0"]) {
        const file = path.join(root, `${name.replace("/", "-")}-${version}.zip`);
        fs.writeFileSync(file, packageZip(name, version));
        brokerJson(["package", "upload", file], env);
      }
    }
    readToken = brokerJson<{ token: string }>(["token", "create", "--description", "crash test"], env).token;

    server = await BrokerServer.start(env);
    distPaths = [];
    for (const name of ["acme/red", "acme/green", "acme/blue"]) {
      const response = await fetch(`${server.url}/p2/${name}.json`, { headers: authorization() });
      expect(response.status).toBe(200);
      const body = (await response.json()) as { packages: Record<string, { dist: { url: string } }[]> };
      for (const version of body.packages[name] ?? []) distPaths.push(new URL(version.dist.url).pathname);
    }
    expect(distPaths).toHaveLength(6);

    for (const [index, acks] of KILL_AFTER_ACKS.entries()) {
      rounds.push(await crashRound(server, index, acks));
      server = await BrokerServer.start(env);
    }
    // One last short burst on the restarted server, then a clean stop.
    const last = await loadRound(server, KILL_AFTER_ACKS.length, 100, async () => {
      await server?.stop();
      cleanExit = server?.exit ?? null;
    });
    rounds.push(last);
  }, 180_000);

  afterAll(async () => {
    await server?.stop();
    fs.rmSync(root, { recursive: true, force: true });
  });

  function authorization(): Record<string, string> {
    return { authorization: `Bearer ${readToken}` };
  }

  async function crashRound(running: BrokerServer, index: number, acks: number): Promise<Round> {
    return loadRound(running, index, acks, () => running.kill("SIGKILL"));
  }

  /**
   * Runs LOOPS download loops against `running` until `acks` downloads were answered 2xx (or
   * MAX_ROUND_MS passed), then calls `stop` while the loops are still sending.
   */
  async function loadRound(
    running: BrokerServer,
    index: number,
    acks: number,
    stop: () => Promise<void>,
  ): Promise<Round> {
    const round: Round = { acknowledged: [], inFlightAtKill: 0, unexpected: [] };
    let stopping = false;
    // A function, not the variable: the loops must see it change while they await.
    const stopped = (): boolean => stopping;
    let inFlight = 0;
    let reached: () => void = () => undefined;
    const enough = new Promise<void>((resolve) => {
      reached = resolve;
    });
    const loop = async (loopId: number): Promise<void> => {
      for (let i = 0; !stopped(); i++) {
        const requestId = `crash-${index}-${loopId}-${i}`;
        const distPath = distPaths[(loopId + i) % distPaths.length] ?? "";
        inFlight++;
        try {
          const response = await fetch(`${running.url}${distPath}`, {
            headers: { ...authorization(), "x-request-id": requestId },
          });
          if (response.status >= 200 && response.status < 300) {
            // The status line is the acknowledgement: the event must be committed by now.
            round.acknowledged.push(requestId);
            if (response.headers.get("x-request-id") !== requestId) {
              round.unexpected.push(`${requestId}: X-Request-Id ${response.headers.get("x-request-id")}`);
            }
            if (round.acknowledged.length >= acks) reached();
          } else if (!stopped()) {
            round.unexpected.push(`${requestId}: HTTP ${response.status}`);
          }
          // The body may be cut by the kill: that does not undo the 2xx already received.
          await response.arrayBuffer().catch(() => undefined);
        } catch (error) {
          if (!stopped()) round.unexpected.push(`${requestId}: ${String(error)}`);
          return;
        } finally {
          inFlight--;
        }
      }
    };
    const loops = Array.from({ length: LOOPS }, (_, loopId) => loop(loopId));
    await Promise.race([enough, new Promise((resolve) => setTimeout(resolve, MAX_ROUND_MS))]);
    stopping = true;
    round.inFlightAtKill = inFlight;
    await stop();
    await Promise.all(loops);
    return round;
  }

  async function openDatabase(): Promise<BrokerDatabaseReader> {
    return openBrokerDatabase(engine, env);
  }

  it("stopped cleanly on SIGTERM under load: exit code 0, and `system/stopped` is the last event", async () => {
    expect(cleanExit).toEqual({ code: 0, signal: null });
    const db = await openDatabase();
    try {
      const [last] = await db.rows<{ event: string; action: string }>(
        "select event, action from audit_logs order by seq desc limit 1",
      );
      expect(last).toEqual({ event: "system", action: "stopped" });
    } finally {
      await db.close();
    }
  });

  it("killed the server while downloads were in flight, and restarted it each time", () => {
    for (const [index, round] of rounds.entries()) {
      expect(round.unexpected, `round ${index}`).toEqual([]);
      expect(round.acknowledged.length, `round ${index}`).toBeGreaterThan(0);
    }
    for (const round of rounds.slice(0, KILL_AFTER_ACKS.length)) {
      expect(round.inFlightAtKill).toBeGreaterThan(0);
    }
  });

  it("has the download event of every request that was answered 2xx", async () => {
    const db = await openDatabase();
    try {
      const rows = await db.rows<{ request_id: string; outcome: string; n: number }>(
        `select request_id, outcome, count(*) as n from audit_logs
         where event = 'package_access' and action = 'download' and request_id like 'crash-%'
         group by request_id, outcome`,
      );
      const recorded = new Map(rows.map((row) => [row.request_id, row]));
      const acknowledged = rounds.flatMap((round) => round.acknowledged);
      const missing = acknowledged.filter((id) => recorded.get(id)?.outcome !== "success");
      expect(missing, `${missing.length} of ${acknowledged.length} acknowledged downloads`).toEqual([]);
      expect(rows.filter((row) => row.n !== 1)).toEqual([]);
      // Events committed whose answers the kill cut off are expected (at least once per request).
      const unanswered = rows.length - acknowledged.length;
      console.log(
        `audit-crash on ${engine}: ${acknowledged.length} acknowledged downloads in ${rounds.length} rounds ` +
          `(${rounds.map((r) => `${r.acknowledged.length} acked/${r.inFlightAtKill} in flight`).join(", ")}); ` +
          `${unanswered} more committed whose answers were cut off`,
      );
    } finally {
      await db.close();
    }
  });

  it("has contiguous seq 1..N and a tree state of size N", async () => {
    const db = await openDatabase();
    try {
      const [span] = await db.rows<{ n: number; low: number; high: number }>(
        "select count(*) as n, min(seq) as low, max(seq) as high from audit_logs",
      );
      expect(span?.low).toBe(1);
      expect(span?.high).toBe(span?.n);
      const [state] = await db.rows<{ size: number }>("select size from audit_state where id = 1");
      expect(state?.size).toBe(span?.n);
      const [starts] = await db.rows<{ n: number }>(
        "select count(*) as n from audit_logs where event = 'system' and action = 'started'",
      );
      expect(starts?.n).toBe(KILL_AFTER_ACKS.length + 1);
    } finally {
      await db.close();
    }
  });

  it("passes `package-broker audit verify`", async () => {
    const db = await openDatabase();
    const [count] = await db.rows<{ n: number }>("select count(*) as n from audit_logs");
    await db.close();
    const result = brokerJson<VerifyJson>(["audit", "verify"], env);
    expect(result).toMatchObject({ ok: true, size: count?.n });
  });
});

/** An uploadable package: composer.json naming the version, and some incompressible bytes. */
function packageZip(name: string, version: string): Buffer {
  const filler = Buffer.alloc(32 * 1024);
  for (let i = 0; i < filler.length; i++) filler[i] = (i * 2654435761) >>> 24;
  return buildZip([
    { name: "composer.json", data: JSON.stringify({ name, version, license: "MIT" }) },
    { name: "src/Data.bin", data: filler, method: "stored" },
  ]);
}
