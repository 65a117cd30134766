import os from "node:os";
import path from "node:path";
import { z } from "zod";
import { configSchema, MAX_WORKERS, type RawConfig } from "./config-schema.ts";

/** Where dists are stored (PB_BLOB_URL and PB_S3_*). */
export type BlobsConfig =
  | { readonly kind: "fs"; readonly directory: string }
  | {
      readonly kind: "s3";
      readonly bucket: string;
      /** Without leading or trailing slash; "" for the bucket's root. */
      readonly prefix: string;
      readonly endpoint: string | undefined;
      readonly region: string;
      readonly forcePathStyle: boolean;
      /** Undefined: the SDK's default credential chain. */
      readonly credentials: { readonly accessKeyId: string; readonly secretAccessKey: string } | undefined;
    };

export interface Config {
  readonly port: number;
  readonly host: string;
  readonly dataDir: string;
  readonly baseUrl: string;
  readonly database:
    { readonly kind: "sqlite"; readonly file: string } | { readonly kind: "postgres"; readonly url: string };
  readonly secretKey: string | undefined;
  readonly blobs: BlobsConfig;
  readonly allowPrivateSources: boolean;
  readonly logLevel: string;
  readonly maxUploadBytes: number;
  /** Composer upstreams (docs/proxy.md): metadata max age and the time limit of one request. */
  readonly proxy: {
    readonly metadataMaxAgeMs: number;
    readonly timeoutMs: number;
    /** 0: change feeds are not followed on a timer. */
    readonly changesIntervalMs: number;
  };
  /** HTTP worker processes of `serve` (PB_WORKERS, `auto` resolved); 1 is a single process. */
  readonly workers: number;
  /** Where e-mail goes (PB_SMTP_URL, PB_SMTP_FROM); null: no e-mail is sent. */
  readonly smtp: { readonly url: string; readonly from: string } | null;
  /** Sign-in lockout: this many failures for an account or an address within the window. */
  readonly loginLockout: { readonly maxFailures: number; readonly windowMs: number };
  readonly audit: {
    readonly ipMode: "full" | "truncate" | "hash" | "none";
    readonly trustedProxies: readonly string[];
    readonly signingKey: string | undefined;
    readonly origin: string;
    readonly checkpointEveryMs: number;
    readonly checkpointEveryEvents: number;
    /** 0: no scheduled purge. */
    readonly purgeIntervalMs: number;
    /** 0: raw client addresses are not kept. */
    readonly rawIpDays: number;
    readonly sinkTimeoutMs: number;
    readonly sinkPollMs: number;
    /** PB_AUDIT_SINKS_FILE, applied by `serve` at each start; null: none. */
    readonly sinksFile: string | null;
  };
  /** Per-token (or per-address) request budget (docs/rate-limits.md); `requests` 0: off. */
  readonly rateLimit: { readonly requests: number; readonly windowMs: number };
  /** PB_REDIS_URL: the Redis the nodes share; null: none (rate limits are counted per process). */
  readonly redisUrl: string | null;
  /** PB_METRICS_TOKEN: the scraper's Bearer token for /metrics; null: no metrics. */
  readonly metricsToken: string | null;
  /** Alert rules beside the defaults, and where alerts are sent (docs/alert-rules.md). */
  readonly alerts: {
    readonly rulesFile: string | null;
    readonly webhookUrl: string | null;
    readonly webhookSecret: string | null;
    readonly slackWebhookUrl: string | null;
    readonly emailTo: readonly string[];
    readonly pollMs: number;
  };
}

/** Raised when an environment variable breaks a rule of the schema; the message names both. */
export class ConfigError extends Error {
  override readonly name = "ConfigError";
}

