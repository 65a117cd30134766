import { describe, expect, it } from "vitest";
import { parseMetricsText, sumOf } from "../../test/support/metrics-text.ts";
import { createSilentLogger } from "../observability/logger.ts";
import { ProcessMetrics, type ProcessSnapshot } from "../observability/process-metrics.ts";
import { answerWorker } from "./answer-worker.ts";
import { AuditTurns } from "./audit-turns.ts";
import {
  isPrimaryMessage,
  isWorkerMessage,
  type PrimaryMessage,
  type WorkerMessage,
} from "./cluster-messages.ts";
import { MetricsGathering, type MetricsPeer } from "./metrics-gathering.ts";
import { PrimaryLink } from "./primary-link.ts";
import { AggregatorRegistry } from "prom-client";

const ROUTE = { method: "GET", route: "/packages.json", status: 200, seconds: 0.01 };

/** A process's counters after `requests` requests. */
function processWith(requests: number): ProcessMetrics {
  const metrics = new ProcessMetrics();
  for (let i = 0; i < requests; i++) metrics.requestCompleted(ROUTE);
  return metrics;
}

async function requestsIn(snapshots: readonly ProcessSnapshot[]): Promise<number> {
  const text = await AggregatorRegistry.aggregate([...snapshots]).metrics();
  return sumOf(parseMetricsText(text), "pb_http_requests_total");
}

/** A worker that answers the gathering's questions on the next turn of the event loop. */
function answeringPeer(gathering: () => MetricsGathering, metrics: ProcessMetrics): MetricsPeer {
  const worker = {};
  return {
    worker,
    ask: (id) => {
      setImmediate(() => {
        void metrics.snapshot().then((snapshot) => {
          gathering().answered(worker, id, structuredClone(snapshot));
        });
      });
    },
  };
}

describe("MetricsGathering", () => {
  it("gathers the primary's counters and every worker's", async () => {
    const peers: MetricsPeer[] = [];
    const gathering = new MetricsGathering({
      own: () => processWith(1).snapshot(),
      peers: () => peers,
    });
    peers.push(
      answeringPeer(() => gathering, processWith(2)),
      answeringPeer(() => gathering, processWith(3)),
    );
    expect(await requestsIn(await gathering.gather())).toBe(6);
  });

  it("counts a worker that does not answer in time with its previous answer", async () => {
    const peers: MetricsPeer[] = [];
    const gathering = new MetricsGathering({
      own: () => new ProcessMetrics().snapshot(),
      peers: () => peers,
      timeoutMs: 20,
    });
    const busy = processWith(5);
    const answering = answeringPeer(() => gathering, busy);
    peers.push(answering);
    expect(await requestsIn(await gathering.gather())).toBe(5);
    // Now it stays silent: the total does not drop.
    busy.requestCompleted(ROUTE);
    peers[0] = { worker: answering.worker, ask: () => undefined };
    expect(await requestsIn(await gathering.gather())).toBe(5);
  });

  it("keeps an exited worker's last answer, so the totals never go down", async () => {
    const peers: MetricsPeer[] = [];
    const gathering = new MetricsGathering({ own: () => processWith(1).snapshot(), peers: () => peers });
    let total = 1;
    // More exits than are kept apart: the old ones are added up into one.
    for (let i = 0; i < 20; i++) {
      const peer = answeringPeer(() => gathering, processWith(2));
      peers.push(peer);
      total += 2;
      expect(await requestsIn(await gathering.gather())).toBe(total);
      peers.pop();
      gathering.forget(peer.worker);
      expect(await requestsIn(await gathering.gather())).toBe(total);
    }
  });

  it("does not wait for a worker that exits or cannot be asked", async () => {
    const silent = {};
    const peers: MetricsPeer[] = [
      { worker: silent, ask: () => undefined },
      {
        worker: {},
        ask: () => {
          throw new Error("worker 123 is gone");
        },
      },
    ];
    const gathering = new MetricsGathering({
      own: () => processWith(4).snapshot(),
      peers: () => peers,
      timeoutMs: 60_000,
    });
    const gathered = gathering.gather();
    setImmediate(() => {
      gathering.forget(silent);
    });
    expect(await requestsIn(await gathered)).toBe(4);
  });

  it("answers a worker's scrape over the IPC messages, with every worker's counters", async () => {
    const turns = new AuditTurns();
    const checkpointer = {
      checkpointNow: () => Promise.resolve(null),
      reached: () => undefined,
      start: () => undefined,
      stop: () => Promise.resolve(),
    };
    const links = new Map<object, PrimaryLink>();
    const gathering = new MetricsGathering({
      own: () => processWith(1).snapshot(),
      peers: () =>
        [...links.entries()].map(([worker, link]) => ({
          worker,
          ask: (id: number) => {
            setImmediate(() => {
              link.receive(structuredClone({ pb: "metrics-collect", id }));
            });
          },
        })),
    });
    const startWorker = (metrics: ProcessMetrics): PrimaryLink => {
      const worker = {};
      const link = new PrimaryLink((message: WorkerMessage) => {
        const copy: unknown = structuredClone(message);
        setImmediate(() => {
          answerWorker(
            worker,
            copy,
            { turns, checkpointer, metrics: gathering, logger: createSilentLogger() },
            (reply: PrimaryMessage) => {
              setImmediate(() => {
                link.receive(structuredClone(reply));
              });
            },
          );
        });
      });
      link.answerMetricsWith(() => metrics.snapshot());
      links.set(worker, link);
      return link;
    };
    const first = startWorker(processWith(10));
    startWorker(processWith(20));
    expect(await requestsIn(await first.gatherMetrics())).toBe(31);
  });
});

describe("metrics messages", () => {
  it("accepts well-formed ones and refuses malformed or hostile ones", async () => {
    const snapshot = await processWith(1).snapshot();
    expect(isWorkerMessage({ pb: "metrics-request", id: 1 })).toBe(true);
    expect(isWorkerMessage({ pb: "metrics-snapshot", id: 1, snapshot })).toBe(true);
    expect(isPrimaryMessage({ pb: "metrics-collect", id: 2 })).toBe(true);
    expect(isPrimaryMessage({ pb: "metrics-result", id: 2, snapshots: [snapshot, []] })).toBe(true);
    const family = snapshot[0];
    for (const bad of [
      { pb: "metrics-request", id: "1" },
      { pb: "metrics-snapshot", id: 1 },
      { pb: "metrics-snapshot", id: 1, snapshot: "pb_x 1" },
      { pb: "metrics-snapshot", id: 1, snapshot: [{ name: "pb_x", values: [] }] },
      { pb: "metrics-snapshot", id: 1, snapshot: [{ ...family, aggregator: "constructor" }] },
      { pb: "metrics-snapshot", id: 1, snapshot: [{ ...family, name: 'x{a="b"}' }] },
      { pb: "metrics-snapshot", id: 1, snapshot: [{ ...family, values: [{ value: "1" }] }] },
    ])
      expect(isWorkerMessage(bad)).toBe(false);
    expect(isPrimaryMessage({ pb: "metrics-result", id: 2 })).toBe(false);
    expect(isPrimaryMessage({ pb: "metrics-result", id: 2, snapshots: [[{ name: 1 }]] })).toBe(false);
    expect(isPrimaryMessage({ pb: "metrics-collect", id: 1.5 })).toBe(false);
  });
});
