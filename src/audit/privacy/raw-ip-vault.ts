import { randomBytes } from "node:crypto";
import { SecretBox } from "../../access/secret-box.ts";
import type { Clock } from "../../clock/clock.ts";
import type { RawIpRecords, SealedRawIp } from "../../storage/database/raw-ip-records.ts";
import type { RawIpSealer } from "../inline-audit-committer.ts";
import type { AuditTrail } from "../audit-trail.ts";

const DAY_MS = 86_400_000;

export type RawIpState = "kept" | "shredded" | "not-kept";

/**
 * Raw client addresses beside the audit log (PB_AUDIT_RAW_IP_DAYS > 0): each event's address is
 * sealed (AES-256-GCM) with a key of its UTC day, and that key with the server's secret key. After
 * the configured days the day's key is destroyed: every address of that day becomes unreadable at
 * once (crypto-shredding), whatever copies of the database exist. The log itself only ever holds
 * the address as PB_AUDIT_IP_MODE reduced it, so shredding never touches a leaf.
 *
 * Sealing happens inside the append transaction, so it must not wait: `prepare` loads the keys of
 * the days a batch needs before the transaction starts.
 */
export class RawIpVault implements RawIpSealer {
  readonly #records: RawIpRecords;
  readonly #secrets: SecretBox;
  readonly #clock: Clock;
  /** How many days an address stays readable. */
  readonly keepDays: number;
  readonly #boxes = new Map<string, SecretBox>();

  constructor(options: { records: RawIpRecords; secrets: SecretBox; clock: Clock; keepDays: number }) {
    this.#records = options.records;
    this.#secrets = options.secrets;
    this.#clock = options.clock;
    this.keepDays = options.keepDays;
  }

  /** Loads (creating when needed) the keys of the days of these timestamps. */
  async prepare(timestamps: readonly string[]): Promise<void> {
    for (const day of new Set(timestamps.map(dayOf))) {
      if (this.#boxes.has(day)) continue;
      const sealed = await this.#records.dayKey(
        day,
        () => this.#secrets.seal(randomBytes(32).toString("base64")),
        this.#clock.now(),
      );
      if (this.#boxes.size > 8) this.#boxes.clear();
      this.#boxes.set(day, new SecretBox(Buffer.from(this.#secrets.open(sealed), "base64")));
    }
  }

  /** Seals `ip` for event `seq` of `timestamp`'s day; that day must have been prepared. */
  seal(seq: number, ip: string, timestamp: string): SealedRawIp {
    const day = dayOf(timestamp);
    const box = this.#boxes.get(day);
    if (box === undefined) throw new Error(`the raw IP key of ${day} was not prepared`);
    // The seq inside the sealed text binds the address to its event: a row moved to another
    // event does not open as that event's address.
    return { seq, day, sealed: box.seal(`${seq} ${ip}`) };
  }

  /** The raw address of event `seq`, or why there is none. */
  async read(seq: number): Promise<{ state: RawIpState; ip: string | null }> {
    const row = await this.#records.find(seq);
    if (row === null) return { state: "not-kept", ip: null };
    const sealedKey = await this.#records.existingDayKey(row.day);
    if (sealedKey === null) return { state: "shredded", ip: null };
    const box = new SecretBox(Buffer.from(this.#secrets.open(sealedKey), "base64"));
    const text = box.open(row.sealed);
    const space = text.indexOf(" ");
    if (text.slice(0, space) !== String(seq)) return { state: "not-kept", ip: null };
    return { state: "kept", ip: text.slice(space + 1) };
  }

  /** `shred`, recorded as `audit`/`raw_ips_shredded` when it destroyed a key. */
  async shredAndRecord(trail: AuditTrail): Promise<string[]> {
    const days = await this.shred();
    if (days.length > 0) {
      await trail.record({
        event: "audit",
        action: "raw_ips_shredded",
        outcome: "success",
        target: { type: "audit_raw_ips" },
        details: { days, keep_days: this.keepDays },
      });
    }
    return days;
  }

  /** Destroys the keys of the days older than `keepDays`; returns those days. */
  async shred(): Promise<string[]> {
    const cutoff = dayOf(new Date(this.#clock.now().getTime() - this.keepDays * DAY_MS).toISOString());
    const days = await this.#records.shredBefore(cutoff);
    for (const day of days) this.#boxes.delete(day);
    return days;
  }
}

export function dayOf(timestamp: string): string {
  return timestamp.slice(0, 10);
}
