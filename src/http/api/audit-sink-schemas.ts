import { z } from "zod";
import { sinkFormats, sinkTypes } from "../../audit/sinks/sink-transport.ts";
import { instantSchema } from "../openapi/common-schemas.ts";

export const sinkSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    type: z.enum(sinkTypes),
    url: z.string().meta({ description: "The receiver; a password in it is shown as ***." }),
    format: z.enum(sinkFormats),
    options: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])),
    credentials: z.object({
      token: z.boolean().meta({ description: "Whether a token is set (it is never shown)." }),
      userinfo: z.boolean().meta({ description: "Whether the URL's user name and password are set." }),
      signingKeys: z.array(
        z.object({ keyId: z.string(), createdAt: instantSchema, retiresAt: instantSchema.nullable() }),
      ),
    }),
    paused: z.boolean(),
    pausedAt: instantSchema.nullable(),
    cursor: z.number().int().meta({ description: "The highest seq the receiver holds." }),
    checkpointCursor: z.number().int().meta({ description: "The largest checkpoint it holds." }),
    delivered: z.number().int().meta({ description: "Records delivered since the sink was added." }),
    lag: z.object({
      events: z.number().int().meta({ description: "Events the receiver does not hold yet." }),
      seconds: z.number().int().meta({ description: "The age of the oldest of them." }),
    }),
    lastSuccessAt: instantSchema.nullable(),
    lastError: z.string().nullable(),
    lastErrorAt: instantSchema.nullable(),
    failures: z.number().int().meta({ description: "Failed attempts in a row." }),
    nextAttemptAt: instantSchema.nullable().meta({ description: "When the next attempt is due; null: now." }),
    parked: z.number().int().meta({ description: "Records the receiver refused for good." }),
    createdAt: instantSchema,
    updatedAt: instantSchema,
  })
  .meta({ id: "AuditSink", description: "A receiver of the forwarded audit log and its delivery health." });

export const sinkListSchema = z.object({ sinks: z.array(sinkSchema) });

export const parkedListSchema = z.object({
  parked: z.array(
    z
      .object({
        recordId: z.string().meta({ description: "The event's id, or checkpoint-<tree size>." }),
        kind: z.enum(["event", "checkpoint"]),
        seq: z.number().int().meta({ description: "The event's seq, or the checkpoint's tree size." }),
        error: z.string(),
        parkedAt: instantSchema,
      })
      .meta({ id: "ParkedRecord", description: "A record a receiver refused for good, set aside." }),
  ),
});

export const sinkTestResultSchema = z
  .object({
    delivered: z.boolean(),
    error: z.string().nullable(),
    durationMs: z.number().int(),
  })
  .meta({ id: "AuditSinkTestResult" });
