import type { Config } from "../config/load-config.ts";

/** The lease and history name of each background job (docs/operations/jobs.md). */
export const CHECKPOINT_JOB = "audit.checkpoints";
export const PURGE_JOB = "audit.retention.purge";
/** One process of one node delivers at a time, in seq order. */
export const SINK_DELIVERY_JOB = "audit.sinks.delivery";
/** One process evaluates the stream, so each alert is raised once. */
export const ALERT_EVALUATION_JOB = "audit.alerts.evaluation";
export const CHANGE_FEEDS_JOB = "proxy.change-feeds";

export interface BackgroundJobInfo {
  readonly name: string;
  readonly description: string;
  /** How often a node tries to run it; 0: only on demand. */
  readonly intervalSeconds: number;
}

/** The jobs every node's server runs under a lease, as the jobs API lists them. */
export function backgroundJobCatalog(config: Config): BackgroundJobInfo[] {
  const seconds = (ms: number): number => ms / 1000;
  return [
    {
      name: CHECKPOINT_JOB,
      description: "Signs a checkpoint of the audit log's Merkle tree when it grew.",
      intervalSeconds: seconds(config.audit.checkpointEveryMs),
    },
    {
      name: PURGE_JOB,
      description: "Purges audit event payloads older than the retention policy; shreds expired raw IP keys.",
      intervalSeconds: seconds(config.audit.purgeIntervalMs),
    },
    {
      name: SINK_DELIVERY_JOB,
      description: "Delivers the audit log to its sinks (SIEMs, syslog, webhooks).",
      intervalSeconds: seconds(config.audit.sinkPollMs),
    },
    {
      name: ALERT_EVALUATION_JOB,
      description: "Runs the alert rules over new audit events, responds and notifies.",
      intervalSeconds: seconds(config.alerts.pollMs),
    },
    {
      name: CHANGE_FEEDS_JOB,
      description: "Follows the change feeds of composer upstreams that publish one.",
      intervalSeconds: seconds(config.proxy.changesIntervalMs),
    },
  ];
}
