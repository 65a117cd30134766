import type { SecretBox } from "../../access/secret-box.ts";
import type { Clock } from "../../clock/clock.ts";
import { redactUrlPassword } from "../../config/redact-url-password.ts";
import { conflict, DomainError, invalidInput, notFound } from "../../errors/domain-error.ts";
import { newId } from "../../ids/new-id.ts";
import type { AuditRecords } from "../../storage/database/audit-records.ts";
import type { AuditSinkRecords, AuditSinkRow } from "../../storage/database/audit-sink-records.ts";
import type { AuditTrail } from "../audit-trail.ts";
import { refusalsRecorded } from "../refusals-recorded.ts";
import { recordSinkChange, sinkSettingsDetails, sinkTarget } from "./sink-change-events.ts";
import {
  newSigningKeyId,
  newSinkCredentials,
  rotatedCredentials,
  splitUserinfo,
  transportCredentials,
  withUserinfo,
  type SinkCredentials,
} from "./sink-credentials.ts";
import { newSinkSchema, secretRotationSchema, SIGNED_TYPES, sinkChangeSchema } from "./sink-input.ts";
import { testSinkRecord } from "./sink-test-record.ts";
import type { SinkTransportPool } from "./sink-transport-pool.ts";
import type { SinkFormat, SinkTransportConfig } from "./sink-transport.ts";
import { defaultReceiverUrl, defaultSinkName } from "./sink-defaults.ts";
import { parkedView, sinkView, type ParkedRecordView, type SinkView } from "./sink-view.ts";

const DEFAULT_OVERLAP_HOURS = 24;
const HOUR_MS = 60 * 60 * 1000;
/** Parked records listed at most per call. */
export const MAX_PARKED_LISTED = 1000;

export interface AuditSinksOptions {
  readonly records: AuditSinkRecords;
  readonly audit: AuditRecords;
  readonly pool: SinkTransportPool;
  readonly secrets: SecretBox;
  readonly clock: Clock;
  readonly attemptTimeoutMs: number;
}

/** A sink's settings with its credentials, as the configuration file states them. */
export interface ConfiguredSink {
  readonly id: string;
  /** With the user name and password put back. */
  readonly url: string;
  readonly format: string;
  readonly options: Readonly<Record<string, string | number | boolean>>;
  readonly token: string | null;
  /** The newest signing secret of a webhook. */
  readonly signingSecret: string | null;
}

/** How `audit sink test` went. */
export interface SinkTestResult {
  readonly delivered: boolean;
  readonly error: string | null;
  readonly durationMs: number;
}

/**
 * The audit sinks as the API and the CLI manage them (docs/audit-forwarding.md): add, change,
 * pause, resume, remove, test, rotate a webhook's signing secret, list parked records. Every
 * change is an `audit` event (`sink_created`, `sink_updated`, ...); credentials are sealed with
 * the server's key and never shown or recorded, only whether they are set.
 */
export class AuditSinks {
  readonly #records: AuditSinkRecords;
  readonly #audit: AuditRecords;
  readonly #pool: SinkTransportPool;
  readonly #secrets: SecretBox;
  readonly #clock: Clock;
  readonly #attemptTimeoutMs: number;

  constructor(options: AuditSinksOptions) {
    this.#records = options.records;
    this.#audit = options.audit;
    this.#pool = options.pool;
    this.#secrets = options.secrets;
    this.#clock = options.clock;
    this.#attemptTimeoutMs = options.attemptTimeoutMs;
  }

