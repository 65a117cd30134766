import net from "node:net";
import { z } from "zod";
import { parseBlobUrl } from "./blob-url.ts";

const booleanFlag = z
  .enum(["true", "false", "1", "0", "yes", "no"], { error: "must be true or false" })
  .transform((value) => value === "true" || value === "1" || value === "yes");

/**
 * Credentials, a query or a fragment would end up in every metadata and dist URL (and
 * packages.json would refuse to build), so they are refused here. The URL is kept in the canonical
 * form packages.json uses (lowercase scheme and host, no default port, no trailing slash), so
 * that dist URLs and metadata URLs agree.
 */
const httpUrl = z
  .url({ protocol: /^https?$/, error: "must be an absolute http(s) URL" })
  .refine(
    (value) => {
      const url = URL.parse(value);
      return (
        url === null || (url.username === "" && url.password === "" && url.search === "" && url.hash === "")
      );
    },
    { error: "must not contain credentials, a query or a fragment" },
  )
  .transform((value) => {
    const url = new URL(value);
    return `${url.origin}${url.pathname.replace(/\/+$/, "")}`;
  });

/**
 * The SMTP server for e-mail (invitations, password resets): `smtp://` (STARTTLS when offered) or
 * `smtps://` (TLS from the start), credentials in the URL. Query parameters are nodemailer's
 * connection options (`?tls.rejectUnauthorized=false` for a test server's own certificate).
 */
const smtpUrl = z.string().refine(
  (value) => {
    const url = URL.parse(value);
    return url !== null && (url.protocol === "smtp:" || url.protocol === "smtps:") && url.hostname !== "";
  },
  { error: "must be smtp://[user:password@]host[:port] or smtps://..." },
);

/** An address as a From header carries it: no white space, quotes, angle brackets or controls. */
const FROM_ADDRESS = String.raw`[^\s<>@"\p{Cc}]{1,64}@[^\s<>@"\p{Cc}]{1,255}`;
/** A display name: no quotes, angle brackets, `@` (no look-alike address) or line breaks. */
const FROM_NAME = String.raw`[^"<>@\p{Cc}]{1,100}`;

/** The From of e-mails: an address, or `Name <address>`; nothing that could start a new header. */
const mailFrom = z
  .string()
  .trim()
  .regex(new RegExp(`^(?:${FROM_NAME} <${FROM_ADDRESS}>|${FROM_ADDRESS})$`, "u"), {
    error: "must be an e-mail address, or a name and an address: PACKAGE.broker <broker@example.com>",
  });

/**
 * The Redis server shared by the nodes (rate limits): `redis://[user:password@]host[:port][/db]`
 * or `rediss://...` (TLS).
 */
const redisUrl = z.string().refine(
  (value) => {
    const url = URL.parse(value);
    return (
      url !== null &&
      (url.protocol === "redis:" || url.protocol === "rediss:") &&
      url.hostname !== "" &&
      /^(\/\d{0,2})?$/.test(url.pathname) &&
      url.search === "" &&
      url.hash === ""
    );
  },
  { error: "must be redis://[user:password@]host[:port][/db] or rediss://... (TLS)" },
);

const databaseUrl = z
  .string()
  .refine((value) => /^(postgres(ql)?:\/\/|sqlite:|file:)/.test(value) || !value.includes("://"), {
    error: "must be postgres://..., sqlite:PATH, or a file path",
  });

/**
 * More HTTP worker processes than this helps nothing (each holds a database connection, SQLite
 * has one writer at a time) and is more likely a typo.
 */
export const MAX_WORKERS = 64;

/**
 * Every setting of the server, read from PB_* environment variables. The description of each
 * field is the documentation shown in docs/configuration.md.
 */