export function loadConfig(env: Readonly<Record<string, string | undefined>>): Config {
  const picked = Object.fromEntries(
    Object.keys(configSchema.shape).map((key) => [key, env[key] === "" ? undefined : env[key]]),
  );
  const parsed = configSchema.safeParse(picked);
  if (!parsed.success) {
    throw new ConfigError(describeIssues(parsed.error));
  }
  const raw = parsed.data;
  if (raw.PB_SMTP_URL !== undefined && raw.PB_SMTP_FROM === undefined) {
    throw new ConfigError("Invalid configuration:\n  PB_SMTP_FROM: must be set when PB_SMTP_URL is");
  }
  if (raw.PB_ALERT_EMAIL_TO !== undefined && raw.PB_SMTP_URL === undefined) {
    throw new ConfigError("Invalid configuration:\n  PB_ALERT_EMAIL_TO: needs PB_SMTP_URL to send e-mail");
  }
  if (raw.PB_ALERT_WEBHOOK_SECRET !== undefined && raw.PB_ALERT_WEBHOOK_URL === undefined) {
    throw new ConfigError("Invalid configuration:\n  PB_ALERT_WEBHOOK_SECRET: set PB_ALERT_WEBHOOK_URL too");
  }
  const blobProblem = blobSettingsProblem(raw);
  if (blobProblem !== null) throw new ConfigError(`Invalid configuration:\n  ${blobProblem}`);
  const dataDir = path.resolve(raw.PB_DATA_DIR);
  const shownHost = raw.PB_HOST === "0.0.0.0" || raw.PB_HOST === "::" ? "localhost" : raw.PB_HOST;
  const baseUrl =
    raw.PB_BASE_URL ?? `http://${shownHost.includes(":") ? `[${shownHost}]` : shownHost}:${raw.PB_PORT}`;
  return {
    port: raw.PB_PORT,
    host: raw.PB_HOST,
    dataDir,
    baseUrl,
    database: databaseFrom(raw.PB_DATABASE_URL, dataDir),
    secretKey: raw.PB_SECRET_KEY,
    blobs: blobsFrom(raw, dataDir),
    allowPrivateSources: raw.PB_ALLOW_PRIVATE_SOURCES,
    logLevel: raw.PB_LOG_LEVEL,
    maxUploadBytes: raw.PB_MAX_UPLOAD_BYTES,
    proxy: {
      metadataMaxAgeMs: raw.PB_PROXY_METADATA_MAX_AGE_SECONDS * 1000,
      timeoutMs: raw.PB_PROXY_TIMEOUT_SECONDS * 1000,
      changesIntervalMs: raw.PB_PROXY_CHANGES_INTERVAL_SECONDS * 1000,
    },
    workers: raw.PB_WORKERS === "auto" ? Math.min(MAX_WORKERS, os.availableParallelism()) : raw.PB_WORKERS,
    smtp:
      raw.PB_SMTP_URL === undefined || raw.PB_SMTP_FROM === undefined
        ? null
        : { url: raw.PB_SMTP_URL, from: raw.PB_SMTP_FROM },
    loginLockout: { maxFailures: raw.PB_LOGIN_MAX_FAILURES, windowMs: raw.PB_LOGIN_LOCKOUT_MINUTES * 60_000 },
    audit: {
      ipMode: raw.PB_AUDIT_IP_MODE,
      trustedProxies: raw.PB_TRUSTED_PROXIES,
      signingKey: raw.PB_AUDIT_SIGNING_KEY,
      origin: raw.PB_AUDIT_ORIGIN ?? defaultAuditOrigin(baseUrl),
      checkpointEveryMs: raw.PB_AUDIT_CHECKPOINT_SECONDS * 1000,
      checkpointEveryEvents: raw.PB_AUDIT_CHECKPOINT_EVENTS,
      purgeIntervalMs: raw.PB_AUDIT_PURGE_INTERVAL_SECONDS * 1000,
      rawIpDays: raw.PB_AUDIT_RAW_IP_DAYS,
      sinkTimeoutMs: raw.PB_AUDIT_SINK_TIMEOUT_SECONDS * 1000,
      sinkPollMs: raw.PB_AUDIT_SINK_POLL_MS,
      sinksFile: raw.PB_AUDIT_SINKS_FILE ?? null,
    },
    rateLimit: { requests: raw.PB_RATE_LIMIT_REQUESTS, windowMs: raw.PB_RATE_LIMIT_WINDOW_SECONDS * 1000 },
    redisUrl: raw.PB_REDIS_URL ?? null,
    metricsToken: raw.PB_METRICS_TOKEN ?? null,
    alerts: {
      rulesFile: raw.PB_ALERT_RULES_FILE ?? null,
      webhookUrl: raw.PB_ALERT_WEBHOOK_URL ?? null,
      webhookSecret: raw.PB_ALERT_WEBHOOK_SECRET ?? null,
      slackWebhookUrl: raw.PB_ALERT_SLACK_WEBHOOK_URL ?? null,
      emailTo: raw.PB_ALERT_EMAIL_TO ?? [],
      pollMs: raw.PB_ALERT_POLL_MS,
    },
  };
}

