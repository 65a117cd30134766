import { execFileSync, spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { freePort } from "../../test/support/free-port.ts";

const PG_BIN = process.env.PB_TEST_PG_BIN ?? "/usr/lib/postgresql/15/bin";

export interface BenchCluster {
  /** URL of the `postgres` maintenance database. */
  readonly url: string;
  stop(): void;
}

/**
 * A throwaway PostgreSQL cluster like test/support/postgres-cluster.ts starts, but with fsync
 * left to the configuration (on by default), so `ALTER SYSTEM SET fsync` and a reload switch it:
 * a setting given with `-c` on the command line would outrank ALTER SYSTEM.
 */
export async function startBenchCluster(): Promise<BenchCluster> {
  const port = await freePort();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "pb-bench-pg-"));
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
    run(path.join(PG_BIN, "initdb"), ["-D", data, "-A", "trust", "-U", "broker", "-E", "UTF8"]);
    const options = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c max_connections=50`;
    run(path.join(PG_BIN, "pg_ctl"), ["-D", data, "-o", options, "-l", path.join(dir, "log"), "-w", "start"]);
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
