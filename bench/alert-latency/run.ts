// Alert latency (issue 7): from the last evidence event to the alert's delivery at a webhook,
// through `package-broker serve` on its defaults (the rules read new events once a second).
//
//   npm run build && node bench/alert-latency/run.ts [--rounds 5]
//
// Each round signs in 10 times with a wrong password for a new account (the default brute-force
// rule: 10 failures for one account in 10 minutes) and times the alert's arrival at a local
// webhook from the 10th refusal's response. Target: under 60 s.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { consoleContext } from "../../src/audit/audit-event.ts";
import { auditTrail } from "../../src/audit/audit-trail.ts";
import { loadConfig } from "../../src/config/load-config.ts";
import { createSilentLogger } from "../../src/observability/logger.ts";
import { openRuntime } from "../../src/runtime.ts";
import { RecordingHttpServer } from "../../test/doubles/recording-http-server.ts";
import { BrokerServer } from "../../test/support/broker-process.ts";
import { log } from "../audit-data/machine.ts";
import { countOption } from "../metadata-throughput/bench-entry.ts";

const { values } = parseArgs({ options: { rounds: { type: "string", default: "5" } } });
const rounds = countOption("rounds", values.rounds, 1, 50);

const PASSWORD = "a long and correct password 7";
const root = fs.mkdtempSync(path.join(os.tmpdir(), "pb-bench-alert-latency-"));
const arrivals = new Map<string, number>();
const webhook = await RecordingHttpServer.start((request) => {
  const { alert } = JSON.parse(request.body.toString()) as { alert: { group: Record<string, string> } };
  const account = alert.group["target.id"];
  if (account !== undefined && !arrivals.has(account)) arrivals.set(account, performance.now());
  return { status: 204 };
});
const env = {
  PB_DATA_DIR: path.join(root, "data"),
  PB_BASE_URL: "http://broker.test",
  PB_LOG_LEVEL: "warn",
  PB_LOGIN_MAX_FAILURES: "1000",
  PB_ALERT_WEBHOOK_URL: `${webhook.url}/alerts`,
};
let server: BrokerServer | undefined;
try {
  const accounts: string[] = [];
  const runtime = await openRuntime(loadConfig(env), createSilentLogger());
  try {
    for (let i = 0; i < rounds; i += 1) {
      const user = await runtime.auditedUsers.create(
        { email: `person-${i}@example.org`, role: "viewer", password: PASSWORD },
        auditTrail(runtime.audit.log, consoleContext),
      );
      accounts.push(user.id);
    }
  } finally {
    await runtime.close();
  }
  server = await BrokerServer.start(env);
  const latencies: number[] = [];
  for (let i = 0; i < rounds; i += 1) {
    let lastRefusal = 0;
    for (let attempt = 0; attempt < 10; attempt += 1) {
      const response = await fetch(`${server.url}/api/session`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ email: `person-${i}@example.org`, password: `wrong ${attempt}` }),
      });
      await response.arrayBuffer();
      lastRefusal = performance.now();
    }
    const account = accounts[i] ?? "";
    const deadline = performance.now() + 120_000;
    while (!arrivals.has(account)) {
      if (performance.now() > deadline) throw new Error(`no alert for ${account} within 120 s`);
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    const latency = (arrivals.get(account) ?? 0) - lastRefusal;
    latencies.push(latency);
    log(`round ${i + 1}: ${latency.toFixed(0)} ms`);
  }
  const sorted = [...latencies].sort((a, b) => a - b);
  const median = sorted[Math.floor(sorted.length / 2)] ?? 0;
  log(
    `alert latency over ${rounds} rounds: median ${median.toFixed(0)} ms, min ${(sorted[0] ?? 0).toFixed(0)} ms, ` +
      `max ${(sorted.at(-1) ?? 0).toFixed(0)} ms (target: under 60,000 ms); load ${os.loadavg()[0]?.toFixed(2) ?? "?"}`,
  );
} finally {
  await server?.stop();
  await webhook.close();
  fs.rmSync(root, { recursive: true, force: true });
}