  async list(): Promise<SinkView[]> {
    const [rows, parked, state] = await Promise.all([
      this.#records.list(),
      this.#records.parkedCounts(),
      this.#audit.state(),
    ]);
    return Promise.all(rows.map((row) => this.#view(row, state.size, parked.get(row.id) ?? 0)));
  }

  /**
   * What a sink named `name` is configured with now, credentials opened (for the configuration
   * file's reconciliation, which compares before it changes anything); null without one.
   */
  async configured(name: string): Promise<ConfiguredSink | null> {
    const row = await this.#records.findByName(name);
    if (row === null) return null;
    const credentials = this.#pool.credentialsOf(row);
    return {
      id: row.id,
      url: withUserinfo(row.url, credentials.userinfo),
      format: row.format,
      options: JSON.parse(row.options) as ConfiguredSink["options"],
      token: credentials.token ?? null,
      signingSecret: credentials.secrets?.[0]?.secret ?? null,
    };
  }

  async get(id: string): Promise<SinkView> {
    const row = await this.#find(id);
    const [parked, state] = await Promise.all([this.#records.parkedCounts(), this.#audit.state()]);
    return this.#view(row, state.size, parked.get(row.id) ?? 0);
  }

  async add(input: unknown, trail: AuditTrail): Promise<SinkView> {
    return refusalsRecorded(
      trail,
      { event: "audit", action: "sink_created", target: { type: "audit_sink" } },
      () => this.#add(input, trail),
    );
  }

  async #add(input: unknown, trail: AuditTrail): Promise<SinkView> {
    const parsed = newSinkSchema.parse(input);
    const sink = { ...parsed, url: parsed.url ?? defaultReceiverUrl(parsed.type, parsed.options ?? {}) };
    const now = this.#clock.now().toISOString();
    const { url, userinfo } = splitUserinfo(sink.url);
    const credentials = newSinkCredentials(sink, userinfo, now);
    const format: SinkFormat = sink.format ?? (sink.type === "elasticsearch" ? "ecs" : "json");
    const options = sink.options ?? {};
    this.#checkTransport({
      type: sink.type,
      url: sink.url,
      format,
      options,
      ...transportCredentials(credentials),
    });
    const name = sink.name ?? (await this.#freeName(defaultSinkName(sink.type, url)));
    if (sink.name !== undefined && (await this.#records.findByName(sink.name)) !== null) {
      throw conflict("SinkNameTaken", `a sink named "${sink.name}" exists already`);
    }
    const [state, latest] = await Promise.all([this.#audit.state(), this.#audit.latestCheckpoint()]);
    const fromNow = sink.from === "now";
    const row: AuditSinkRow = {
      id: `snk_${newId()}`,
      name,
      type: sink.type,
      url,
      format,
      options: JSON.stringify(options),
      secret: this.#seal(credentials),
      paused_at: null,
      cursor: fromNow ? state.size : 0,
      checkpoint_cursor: fromNow ? (latest?.size ?? 0) : 0,
      delivered: 0,
      attempts: 0,
      next_attempt_at: null,
      last_success_at: null,
      last_error: null,
      last_error_at: null,
      created_at: now,
      updated_at: now,
    };
    await this.#records.insert(row);
    await trail.record({
      event: "audit",
      action: "sink_created",
      outcome: "success",
      target: sinkTarget(row),
      details: { ...sinkSettingsDetails(row, credentials), from: sink.from ?? "start" },
    });
    return this.#view(row, state.size, 0);
  }

  async update(id: string, input: unknown, trail: AuditTrail): Promise<SinkView> {
    return refusalsRecorded(
      trail,
      { event: "audit", action: "sink_updated", target: { type: "audit_sink", id } },
      () => this.#update(id, input, trail),
    );
  }

  async #update(id: string, input: unknown, trail: AuditTrail): Promise<SinkView> {
    const change = sinkChangeSchema.parse(input);
    const row = await this.#find(id);
    const now = this.#clock.now().toISOString();
    if (
      change.name !== undefined &&
      change.name !== row.name &&
      (await this.#records.findByName(change.name))
    ) {
      throw conflict("SinkNameTaken", `a sink named "${change.name}" exists already`);
    }
    let credentials = this.#pool.credentialsOf(row);
    if (change.token !== undefined) credentials = { ...credentials, token: change.token };
    const newUrl = change.url === undefined ? undefined : splitUserinfo(change.url);
    if (newUrl !== undefined) {
      // A new URL brings its own user name and password, or none.
      const { token, secrets } = credentials;
      credentials = {
        ...(token === undefined ? {} : { token }),
        ...(secrets === undefined ? {} : { secrets }),
        ...(newUrl.userinfo === undefined ? {} : { userinfo: newUrl.userinfo }),
      };
    }
    const credentialsChanged = change.token !== undefined || newUrl !== undefined;
    const next: AuditSinkRow = {
      ...row,
      name: change.name ?? row.name,
      url: newUrl?.url ?? row.url,
      format: change.format ?? row.format,
      options: change.options === undefined ? row.options : JSON.stringify(change.options),
      secret: credentialsChanged ? this.#seal(credentials) : row.secret,
      paused_at: change.paused === undefined ? row.paused_at : change.paused ? (row.paused_at ?? now) : null,
      // A changed receiver is tried at once, not after the backoff of the old one.
      next_attempt_at: change.paused === false || change.url !== undefined ? null : row.next_attempt_at,
      attempts: change.url !== undefined ? 0 : row.attempts,
      updated_at: now,
    };
    this.#checkTransport(this.#pool.configOf(next));
    await this.#records.update(id, {
      name: next.name,
      url: next.url,
      format: next.format,
      options: next.options,
      secret: next.secret,
      paused_at: next.paused_at,
      next_attempt_at: next.next_attempt_at,
      attempts: next.attempts,
      updated_at: now,
    });
    await recordSinkChange(trail, row, next, credentialsChanged);
    return this.get(id);
  }

  async remove(id: string, trail: AuditTrail): Promise<void> {
    await refusalsRecorded(
      trail,
      { event: "audit", action: "sink_removed", target: { type: "audit_sink", id } },
      () => this.#remove(id, trail),
    );
  }

  async #remove(id: string, trail: AuditTrail): Promise<void> {
    const row = await this.#find(id);
    const state = await this.#audit.state();
    await this.#records.delete(id);
    await trail.record({
      event: "audit",
      action: "sink_removed",
      outcome: "success",
      severity: "warning",
      target: sinkTarget(row),
      details: {
        type: row.type,
        url: redactUrlPassword(row.url),
        undelivered: Math.max(0, state.size - row.cursor),
      },
    });
  }

  /** Sends one synthetic event (not part of the log) to the receiver, now, whatever the backoff. */
  async test(id: string, trail: AuditTrail): Promise<SinkTestResult> {
    const row = await this.#find(id);
    const transport = this.#pool.fresh(row);
    const started = performance.now();
    let result: SinkTestResult;
    try {
      const outcome = await transport.deliver(
        [testSinkRecord(this.#clock.now())],
        AbortSignal.timeout(this.#attemptTimeoutMs),
      );
      const durationMs = Math.round(performance.now() - started);
      result =
        outcome.kind === "delivered"
          ? { delivered: true, error: null, durationMs }
          : { delivered: false, error: outcome.error, durationMs };
    } finally {
      await transport.close();
    }
    await trail.record({
      event: "audit",
      action: "sink_tested",
      outcome: result.delivered ? "success" : "failure",
      target: sinkTarget(row),
      details: {
        duration_ms: result.durationMs,
        ...(result.error === null ? {} : { error: result.error.slice(0, 500) }),
      },
    });
    return result;
  }

  /**
   * A new signing secret for a webhook: it signs from now on; the previous ones keep signing
   * beside it for the overlap (default 24 hours) so receivers can switch without losing a batch.
   */
  async rotateSecret(id: string, input: unknown, trail: AuditTrail): Promise<SinkView> {
    return refusalsRecorded(
      trail,
      { event: "audit", action: "sink_secret_rotated", target: { type: "audit_sink", id } },
      () => this.#rotateSecret(id, input, trail),
    );
  }

  async #rotateSecret(id: string, input: unknown, trail: AuditTrail): Promise<SinkView> {
    const rotation = secretRotationSchema.parse(input);
    const row = await this.#find(id);
    if (!SIGNED_TYPES.has(row.type)) {
      throw invalidInput("SinkNotSigned", `a ${row.type} sink has no signing secret; only webhooks sign`);
    }
    const now = this.#clock.now();
    const before = this.#pool.credentialsOf(row);
    const keyId = newSigningKeyId();
    const overlapHours = rotation.overlapHours ?? DEFAULT_OVERLAP_HOURS;
    const after = rotatedCredentials(before, rotation.secret, keyId, now, overlapHours * HOUR_MS);
    await this.#records.update(id, {
      secret: this.#seal(after),
      updated_at: now.toISOString(),
    });
    await trail.record({
      event: "audit",
      action: "sink_secret_rotated",
      outcome: "success",
      target: sinkTarget(row),
      details: {
        key_id: keyId,
        previous_key_ids: (before.secrets ?? []).map((secret) => secret.keyId),
        overlap_hours: overlapHours,
      },
    });
    return this.get(id);
  }

  async parked(id: string, limit = MAX_PARKED_LISTED): Promise<ParkedRecordView[]> {
    await this.#find(id);
    const rows = await this.#records.parked(id, Math.min(limit, MAX_PARKED_LISTED));
    return rows.map(parkedView);
  }

  async #find(id: string): Promise<AuditSinkRow> {
    const row = await this.#records.findById(id);
    if (row === null) throw notFound("SinkNotFound", `no audit sink has the id ${JSON.stringify(id)}`);
    return row;
  }

  #seal(credentials: SinkCredentials): string | null {
    return Object.keys(credentials).length === 0 ? null : this.#secrets.seal(JSON.stringify(credentials));
  }

