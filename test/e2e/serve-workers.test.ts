import fs from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildZip } from "../builders/zip-builder.ts";
import { openBrokerDatabase } from "../support/broker-database-reader.ts";
import { brokerJson, BrokerServer, runBrokerCli } from "../support/broker-process.ts";
import { createPostgresDatabase, testEngines } from "../support/test-databases.ts";

/**
 * `package-broker serve` with PB_WORKERS=2, as users run it: a primary process and two workers
 * (node:cluster) on one port and one database (SQLite, and PostgreSQL when the harness has it). Concurrent authenticated requests reach
 * both workers; a worker killed with SIGKILL is replaced while requests go on; a token revoked
 * through the API is refused at once by every worker; SIGTERM stops everything cleanly. The audit
 * log then verifies, has every answered request's event, one `system/started` and one
 * `system/stopped` for the run, and only checkpoints the primary signed.
 */

interface Answer {
  readonly status: number;
  readonly requestId: string;
  readonly body: string;
}

interface LogLine {
  readonly message?: string;
  readonly pid?: number;
  readonly requestId?: string;
  readonly context?: Record<string, unknown>;
}

describe.each(testEngines())("serve with PB_WORKERS=2 on %s", (engine) => {
  let root: string;
  let env: Record<string, string>;
  let server: BrokerServer;
  let admin: { id: string; token: string };
  let reader: { id: string; token: string };
  let doomed: { id: string; token: string };
  const answered: Answer[] = [];
  let sequence = 0;

  beforeAll(async () => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), "pb-workers-"));
    env = {
      PB_DATA_DIR: path.join(root, "data"),
      PB_BASE_URL: "http://127.0.0.1:8080",
      PB_WORKERS: "2",
      PB_AUDIT_CHECKPOINT_EVENTS: "25",
      ...(engine === "postgres" ? { PB_DATABASE_URL: await createPostgresDatabase() } : {}),
    };
    const file = path.join(root, "red.zip");
    fs.writeFileSync(
      file,
      buildZip([{ name: "composer.json", data: JSON.stringify({ name: "acme/red", version: "1.0.0" }) }]),
    );
    brokerJson(["package", "upload", file], env);
    const token = (args: string[]) =>
      brokerJson<{ token: string; id: string }>(["token", "create", ...args], env);
    admin = token(["--description", "admin", "--scope", "admin"]);
    reader = token(["--description", "reader"]);
    doomed = token(["--description", "to be revoked"]);
    server = await BrokerServer.start(env);
    await waitFor(() => lines("Worker started").length >= 2, "two workers started");
  }, 60_000);

  afterAll(async () => {
    await server.stop();
    fs.rmSync(root, { recursive: true, force: true });
  });

  function lines(message: string): LogLine[] {
    return (server.logLines as LogLine[]).filter((line) => line.message === message);
  }

  function workerPids(): number[] {
    const started = lines("Worker started").map((line) => Number(line.context?.worker));
    const exited = new Set(lines("Worker exited").map((line) => Number(line.context?.worker)));
    return started.filter((pid) => !exited.has(pid));
  }

  /** Pids of the processes that logged these requests. */
  function servedBy(requestIds: readonly string[]): Set<number> {
    const wanted = new Set(requestIds);
    return new Set(
      lines("Request completed")
        .filter((line) => line.requestId !== undefined && wanted.has(line.requestId))
        .map((line) => line.pid ?? 0),
    );
  }

  /** `count` GETs, `concurrency` at a time, each on a new connection (the primary deals them out). */
  async function burst(urlPath: string, token: string, count: number, concurrency = 8): Promise<Answer[]> {
    const results: Answer[] = [];
    const one = async (): Promise<void> => {
      while (results.length + running < count) {
        running++;
        const requestId = `workers-${sequence++}`;
        try {
          results.push(await get(`${server.url}${urlPath}`, token, requestId));
        } finally {
          running--;
        }
      }
    };
    let running = 0;
    await Promise.all(Array.from({ length: concurrency }, one));
    answered.push(...results);
    return results;
  }

  it("has both workers answer concurrent requests, and logs which process answered", async () => {
    expect(workerPids()).toHaveLength(2);
    expect(workerPids()).not.toContain(server.pid);
    const results = await burst("/p2/acme/red.json", reader.token, 60);
    expect(results.map((r) => r.status)).toEqual(Array(60).fill(200));
    const pids = servedBy(results.map((r) => r.requestId));
    expect([...pids].sort()).toEqual([...workerPids()].sort());
  });

  it("replaces a worker killed with SIGKILL, and requests are served meanwhile", async () => {
    const [victim, survivor] = workerPids();
    if (victim === undefined || survivor === undefined) throw new Error("two workers expected");
    process.kill(victim, "SIGKILL");
    // A connection the primary handed to the worker in the very moment it died is lost with it
    // (node:cluster does not take it back): start once the primary knows.
    await waitFor(
      () => lines("Worker exited").some((line) => line.context?.worker === victim),
      "the primary saw the worker exit",
    );
    // Requests made until it is replaced go to the other worker.
    const meanwhile = await burst("/p2/acme/red.json", reader.token, 20);
    expect(meanwhile.map((r) => r.status)).toEqual(Array(20).fill(200));
    await waitFor(() => workerPids().length === 2, "the killed worker replaced");
    const exited = lines("Worker exited").find((line) => line.context?.worker === victim);
    expect(exited?.context).toMatchObject({ code: null, signal: "SIGKILL" });
    expect(workerPids()).toContain(survivor);
    expect(workerPids()).not.toContain(victim);

    const after = await burst("/p2/acme/red.json", reader.token, 40);
    expect(after.map((r) => r.status)).toEqual(Array(40).fill(200));
    expect([...servedBy(after.map((r) => r.requestId))].sort()).toEqual([...workerPids()].sort());
  });

  it("refuses a revoked token on its next request, whichever worker revoked it and whichever answers", async () => {
    // Both workers have authenticated the token (and rendered the document) before.
    const warm = await burst("/p2/acme/red.json", doomed.token, 20);
    expect(warm.map((r) => r.status)).toEqual(Array(20).fill(200));
    expect(servedBy(warm.map((r) => r.requestId)).size).toBe(2);
    const revoked = await request(`${server.url}/api/tokens/${doomed.id}`, admin.token, "DELETE");
    expect(revoked.status).toBe(200);
    const refused = await burst("/p2/acme/red.json", doomed.token, 20);
    expect(refused.map((r) => r.status)).toEqual(Array(20).fill(403));
    expect(servedBy(refused.map((r) => r.requestId)).size).toBe(2);
    expect(JSON.parse(refused[0]?.body ?? "{}")).toMatchObject({ code: "TokenRevoked" });
  });

  it("stops cleanly on SIGTERM: the workers first, then the primary, exit code 0", async () => {
    const pids = workerPids();
    await server.stop();
    expect(server.exit).toEqual({ code: 0, signal: null });
    for (const pid of pids) expect(alive(pid), `worker ${pid}`).toBe(false);
    expect(lines("Server stopping")).toHaveLength(1);
  });

  it("leaves an audit log that verifies, with every answer's event and one start and stop", async () => {
    const db = await openBrokerDatabase(engine, env);
    try {
      const system = await db.rows<{ action: string; details: string }>(
        "select action, details from audit_logs where event = 'system' order by seq",
      );
      expect(system.map((row) => row.action)).toEqual(["migrated", "started", "stopped"]);
      expect(JSON.parse(system[1]?.details ?? "{}")).toMatchObject({ workers: 2 });

      const [span] = await db.rows<{ n: number; high: number }>(
        "select count(*) as n, max(seq) as high from audit_logs",
      );
      expect(span?.high).toBe(span?.n);
      const recorded = new Map(
        (
          await db.rows<{ request_id: string; outcome: string }>(
            "select request_id, outcome from audit_logs where event = 'package_access' and request_id like 'workers-%'",
          )
        ).map((row) => [row.request_id, row.outcome]),
      );
      const missing = answered.filter(
        (answer) => answer.status === 200 && recorded.get(answer.requestId) !== "success",
      );
      expect(missing).toEqual([]);
      expect(answered.length).toBeGreaterThan(150);
    } finally {
      await db.close();
    }
    // Every checkpoint was signed by the primary.
    const signers = new Set(lines("Audit checkpoint").map((line) => line.pid));
    expect(lines("Audit checkpoint").length).toBeGreaterThan(2);
    expect([...signers]).toEqual([server.pid]);
    const verified = brokerJson<{ ok: boolean; size: number }>(["audit", "verify"], env);
    expect(verified.ok).toBe(true);
  });
});

