/**
 * A PostgreSQL 15 cluster for the audit benches that outlives one process, so a database filled
 * once by generate.ts can be searched and exported by the other benches:
 *
 *   node bench/audit-data/pg-cluster.ts start --dir /tmp/pb-audit-pg [--port 55432]
 *   node bench/audit-data/pg-cluster.ts stop --dir /tmp/pb-audit-pg [--remove]
 *
 * `start` runs initdb the first time (as the `postgres` user when run as root, like the test
 * harness in test/support/postgres-cluster.ts), starts the server on 127.0.0.1 and prints the URL
 * of a `bench` database it creates. Settings: see SETTINGS below (durable: fsync on).
 */
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";
import pg from "pg";

const PG_BIN = process.env.PB_TEST_PG_BIN ?? "/usr/lib/postgresql/15/bin";

/**
 * A modest server configuration for a 24 GiB machine that others share: 1 GiB of shared buffers
 * (the default 128 MiB would make every 10M-row measurement a disk benchmark), a big
 * maintenance_work_mem for the index builds after the bulk load, and room for the load's WAL.
 * Planner settings (random_page_cost, work_mem, jit) stay at their defaults: the product does not
 * set them, so the bench measures what an installation gets out of the box.
 */
const SETTINGS = {
  shared_buffers: "1GB",
  maintenance_work_mem: "1GB",
  max_wal_size: "4GB",
  checkpoint_timeout: "30min",
  max_connections: "50",
} as const;

function run(command: string, args: string[], asRoot: boolean): string {
  const [file, argv] = asRoot ? ["runuser", ["-u", "postgres", "--", command, ...args]] : [command, args];
  const result = spawnSync(file, argv, { encoding: "utf8", timeout: 300_000 });
  if (result.status !== 0)
    throw new Error(`${path.basename(command)} failed: ${result.stderr || result.stdout}`);
  return result.stdout;
}

function clusterUrl(port: number, database = "bench"): string {
  return `postgres://broker@127.0.0.1:${port}/${database}`;
}

async function start(dir: string, port: number): Promise<void> {
  const asRoot = process.getuid?.() === 0;
  const data = path.join(dir, "data");
  if (!fs.existsSync(data)) {
    fs.mkdirSync(dir, { recursive: true });
    if (asRoot) spawnSync("chown", ["postgres:postgres", dir]);
    run(path.join(PG_BIN, "initdb"), ["-D", data, "-A", "trust", "-U", "broker", "-E", "UTF8"], asRoot);
  }
  const settings = [
    `-p ${port}`,
    `-k ${dir}`,
    "-c listen_addresses=127.0.0.1",
    ...Object.entries(SETTINGS).map(([name, value]) => `-c ${name}=${value}`),
  ].join(" ");
  run(
    path.join(PG_BIN, "pg_ctl"),
    ["-D", data, "-o", settings, "-l", path.join(dir, "log"), "-w", "-t", "120", "start"],
    asRoot,
  );
  fs.writeFileSync(path.join(dir, "port"), String(port));
  const admin = new pg.Client({ connectionString: clusterUrl(port, "postgres") });
  await admin.connect();
  try {
    const { rows } = await admin.query("select 1 from pg_database where datname = 'bench'");
    if (rows.length === 0) await admin.query("create database bench");
  } finally {
    await admin.end();
  }
  process.stdout.write(`${clusterUrl(port)}\n`);
}

function stop(dir: string, remove: boolean): void {
  const asRoot = process.getuid?.() === 0;
  const data = path.join(dir, "data");
  if (fs.existsSync(path.join(data, "postmaster.pid"))) {
    run(path.join(PG_BIN, "pg_ctl"), ["-D", data, "-m", "fast", "-w", "stop"], asRoot);
  }
  if (remove) fs.rmSync(dir, { recursive: true, force: true });
}

const { values, positionals } = parseArgs({
  args: process.argv.slice(2),
  options: {
    dir: { type: "string", default: "/tmp/pb-audit-pg" },
    port: { type: "string", default: "55432" },
    remove: { type: "boolean", default: false },
  },
  allowPositionals: true,
  strict: true,
});
const command = positionals[0];
if (command === "start") await start(values.dir, Number(values.port));
else if (command === "stop") stop(values.dir, values.remove);
else {
  process.stderr.write(
    "usage: node bench/audit-data/pg-cluster.ts start|stop [--dir DIR] [--port P] [--remove]\n",
  );
  process.exitCode = 2;
}
