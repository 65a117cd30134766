import type { AuditEvent } from "../audit-event.ts";
import type { FieldReader } from "./alert-rule.ts";
import { ipNetwork } from "./ip-network.ts";

/**
 * Reads the fields rules name from one event: the envelope's dotted paths (`actor.id`,
 * `details.after.role`; a key that itself holds dots, such as a setting's
 * `security.requireTwoFactor`, is found too) and the derived fields:
 * - `pb.ip_network`: the /24 (IPv4) or /48 (IPv6) of `ip_address` (see ipNetwork);
 * - `pb.business_hours`: whether the event's timestamp is within the configured business hours;
 * - `pb.retention_shortened`: an `audit`/`retention_changed` event that lowered some category's days.
 * Derived values are computed on first use only.
 */
export function eventFieldReader(
  event: AuditEvent,
  inBusinessHours: (instantMs: number) => boolean,
): FieldReader {
  return (path) => {
    switch (path) {
      case "pb.ip_network":
        return ipNetwork(event.ip_address);
      case "pb.business_hours": {
        const instant = Date.parse(event.timestamp);
        return Number.isNaN(instant) ? undefined : inBusinessHours(instant);
      }
      case "pb.retention_shortened":
        return retentionShortened(event);
      default:
        return readPath(event, path.split("."));
    }
  };
}

/** A value at a dotted path of a JSON-like value; undefined when absent. */
export function readPath(value: unknown, segments: readonly string[]): unknown {
  if (segments.length === 0) return value;
  if (typeof value !== "object" || value === null || Array.isArray(value)) return undefined;
  const record = value as Readonly<Record<string, unknown>>;
  // Longest key first, so `details.before.security.requireTwoFactor` finds the dotted key.
  for (let take = segments.length; take >= 1; take--) {
    const key = segments.slice(0, take).join(".");
    if (Object.hasOwn(record, key)) {
      const found = readPath(record[key], segments.slice(take));
      if (found !== undefined) return found;
    }
  }
  return undefined;
}

function retentionShortened(event: AuditEvent): boolean {
  if (event.event !== "audit" || event.action !== "retention_changed") return false;
  const changed = event.details.changed;
  if (typeof changed !== "object" || changed === null) return false;
  return Object.values(changed).some((change: unknown) => {
    if (typeof change !== "object" || change === null) return false;
    const { before, after } = change as { before?: unknown; after?: unknown };
    return typeof before === "number" && typeof after === "number" && after < before;
  });
}