describe("serve with a hostile PB_WORKERS", () => {
  it("refuses a PB_WORKERS that is not 1 to 64 or auto, naming the variable, before it starts", () => {
    const dataDir = path.join(os.tmpdir(), "pb-workers-never-created");
    for (const value of ["0", "-1", "abc", "1e9"]) {
      const result = runBrokerCli(["serve"], { PB_DATA_DIR: dataDir, PB_WORKERS: value, PB_PORT: "0" });
      expect(result.status, value).toBe(2);
      expect(result.stderr, value).toContain('PB_WORKERS: must be "auto" or a whole number from 1 to 64');
    }
    expect(fs.existsSync(dataDir)).toBe(false);
  });
});

async function get(url: string, token: string, requestId: string): Promise<Answer> {
  const response = await request(url, token, "GET", requestId);
  return { ...response, requestId };
}

/** One request on its own connection (so the primary hands each one to a worker in turn). */
async function request(
  url: string,
  token: string,
  method: string,
  requestId = `workers-${method.toLowerCase()}`,
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const sent = http.request(
      url,
      {
        method,
        agent: false,
        headers: { authorization: `Bearer ${token}`, "x-request-id": requestId, connection: "close" },
      },
      (response) => {
        let body = "";
        response.setEncoding("utf8");
        response.on("data", (chunk: string) => (body += chunk));
        response.on("end", () => {
          resolve({ status: response.statusCode ?? 0, body });
        });
        response.on("error", reject);
      },
    );
    sent.setTimeout(10_000, () => sent.destroy(new Error(`no answer to ${method} ${url} in 10 s`)));
    sent.on("error", reject);
    sent.end();
  });
}

async function waitFor(condition: () => boolean, what: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
