import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { freePort } from "./free-port.ts";
import { requireComponent } from "./required-component.ts";

const PROMETHEUS = process.env.PB_TEST_PROMETHEUS ?? "/usr/bin/prometheus";

/** The job name the broker's target is scraped under (the `job` label). */
export const BROKER_JOB = "package-broker";

/** One series of an instant query's answer (`resultType: vector`). */
export interface VectorSample {
  readonly metric: Readonly<Record<string, string>>;
  /** The sample's time (Unix seconds) and value. */
  readonly value: readonly [number, number];
}

export interface PrometheusServer {
  /** http://127.0.0.1:PORT */
  readonly url: string;
  /** An instant query through /api/v1/query; throws unless Prometheus answers `success`. */
  query(expression: string): Promise<VectorSample[]>;
  /** The single value of `expression`; null when it has no series. */
  value(expression: string): Promise<number | null>;
  /**
   * Waits until Prometheus has scraped the broker after this call (its `up` sample is newer),
   * so that queries see what the broker counted until now.
   */
  waitForScrape(): Promise<void>;
  /** What Prometheus wrote to stdout and stderr (for failure messages). */
  output(): string;
  /** Stops Prometheus and removes its folder; safe to call twice. */
  stop(): Promise<void>;
}

export interface PrometheusOptions {
  /** host:port of the broker. */
  readonly target: string;
  /** Sent as `Authorization: Bearer` (PB_METRICS_TOKEN). */
  readonly bearerToken: string;
}

export function prometheusAvailable(): boolean {
  return fs.existsSync(PROMETHEUS) && spawnSync(PROMETHEUS, ["--version"]).status === 0;
}

/** True when the suite should run; under CI=true a missing prometheus fails the suite. */
export function requirePrometheus(): boolean {
  return requireComponent(
    "prometheus",
    prometheusAvailable(),
    `install Debian's prometheus (expected at ${PROMETHEUS}, or set PB_TEST_PROMETHEUS)`,
  );
}

/**
 * The real Prometheus server on a free loopback port, its storage in a temporary folder, scraping
 * the broker's /metrics every second. Resolves once it is ready (/-/ready).
 */
export async function startPrometheus(options: PrometheusOptions): Promise<PrometheusServer> {
  const port = await freePort();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "pb-prometheus-"));
  const tokenFile = path.join(dir, "metrics-token");
  fs.writeFileSync(tokenFile, options.bearerToken, { mode: 0o600 });
  const configFile = path.join(dir, "prometheus.yml");
  fs.writeFileSync(
    configFile,
    [
      "global:",
      "  scrape_interval: 1s",
      "  scrape_timeout: 1s",
      "scrape_configs:",
      `  - job_name: ${BROKER_JOB}`,
      "    metrics_path: /metrics",
      "    authorization:",
      "      type: Bearer",
      `      credentials_file: ${JSON.stringify(tokenFile)}`,
      "    static_configs:",
      `      - targets: [${JSON.stringify(options.target)}]`,
      "",
    ].join("\n"),
  );
  const child = spawn(
    PROMETHEUS,
    [
      `--config.file=${configFile}`,
      `--storage.tsdb.path=${path.join(dir, "data")}`,
      `--web.listen-address=127.0.0.1:${port}`,
      "--log.level=warn",
    ],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  let output = "";
  child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString("utf8")));
  child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString("utf8")));
  const url = `http://127.0.0.1:${port}`;
  let stopped: Promise<void> | null = null;
  const stop = (): Promise<void> => {
    stopped ??= stopChild(child).finally(() => {
      fs.rmSync(dir, { recursive: true, force: true });
    });
    return stopped;
  };
  try {
    await waitUntilReady(url, child, () => output);
  } catch (error) {
    await stop();
    throw error;
  }
  const query = async (expression: string): Promise<VectorSample[]> => {
    const response = await fetch(
      `${url}/api/v1/query?${new URLSearchParams({ query: expression }).toString()}`,
    );
    const body = (await response.json()) as {
      status: string;
      error?: string;
      data?: { resultType: string; result: { metric: Record<string, string>; value: [number, string] }[] };
    };
    if (body.status !== "success" || body.data?.resultType !== "vector") {
      throw new Error(`query ${expression} failed: ${body.error ?? JSON.stringify(body)}`);
    }
    return body.data.result.map(({ metric, value }) => ({ metric, value: [value[0], Number(value[1])] }));
  };
  const value = async (expression: string): Promise<number | null> => {
    const result = await query(expression);
    if (result.length > 1) throw new Error(`query ${expression} has ${result.length} series, not one`);
    return result[0]?.value[1] ?? null;
  };
  return {
    url,
    query,
    value,
    waitForScrape: async () => {
      const since = Date.now() / 1000;
      const deadline = Date.now() + 20_000;
      for (;;) {
        const last = await value(`timestamp(up{job="${BROKER_JOB}"})`);
        if (last !== null && last > since) return;
        if (Date.now() > deadline) throw new Error(`prometheus did not scrape the broker: ${output}`);
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    },
    output: () => output,
    stop,
  };
}

async function waitUntilReady(url: string, child: ChildProcess, output: () => string): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`prometheus exited with ${child.exitCode}: ${output()}`);
    try {
      if ((await fetch(`${url}/-/ready`)).ok) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`prometheus was not ready within 30 s: ${output()}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once("exit", resolve));
  child.kill("SIGTERM");
  const killer = setTimeout(() => child.kill("SIGKILL"), 10_000);
  await exited;
  clearTimeout(killer);
}
