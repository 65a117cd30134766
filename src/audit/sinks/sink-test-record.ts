import { AUDIT_SCHEMA_VERSION, systemActor } from "../audit-event.ts";
import { newId } from "../../ids/new-id.ts";
import type { SinkRecord } from "./sink-transport.ts";

/**
 * What `audit sink test` sends: an event in the envelope's shape that is not part of the log
 * (seq 0, action `sink_test`, `details.test: true`), so that a receiver's parsing, index and
 * dashboards can be checked without waiting for real events.
 */
export function testSinkRecord(now: Date): SinkRecord {
  return {
    kind: "event",
    event: {
      schema_version: AUDIT_SCHEMA_VERSION,
      id: newId(),
      seq: 0,
      timestamp: now.toISOString(),
      event: "audit",
      action: "sink_test",
      severity: "info",
      outcome: "success",
      user: systemActor.id,
      actor: systemActor,
      ip_address: null,
      user_agent: null,
      request_id: null,
      target: { type: "audit_sink" },
      details: { test: true, message: "A test delivery from package-broker; not part of the audit log." },
    },
  };
}