  /** Builds (and drops) the transport: its factory refuses a URL or options it cannot use. */
  #checkTransport(config: SinkTransportConfig): void {
    try {
      void this.#pool.build(config).close();
    } catch (error) {
      if (error instanceof DomainError) throw error;
      throw invalidInput("InvalidSink", error instanceof Error ? error.message : String(error));
    }
  }

  async #freeName(base: string): Promise<string> {
    for (let n = 1; ; n += 1) {
      const name = n === 1 ? base : `${base}-${n}`;
      if ((await this.#records.findByName(name)) === null) return name;
    }
  }

  /**
   * The credentials as far as they open: a sink sealed with another server key (a restored
   * database, a changed PB_SECRET_KEY) is still listed, shown without them; its last error says
   * why it does not deliver (remove it and add it again with its credentials).
   */
  #readableCredentials(row: AuditSinkRow): SinkCredentials {
    try {
      return this.#pool.credentialsOf(row);
    } catch (error) {
      if (error instanceof DomainError && error.code === "SecretUnreadable") return {};
      throw error;
    }
  }

  async #view(row: AuditSinkRow, logSize: number, parked: number): Promise<SinkView> {
    const next = row.cursor < logSize ? (await this.#audit.range(row.cursor + 1, 1))[0] : undefined;
    return sinkView(row, {
      credentials: this.#readableCredentials(row),
      logSize,
      oldestUndelivered: next?.timestamp ?? null,
      parked,
      now: this.#clock.now(),
    });
  }
}
