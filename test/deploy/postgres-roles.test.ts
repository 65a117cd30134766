import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { BrokerServer, runBrokerCli } from "../support/broker-process.ts";
import { requireComponent } from "../support/required-component.ts";
import { DEPLOY_DIR } from "./deploy-files.ts";

const adminUrl = inject("postgresUrl");
const psqlAvailable = spawnSync("psql", ["--version"]).status === 0;
const runs =
  requireComponent("PostgreSQL", adminUrl !== null, "install the postgresql package") &&
  requireComponent("psql", psqlAvailable, "install the postgresql-client package");

const database = `pb_roles_${randomBytes(5).toString("hex")}`;
const OWNER_PASSWORD = randomBytes(12).toString("hex");
const APP_PASSWORD = randomBytes(12).toString("hex");

function urlFor(user: string | null, password: string | null): string {
  const url = new URL(adminUrl ?? "postgres://localhost/postgres");
  if (user !== null) url.username = user;
  if (password !== null) url.password = password;
  url.pathname = `/${database}`;
  return url.toString();
}

const superuserUrl = (): string => urlFor(null, null);
const ownerUrl = (): string => urlFor("package_broker_owner", OWNER_PASSWORD);
const appUrl = (): string => urlFor("package_broker_app", APP_PASSWORD);

function psql(url: string, file: string, variables: Record<string, string> = {}): void {
  const args = ["-X", "-q", "-v", "ON_ERROR_STOP=1", url, "-f", path.join(DEPLOY_DIR, "postgres", file)];
  for (const [name, value] of Object.entries(variables)) args.push("-v", `${name}=${value}`);
  const result = spawnSync("psql", args, { encoding: "utf8" });
  if (result.status !== 0) throw new Error(`psql ${file} failed: ${result.stderr}`);
}

async function asApp<T>(work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: appUrl() });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/** The error PostgreSQL raises for `statement` run as the application role. */
async function refusal(statement: string): Promise<{ code: string; message: string }> {
  return asApp(async (client) => {
    try {
      await client.query(statement);
    } catch (error) {
      const { code, message } = error as { code: string; message: string };
      return { code, message };
    }
    throw new Error(`accepted: ${statement}`);
  });
}

describe.runIf(runs)("deploy/postgres: the owner and application roles", () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "pb-roles-"));
  const env = (databaseUrl: string): Record<string, string> => ({
    PB_DATA_DIR: dataDir,
    PB_DATABASE_URL: databaseUrl,
    PB_BASE_URL: "http://composer.example.test",
    PB_LOG_LEVEL: "warn",
  });

  beforeAll(async () => {
    const admin = new pg.Client({ connectionString: adminUrl ?? "" });
    await admin.connect();
    try {
      await admin.query(`create database ${database}`);
    } finally {
      await admin.end();
    }
    psql(superuserUrl(), "roles.sql", { owner_password: OWNER_PASSWORD, app_password: APP_PASSWORD });
    const migrated = runBrokerCli(["migrate"], env(ownerUrl()));
    if (migrated.status !== 0) throw new Error(`migrate failed: ${migrated.stderr}`);
    // As in the chart's grants step: the owner, not a superuser, narrows the application's rights.
    psql(ownerUrl(), "app-grants.sql");
  }, 120_000);

  afterAll(async () => {
    fs.rmSync(dataDir, { recursive: true, force: true });
    const admin = new pg.Client({ connectionString: adminUrl ?? "" });
    await admin.connect();
    try {
      await admin.query(`drop database if exists ${database} with (force)`);
    } finally {
      await admin.end();
    }
  });

  it("lets the server run as the application role", async () => {
    const server = await BrokerServer.start(env(appUrl()));
    try {
      expect((await fetch(`${server.url}/ready`)).status).toBe(200);
      const refused = await fetch(`${server.url}/packages.json`, {
        headers: { authorization: "Bearer pb_not_a_token" },
      });
      expect(refused.status).toBe(401);
    } finally {
      await server.stop();
    }
    const appended = await asApp(async (client) => client.query("select count(*)::int as n from audit_logs"));
    expect((appended.rows[0] as { n: number }).n).toBeGreaterThan(3);
  });

  it("refuses the application role any change of the audit log by privilege, not only by trigger", async () => {
    for (const statement of [
      "update audit_logs set action = 'edited' where seq = 1",
      "delete from audit_logs where seq = 1",
      "truncate audit_logs",
      "update audit_checkpoints set note = 'edited'",
      "delete from audit_checkpoints",
      "insert into schema_migrations (name, timestamp) values ('9999-x', 'now')",
    ]) {
      const { code, message } = await refusal(statement);
      expect(code, statement).toBe("42501");
      expect(message, statement).toMatch(/^permission denied for table /);
    }
    for (const statement of [
      "alter table audit_logs disable trigger audit_logs_append_only",
      "drop trigger audit_logs_append_only on audit_logs",
      "drop table audit_logs",
    ]) {
      const { code, message } = await refusal(statement);
      expect(code, statement).toBe("42501");
      expect(message, statement).toMatch(/^must be owner of (table|relation) audit_logs/);
    }
    expect((await refusal("create table intruder (x int)")).message).toMatch(
      /permission denied for schema public/,
    );
  });

  it("lets the retention purge clear a payload, and the trigger refuses any other update", async () => {
    const purged = await asApp(async (client) =>
      client.query(
        `update audit_logs set "user" = null, actor = null, ip_address = null, user_agent = null,
           request_id = null, target = null, details = null, ip_key = null, purged_at = $1
         where seq = 1 and purged_at is null`,
        [new Date().toISOString()],
      ),
    );
    expect(purged.rowCount).toBe(1);
    const partial = await refusal("update audit_logs set details = null where seq = 2");
    expect(partial.message).toMatch(/audit tables are append-only/);
    const verified = runBrokerCli(["audit", "verify"], env(appUrl()));
    expect(verified.status, verified.stdout + verified.stderr).toBe(0);
    expect(verified.stdout).toMatch(/Audit log verified/);
  });

  it("lets a superuser export the log with COPY, as the docs show", () => {
    const result = spawnSync(
      "psql",
      ["-X", superuserUrl(), "-c", "COPY audit_logs TO STDOUT WITH (FORMAT csv, HEADER)"],
      { encoding: "utf8" },
    );
    expect(result.status, result.stderr).toBe(0);
    expect(result.stdout.split("\n")[0]).toMatch(/^seq,id,schema_version,timestamp,event,action,/);
  });
});
