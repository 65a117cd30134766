import { z } from "zod";
import { sinkFormats, sinkTypes } from "./sink-transport.ts";

// eslint-disable-next-line no-control-regex -- refusing control characters is the point
const PRINTABLE = /^[^\u0000-\u001f\u007f]+$/u;

const sinkName = z
  .string()
  .min(1)
  .max(100)
  .regex(PRINTABLE, { error: "must not contain control characters" })
  .describe("A name to tell sinks apart; unique. Defaults to the type and the receiver's host.");
const sinkUrl = z
  .string()
  .min(1)
  .max(2048)
  .describe("The receiver: https://... for HTTP receivers, tcp://host:port or tls://host:port for syslog.");
const sinkToken = z
  .string()
  .min(1)
  .max(4096)
  .regex(PRINTABLE, { error: "must not contain control characters" })
  .describe("The receiver's credential (Splunk HEC token, Datadog API key, Elasticsearch API key ...).");
const signingSecret = z
  .string()
  .min(16, { error: "must be at least 16 characters" })
  .max(4096)
  .describe("The webhook's HMAC-SHA256 signing secret.");
const sinkOptions = z
  .record(z.string().min(1).max(64), z.union([z.string().max(4096), z.number(), z.boolean()]))
  .refine((options) => Object.keys(options).length <= 32, { error: "at most 32 options" })
  .describe("Options of the sink's type (docs/audit-forwarding.md), such as `index` or `site`.");

/** `POST /api/audit/sinks` and `audit sink add`. */
export const newSinkSchema = z
  .strictObject({
    type: z.enum(sinkTypes),
    url: sinkUrl
      .optional()
      .describe(
        "The receiver; required, except for Datadog, whose default is the intake of the `site` option.",
      ),
    name: sinkName.optional(),
    format: z
      .enum(sinkFormats)
      .optional()
      .describe("How records are rendered; `ecs` for Elasticsearch, `json` for the others by default."),
    token: sinkToken.optional(),
    secret: signingSecret.optional(),
    options: sinkOptions.optional(),
    from: z
      .enum(["start", "now"])
      .optional()
      .describe("`start` (default) forwards every event the log still holds; `now` only new ones."),
  })
  .meta({ id: "NewAuditSink" });
export type NewSinkInput = z.infer<typeof newSinkSchema>;

/** `PATCH /api/audit/sinks/{id}`: what may change; a credential is replaced, never shown. */
export const sinkChangeSchema = z
  .strictObject({
    name: sinkName.optional(),
    url: sinkUrl.optional(),
    format: z.enum(sinkFormats).optional(),
    token: sinkToken.optional(),
    options: sinkOptions.optional(),
    paused: z.boolean().optional().describe("Pause or resume delivery; the cursor stays where it is."),
  })
  .refine((change) => Object.keys(change).length > 0, { error: "nothing to change" })
  .meta({ id: "AuditSinkChange" });
export type SinkChangeInput = z.infer<typeof sinkChangeSchema>;

/** `POST /api/audit/sinks/{id}/rotate-secret`. */
export const secretRotationSchema = z
  .strictObject({
    secret: signingSecret,
    overlapHours: z
      .number()
      .int()
      .min(0)
      .max(24 * 30)
      .optional()
      .describe("How long the previous secrets keep signing beside the new one (default 24)."),
  })
  .meta({ id: "SigningSecretRotation" });
export type SecretRotationInput = z.infer<typeof secretRotationSchema>;

/** Types whose receiver needs a token, and the one that signs with secrets. */
export const TOKEN_REQUIRED: ReadonlySet<string> = new Set(["splunk-hec", "datadog"]);
export const SIGNED_TYPES: ReadonlySet<string> = new Set(["webhook"]);
