import { pathToFileURL } from "node:url";
import type { Config } from "../config/load-config.ts";
import { redactUrlPassword } from "../config/redact-url-password.ts";
import { systemContext, type AuditDetails } from "./audit-event.ts";
import { rowToEvent } from "./audit-row.ts";
import { auditTrail } from "./audit-trail.ts";
import type { Logger } from "../observability/logger.ts";
import type { Runtime } from "../runtime.ts";
import type { AuditRuntime } from "./open-audit.ts";
import { applyConfiguredSinks } from "./sinks/configured-sinks.ts";

/** `system` events of the server's life: started, stopped. */
export async function recordSystemEvent(
  audit: AuditRuntime,
  action: "started" | "stopped",
  details: AuditDetails,
): Promise<void> {
  await auditTrail(audit.log, systemContext).record({
    event: "system",
    action,
    outcome: "success",
    target: { type: "server" },
    details,
  });
}

/**
 * Settings come from the environment, so they change between starts. Each start records the
 * effective settings (secrets only as "set"/"unset") and, for each setting that differs from the
 * previous start, a `setting_changed` event with before and after. PB_AUDIT_IP_MODE is recorded as
 * the environment says (it is the default of `audit.ipMode`); the mode in force, which a stored
 * `audit.ipMode` decides once set, is beside the settings as `in_force` (its changes are
 * `settings_changed` events of their own, so it takes no part in the comparison).
 */
export async function recordConfiguration(audit: AuditRuntime, config: Config): Promise<void> {
  const trail = auditTrail(audit.log, systemContext);
  const settings = configurationSnapshot(config, audit.verifierKey);
  const previousRow = await audit.records.latestEvent("configuration", "loaded");
  const previous =
    previousRow === null
      ? null
      : (rowToEvent(previousRow).details.settings as Record<string, unknown> | undefined);
  if (previous !== undefined && previous !== null) {
    for (const [name, after] of Object.entries(settings)) {
      // A setting this version adds was not changed: the first start that knows it records it.
      if (!Object.hasOwn(previous, name)) continue;
      const before = previous[name] ?? null;
      if (JSON.stringify(before) === JSON.stringify(after)) continue;
      await trail.record({
        event: "configuration",
        action: "setting_changed",
        outcome: "success",
        severity: "warning",
        target: { type: "setting", name },
        details: { before, after },
      });
    }
  }
  await trail.record({
    event: "configuration",
    action: "loaded",
    outcome: "success",
    target: { type: "configuration" },
    details: { settings, in_force: { "audit.ipMode": audit.ipMode.current() } },
  });
}

/**
 * The effective PB_* settings as recorded. Secrets appear as set/unset; the checkpoint signing key
 * also by its public key id (from the verifier key), so replacing one key by another is a change.
 */
function configurationSnapshot(config: Config, verifierKey: string): Record<string, unknown> {
  const keyId = verifierKey.split("+")[1] ?? "?";
  return {
    PB_HOST: config.host,
    PB_PORT: config.port,
    PB_DATA_DIR: config.dataDir,
    PB_BASE_URL: config.baseUrl,
    PB_DATABASE_URL:
      config.database.kind === "postgres" ? redactUrlPassword(config.database.url) : config.database.file,
    PB_SECRET_KEY: config.secretKey === undefined ? "generated" : "set",
    ...blobSettings(config.blobs),
    PB_ALLOW_PRIVATE_SOURCES: config.allowPrivateSources,
    PB_LOG_LEVEL: config.logLevel,
    PB_MAX_UPLOAD_BYTES: config.maxUploadBytes,
    PB_WORKERS: config.workers,
    PB_SMTP_URL: config.smtp === null ? null : redactUrlPassword(config.smtp.url),
    PB_SMTP_FROM: config.smtp?.from ?? null,
    PB_AUDIT_IP_MODE: config.audit.ipMode,
    PB_TRUSTED_PROXIES: [...config.audit.trustedProxies],
    PB_AUDIT_SIGNING_KEY: `${config.audit.signingKey === undefined ? "generated" : "set"}, key id ${keyId}`,
    PB_AUDIT_ORIGIN: config.audit.origin,
    PB_AUDIT_CHECKPOINT_SECONDS: config.audit.checkpointEveryMs / 1000,
    PB_AUDIT_CHECKPOINT_EVENTS: config.audit.checkpointEveryEvents,
    PB_AUDIT_SINKS_FILE: config.audit.sinksFile,
    PB_AUDIT_SINK_TIMEOUT_SECONDS: config.audit.sinkTimeoutMs / 1000,
    PB_AUDIT_SINK_POLL_MS: config.audit.sinkPollMs,
    PB_METRICS_TOKEN: config.metricsToken === null ? "unset" : "set",
    PB_ALERT_RULES_FILE: config.alerts.rulesFile,
    PB_ALERT_WEBHOOK_URL:
      config.alerts.webhookUrl === null ? null : redactUrlPassword(config.alerts.webhookUrl),
    PB_ALERT_WEBHOOK_SECRET: config.alerts.webhookSecret === null ? "unset" : "set",
    // The URL of an incoming webhook is its secret.
    PB_ALERT_SLACK_WEBHOOK_URL: config.alerts.slackWebhookUrl === null ? "unset" : "set",
    // E-mail addresses never enter the log: how many.
    PB_ALERT_EMAIL_TO: config.alerts.emailTo.length,
    PB_ALERT_POLL_MS: config.alerts.pollMs,
    PB_PROXY_CHANGES_INTERVAL_SECONDS: config.proxy.changesIntervalMs / 1000,
    PB_REDIS_URL: config.redisUrl === null ? null : redactUrlPassword(config.redisUrl),
    PB_RATE_LIMIT_REQUESTS: config.rateLimit.requests,
    PB_RATE_LIMIT_WINDOW_SECONDS: config.rateLimit.windowMs / 1000,
  };
}

/** Where dists are stored; the S3 credentials as set/unset (the key id names an account). */
function blobSettings(blobs: Config["blobs"]): Record<string, unknown> {
  if (blobs.kind === "fs") return { PB_BLOB_URL: pathToFileURL(blobs.directory).href };
  return {
    PB_BLOB_URL: `s3://${blobs.bucket}${blobs.prefix === "" ? "" : `/${blobs.prefix}`}`,
    PB_S3_ENDPOINT: blobs.endpoint === undefined ? null : redactUrlPassword(blobs.endpoint),
    PB_S3_REGION: blobs.region,
    PB_S3_FORCE_PATH_STYLE: blobs.forcePathStyle,
    PB_S3_ACCESS_KEY_ID: blobs.credentials === undefined ? "unset" : "set",
    PB_S3_SECRET_ACCESS_KEY: blobs.credentials === undefined ? "unset" : "set",
  };
}

/**
 * Applies PB_AUDIT_SINKS_FILE, as the system, and logs what it did; an invalid file throws (the
 * start stops with its message).
 */
export async function applySinksFile(
  runtime: Pick<Runtime, "config" | "audit" | "auditSinks">,
  logger: Logger,
): Promise<void> {
  const file = runtime.config.audit.sinksFile;
  if (file === null) return;
  const report = await applyConfiguredSinks(
    file,
    runtime.auditSinks,
    auditTrail(runtime.audit.log, systemContext),
  );
  logger.info({ context: { file, ...report } }, "Audit sinks file applied");
}