export const configSchema = z.object({
  PB_PORT: z.coerce
    .number({ error: "must be a port number" })
    .int({ error: "must be a whole number" })
    .min(0, { error: "must be between 0 and 65535" })
    .max(65535, { error: "must be between 0 and 65535" })
    .default(8080)
    .describe("TCP port the HTTP server listens on."),
  PB_HOST: z
    .string()
    .min(1, { error: "must not be empty" })
    .default("0.0.0.0")
    .describe("Address the HTTP server binds to."),
  PB_DATA_DIR: z
    .string()
    .min(1, { error: "must not be empty" })
    .default("./data")
    .describe("Directory for the SQLite database, dists, git mirrors and the secret key."),
  PB_BASE_URL: httpUrl
    .optional()
    .describe(
      "Public URL of the server, used to build absolute URLs (dist URLs are frozen in composer.lock). Defaults to http://localhost:PORT.",
    ),
  PB_DATABASE_URL: databaseUrl
    .optional()
    .describe("postgres://user@host:port/db selects PostgreSQL; otherwise SQLite at DATA_DIR/broker.sqlite."),
  PB_BLOB_URL: z
    .string()
    .transform((value, ctx) => parseBlobUrl(value, ctx))
    .optional()
    .describe(
      "Where dists are stored: s3://bucket/optional/prefix selects S3-compatible object storage, file:///absolute/path a folder. Defaults to DATA_DIR/dists.",
    ),
  PB_S3_ENDPOINT: httpUrl
    .optional()
    .describe(
      "Endpoint of an S3-compatible service (MinIO, R2, Ceph); unset: AWS's endpoint for the region.",
    ),
  PB_S3_REGION: z
    .string()
    .regex(/^[a-z0-9-]{1,32}$/, {
      error: "must be a region name like us-east-1 (lowercase letters, digits, -)",
    })
    .default("us-east-1")
    .describe("Region of the bucket (R2: auto)."),
  PB_S3_FORCE_PATH_STYLE: booleanFlag
    .default(false)
    .describe("Address the bucket as ENDPOINT/bucket rather than bucket.ENDPOINT (MinIO, Ceph)."),
  PB_S3_ACCESS_KEY_ID: z
    .string()
    .regex(/^[\x21-\x7e]{1,128}$/, { error: "must be 1 to 128 printable characters without spaces" })
    .optional()
    .describe("Access key of the object store; unset: the SDK's default credential chain."),
  PB_S3_SECRET_ACCESS_KEY: z
    .string()
    .regex(/^[\x21-\x7e]{1,256}$/, { error: "must be 1 to 256 printable characters without spaces" })
    .optional()
    .describe("Secret key of the object store, with PB_S3_ACCESS_KEY_ID; never logged."),
  PB_SECRET_KEY: z
    .string()
    .regex(/^[A-Za-z0-9+/]{43}=$|^[0-9a-fA-F]{64}$/, {
      error: "must be 32 bytes, base64 (44 characters) or hex (64 characters)",
    })
    .optional()
    .describe(
      "Key that encrypts stored credentials (AES-256-GCM). Generated into DATA_DIR/secret.key (mode 0600) when absent.",
    ),
  PB_SMTP_URL: smtpUrl
    .optional()
    .describe(
      "SMTP server that e-mails invitation and password-reset links: smtp://user:password@host:587 (STARTTLS) or smtps://...:465. Unset: links are only shown to the admin who made them.",
    ),
  PB_SMTP_FROM: mailFrom
    .optional()
    .describe("From address of e-mails, `address` or `Name <address>`; required with PB_SMTP_URL."),
  PB_LOGIN_MAX_FAILURES: z.coerce
    .number({ error: "must be a number of failed attempts" })
    .int({ error: "must be a whole number" })
    .min(1, { error: "must be at least 1" })
    .max(1000, { error: "must be at most 1000" })
    .default(10)
    .describe(
      "Failed sign-ins (or re-authentications) for one account, or from one address, that lock it out for PB_LOGIN_LOCKOUT_MINUTES.",
    ),
  PB_LOGIN_LOCKOUT_MINUTES: z.coerce
    .number({ error: "must be a number of minutes" })
    .int({ error: "must be a whole number" })
    .min(1, { error: "must be at least 1" })
    .max(1440, { error: "must be at most 1440 (a day)" })
    .default(10)
    .describe("The window the failures are counted in, and how long a lockout lasts after the last one."),
  PB_ALLOW_PRIVATE_SOURCES: booleanFlag
    .default(false)
    .describe(
      "Allow repository URLs that resolve to loopback, link-local or private addresses, and local paths.",
    ),
  PB_PROXY_METADATA_MAX_AGE_SECONDS: z.coerce
    .number({ error: "must be a number of seconds" })
    .int({ error: "must be a whole number" })
    .min(0, { error: "must not be negative" })
    .default(300)
    .describe("How long metadata fetched from a composer upstream is served before it is revalidated."),
  PB_PROXY_TIMEOUT_SECONDS: z.coerce
    .number({ error: "must be a number of seconds" })
    .int({ error: "must be a whole number" })
    .min(1, { error: "must be at least 1" })
    .max(600, { error: "must be at most 600" })
    .default(20)
    .describe("Time limit of one request to a composer upstream (metadata or dist), body included."),
  PB_PROXY_CHANGES_INTERVAL_SECONDS: z.coerce
    .number({ error: "must be a number of seconds" })
    .int({ error: "must be a whole number" })
    .min(0, { error: "must be 0 (not followed) or more" })
    .max(86_400, { error: "must be at most 86400" })
    .default(300)
    .describe(
      "How often the change feeds (metadata-changes-url) of composer upstreams are followed; 0: never.",
    ),
  PB_REDIS_URL: redisUrl
    .optional()
    .describe(
      "Redis shared by all nodes, for rate limits: redis://[user:password@]host[:port][/db] or rediss://... (TLS). Unset: each process counts on its own.",
    ),
  PB_RATE_LIMIT_REQUESTS: z.coerce
    .number({ error: "must be a number of requests" })
    .int({ error: "must be a whole number" })
    .min(0, { error: "must be 0 (no rate limit) or more" })
    .max(1_000_000, { error: "must be at most 1000000" })
    .default(6000)
    .describe(
      "Requests one token (or one client address without a token) may make per PB_RATE_LIMIT_WINDOW_SECONDS, as a burst or spread out; 0: no rate limit.",
    ),
  PB_RATE_LIMIT_WINDOW_SECONDS: z.coerce
    .number({ error: "must be a number of seconds" })
    .int({ error: "must be a whole number" })
    .min(1, { error: "must be at least 1" })
    .max(86_400, { error: "must be at most 86400" })
    .default(60)
    .describe("The window of PB_RATE_LIMIT_REQUESTS: the whole budget is back this long after a burst."),
  PB_LOG_LEVEL: z
    .enum(["trace", "debug", "info", "warn", "error", "fatal", "silent"], {
      error: "must be one of trace, debug, info, warn, error, fatal, silent",
    })
    .default("info")
    .describe("Minimum level of the operational log on stdout."),
  PB_MAX_UPLOAD_BYTES: z.coerce
    .number({ error: "must be a number of bytes" })
    .int({ error: "must be a whole number" })
    .positive({ error: "must be positive" })
    .default(64 * 1024 * 1024)
    .describe("Largest accepted upload (compressed), and largest decompressed archive."),
  PB_WORKERS: z
    .string()
    .regex(/^(auto|[0-9]{1,6})$/, { error: `must be "auto" or a whole number from 1 to ${MAX_WORKERS}` })
    .transform((value) => (value === "auto" ? ("auto" as const) : Number(value)))
    .refine((value) => value === "auto" || (value >= 1 && value <= MAX_WORKERS), {
      error: `must be "auto" or a whole number from 1 to ${MAX_WORKERS}`,
    })
    .default(1)
    .describe(
      "Processes that serve HTTP (auto: one per CPU). More than 1 runs a primary process that forks the workers.",
    ),
  PB_AUDIT_IP_MODE: z
    .enum(["full", "truncate", "hash", "none"], { error: "must be one of full, truncate, hash, none" })
    .default("truncate")
    .describe(
      "How client IP addresses enter the audit log: full, truncate (/24 IPv4, /48 IPv6), hash (keyed HMAC), none. The default of the runtime setting audit.ipMode, which wins once set.",
    ),
  PB_TRUSTED_PROXIES: z
    .string()
    .transform((value, ctx) => parseAddressList(value, ctx))
    .default([])
    .describe(
      "Comma-separated IPs or CIDR ranges of reverse proxies whose X-Forwarded-For is believed. Empty: the socket address is the client.",
    ),
  PB_AUDIT_SIGNING_KEY: z
    .string()
    .min(1)
    .optional()
    .describe(
      "Ed25519 key that signs audit checkpoints (PKCS#8 PEM or base64 seed). Generated into DATA_DIR/audit-signing.key (mode 0600) when absent.",
    ),
  PB_AUDIT_ORIGIN: z
    .string()
    .regex(/^[A-Za-z0-9][A-Za-z0-9.:/_-]{0,199}$/, {
      error: "must be a schema-less URL like example.com/audit (letters, digits, . : / _ -)",
    })
    .optional()
    .describe(
      "Origin line of the audit checkpoints (and the signing key's name). Defaults to the base URL's host and path + /audit.",
    ),
  PB_AUDIT_CHECKPOINT_SECONDS: z.coerce
    .number({ error: "must be a number of seconds" })
    .int({ error: "must be a whole number" })
    .min(1, { error: "must be at least 1" })
    .max(86_400, { error: "must be at most 86400" })
    .default(60)
    .describe("A checkpoint is signed at least this often while events are appended."),
  PB_AUDIT_CHECKPOINT_EVENTS: z.coerce
    .number({ error: "must be a number of events" })
    .int({ error: "must be a whole number" })
    .min(1, { error: "must be at least 1" })
    .default(1000)
    .describe("A checkpoint is signed after this many events."),
  PB_AUDIT_RAW_IP_DAYS: z.coerce
    .number({ error: "must be a number of days" })
    .int({ error: "must be a whole number" })
    .min(0, { error: "must be 0 (raw addresses are not kept) or more" })
    .max(3650, { error: "must be at most 3650" })
    .default(0)
    .describe(
      "Keep each client's raw IP address encrypted beside its audit event for this many days, then destroy the key; 0 keeps none.",
    ),
  PB_AUDIT_PURGE_INTERVAL_SECONDS: z.coerce
    .number({ error: "must be a number of seconds" })
    .int({ error: "must be a whole number" })
    .min(0, { error: "must be 0 (no scheduled purge) or more" })
    .max(604_800, { error: "must be at most 604800 (a week)" })
    .default(3600)
    .describe("How often the audit retention purge runs; 0 runs it only on demand."),
  PB_ALERT_RULES_FILE: z
    .string()
    .min(1)
    .optional()
    .describe(
      "A YAML file of alert rules (docs/alert-rules.md) used beside the default rules; a rule with a default rule's id replaces it.",
    ),
  PB_ALERT_WEBHOOK_URL: z
    .url({ protocol: /^https?$/, error: "must be an absolute http(s) URL" })
    .optional()
    .describe(
      "Every alert is POSTed here as JSON, signed like the webhook sink when PB_ALERT_WEBHOOK_SECRET is set.",
    ),
  PB_ALERT_WEBHOOK_SECRET: z
    .string()
    .min(16, { error: "must be at least 16 characters" })
    .optional()
    .describe(
      "Signs alert webhooks: HMAC-SHA256 over timestamp.body in PB-Signature (docs/audit-forwarding.md).",
    ),
  PB_ALERT_SLACK_WEBHOOK_URL: z
    .url({ protocol: /^https?$/, error: "must be an absolute http(s) URL" })
    .optional()
    .describe("A Slack-compatible incoming webhook (Slack, Mattermost, Rocket.Chat) that gets every alert."),
  PB_ALERT_EMAIL_TO: z
    .string()
    .transform((value, ctx) => parseEmailList(value, ctx))
    .optional()
    .describe("Comma-separated e-mail addresses that get every alert (needs PB_SMTP_URL)."),
  PB_ALERT_POLL_MS: z.coerce
    .number({ error: "must be a number of milliseconds" })
    .int({ error: "must be a whole number" })
    .min(100, { error: "must be at least 100" })
    .max(30_000, { error: "must be at most 30000" })
    .default(1000)
    .describe("How often the alert rules read new audit events."),
  PB_METRICS_TOKEN: z
    .string()
    .min(16, { error: "must be at least 16 characters" })
    .max(512, { error: "must be at most 512 characters" })
    .regex(/^[A-Za-z0-9\-._~+/]+=*$/, { error: "must be usable as a Bearer token (letters, digits, -._~+/)" })
    .optional()
    .describe(
      "Exposes Prometheus metrics at /metrics to a scraper that sends it as a Bearer token; unset: no metrics.",
    ),
  PB_AUDIT_SINKS_FILE: z
    .string()
    .min(1)
    .optional()
    .describe(
      "A YAML or JSON file of audit sinks ({sinks: [{name, type, url, ...}]}) applied at each start of serve: listed sinks are created or changed to match.",
    ),
  PB_AUDIT_SINK_TIMEOUT_SECONDS: z.coerce
    .number({ error: "must be a number of seconds" })
    .int({ error: "must be a whole number" })
    .min(1, { error: "must be at least 1" })
    .max(600, { error: "must be at most 600" })
    .default(30)
    .describe(
      "How long one delivery to an audit sink (and `audit sink test`) may take before it is aborted and retried.",
    ),
  PB_AUDIT_SINK_POLL_MS: z.coerce
    .number({ error: "must be a number of milliseconds" })
    .int({ error: "must be a whole number" })
    .min(100, { error: "must be at least 100" })
    .max(60_000, { error: "must be at most 60000" })
    .default(1000)
    .describe("How often the audit sinks look for new events to forward."),
});