/** `https://repo.example.com/composer` -> `repo.example.com/composer/audit`. */
function defaultAuditOrigin(baseUrl: string): string {
  const url = new URL(baseUrl);
  return `${url.host}${url.pathname.replace(/\/+$/, "")}/audit`;
}

function databaseFrom(url: string | undefined, dataDir: string): Config["database"] {
  if (url === undefined) return { kind: "sqlite", file: path.join(dataDir, "broker.sqlite") };
  if (/^postgres(ql)?:\/\//.test(url)) return { kind: "postgres", url };
  const file = url.replace(/^(sqlite|file):/, "");
  return { kind: "sqlite", file: file === ":memory:" ? file : path.resolve(file) };
}

/** PB_S3_* settings that would be ignored or half-set, as the line to show; null when fine. */
function blobSettingsProblem(raw: RawConfig): string | null {
  if (raw.PB_BLOB_URL?.kind !== "s3") {
    const stray = (["PB_S3_ENDPOINT", "PB_S3_ACCESS_KEY_ID", "PB_S3_SECRET_ACCESS_KEY"] as const).find(
      (name) => raw[name] !== undefined,
    );
    return stray === undefined ? null : `${stray}: is only used with PB_BLOB_URL=s3://...`;
  }
  if ((raw.PB_S3_ACCESS_KEY_ID === undefined) !== (raw.PB_S3_SECRET_ACCESS_KEY === undefined)) {
    return raw.PB_S3_ACCESS_KEY_ID === undefined
      ? "PB_S3_ACCESS_KEY_ID: must be set with PB_S3_SECRET_ACCESS_KEY"
      : "PB_S3_SECRET_ACCESS_KEY: must be set with PB_S3_ACCESS_KEY_ID";
  }
  return null;
}

function blobsFrom(raw: RawConfig, dataDir: string): BlobsConfig {
  const location = raw.PB_BLOB_URL ?? { kind: "fs", directory: path.join(dataDir, "dists") };
  if (location.kind === "fs") return location;
  return {
    ...location,
    endpoint: raw.PB_S3_ENDPOINT,
    region: raw.PB_S3_REGION,
    forcePathStyle: raw.PB_S3_FORCE_PATH_STYLE,
    credentials:
      raw.PB_S3_ACCESS_KEY_ID === undefined || raw.PB_S3_SECRET_ACCESS_KEY === undefined
        ? undefined
        : { accessKeyId: raw.PB_S3_ACCESS_KEY_ID, secretAccessKey: raw.PB_S3_SECRET_ACCESS_KEY },
  };
}

function describeIssues(error: z.ZodError): string {
  const lines = error.issues.map((issue) => `  ${issue.path.join(".")}: ${issue.message}`);
  return `Invalid configuration:\n${lines.join("\n")}`;
}
