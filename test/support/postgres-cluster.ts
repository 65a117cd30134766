import { execFileSync, spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { freePort } from "./free-port.ts";

const PG_BIN = process.env.PB_TEST_PG_BIN ?? "/usr/lib/postgresql/15/bin";

export interface PostgresCluster {
  /** URL of the `postgres` maintenance database; test files create their own databases. */
  readonly url: string;
  stop(): void;
}

export function postgresAvailable(): boolean {
  return fs.existsSync(path.join(PG_BIN, "initdb")) && fs.existsSync(path.join(PG_BIN, "pg_ctl"));
}

/**
 * A throwaway PostgreSQL cluster in a temporary folder, listening on a loopback port. initdb
 * refuses to run as root, so as root the cluster belongs to the `postgres` user. Tests run it
 * without fsync; `durable: true` leaves fsync to the configuration (on by default, and switchable
 * with ALTER SYSTEM, which a `-c` option on the command line would outrank): for benchmarks.
 */
export async function startPostgresCluster(options: { durable?: boolean } = {}): Promise<PostgresCluster> {
  const durable = options.durable === true;
  const port = await freePort();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "pb-pg-"));
  const asRoot = process.getuid?.() === 0;
  if (asRoot) execFileSync("chown", ["postgres:postgres", dir]);
  const run = (command: string, args: string[]): void => {
    const [file, argv] = asRoot ? ["runuser", ["-u", "postgres", "--", command, ...args]] : [command, args];
    const result = spawnSync(file, argv, { encoding: "utf8" });
    if (result.status !== 0) {
      throw new Error(`${path.basename(command)} failed: ${result.stderr || result.stdout}`);
    }
  };
  const data = path.join(dir, "data");
  try {
    run(path.join(PG_BIN, "initdb"), [
      "-D",
      data,
      "-A",
      "trust",
      "-U",
      "broker",
      "-E",
      "UTF8",
      ...(durable ? [] : ["--no-sync"]),
    ]);
    const settings = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c max_connections=200${durable ? "" : " -c fsync=off"}`;
    run(path.join(PG_BIN, "pg_ctl"), [
      "-D",
      data,
      "-o",
      settings,
      "-l",
      path.join(dir, "log"),
      "-w",
      "start",
    ]);
  } catch (error) {
    fs.rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  return {
    url: `postgres://broker@127.0.0.1:${port}/postgres`,
    stop: () => {
      try {
        run(path.join(PG_BIN, "pg_ctl"), ["-D", data, "-m", "immediate", "-w", "stop"]);
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}