/** `a@example.org, b@example.org` -> the addresses; an invalid one is an issue naming it. */
function parseEmailList(value: string, ctx: z.RefinementCtx<string>): string[] {
  const entries = value
    .split(",")
    .map((entry) => entry.trim())
    .filter((entry) => entry !== "");
  for (const entry of entries) {
    if (!z.email().safeParse(entry).success) {
      ctx.addIssue({ code: "custom", message: `"${entry}" is not an e-mail address` });
    }
  }
  if (entries.length === 0) ctx.addIssue({ code: "custom", message: "must name at least one address" });
  return entries;
}

/** `10.0.0.0/8, 192.168.1.7, ::1` -> validated entries; an invalid one is an issue naming it. */
function parseAddressList(value: string, ctx: z.RefinementCtx<string>): string[] {
  const entries = value
    .split(",")
    .map((entry) => entry.trim())
    .filter((entry) => entry !== "");
  for (const entry of entries) {
    const [address = "", prefix, extra] = entry.split("/");
    const family = net.isIP(address);
    const maxPrefix = family === 6 ? 128 : 32;
    const prefixOk = prefix === undefined || (/^\d{1,3}$/.test(prefix) && Number(prefix) <= maxPrefix);
    if (family === 0 || !prefixOk || extra !== undefined) {
      ctx.addIssue({ code: "custom", message: `"${entry}" is not an IP address or CIDR range` });
    }
  }
  return entries;
}

export type RawConfig = z.infer<typeof configSchema>;
