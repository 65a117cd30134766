import { notFound } from "../../errors/domain-error.ts";
import type { AuditRecords } from "../../storage/database/audit-records.ts";
import type { AuditTrail } from "../audit-trail.ts";
import type { RawIpState, RawIpVault } from "./raw-ip-vault.ts";

export interface RawIpAnswer {
  readonly id: string;
  readonly seq: number;
  /** `kept`: here it is; `shredded`: its day's key is destroyed; `not-kept`: none was stored. */
  readonly state: RawIpState;
  readonly ip_address: string | null;
}

/**
 * The admin's read of an event's raw client address. Each read is an `audit`/`raw_ip_read` event
 * (severity warning: personal data was looked at), which names the event, never the address.
 */
export class RawIpReads {
  readonly #vault: RawIpVault;
  readonly #records: AuditRecords;

  constructor(vault: RawIpVault, records: AuditRecords) {
    this.#vault = vault;
    this.#records = records;
  }

  async readAndRecord(trail: AuditTrail, eventId: string): Promise<RawIpAnswer> {
    const row = await this.#records.findById(eventId.slice(0, 64));
    if (row === null) {
      await trail.record({
        event: "audit",
        action: "raw_ip_read",
        outcome: "failure",
        target: { type: "audit_event", id: eventId.slice(0, 64) },
        details: { code: "AuditEventNotFound" },
      });
      throw notFound("AuditEventNotFound", `no audit event has the id ${eventId.slice(0, 64)}`);
    }
    const { state, ip } = await this.#vault.read(row.seq);
    await trail.record({
      event: "audit",
      action: "raw_ip_read",
      outcome: "success",
      severity: "warning",
      target: { type: "audit_event", id: row.id },
      details: { seq: row.seq, state },
    });
    return { id: row.id, seq: row.seq, state, ip_address: ip };
  }
}
