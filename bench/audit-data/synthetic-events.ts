import { createHash } from "node:crypto";
import {
  AUDIT_SCHEMA_VERSION,
  anonymousActor,
  consoleActor,
  systemActor,
  type AuditActor,
  type AuditDetails,
  type AuditEvent,
  type AuditOutcome,
  type AuditSeverity,
  type AuditTarget,
} from "../../src/audit/audit-event.ts";
import { Random } from "./random.ts";
import { at, ulidLike, World, type WorldPackage, type WorldToken } from "./world.ts";

/** The log spans two years up to this instant. */
export const LOG_END = Date.parse("2026-11-27T00:00:00.000Z");
export const LOG_START = Date.parse("2024-11-27T00:00:00.000Z");

/** Events of one session, in order, before seq/id/timestamp are assigned. */
interface Draft {
  readonly event: AuditEvent["event"];
  readonly action: string;
  readonly outcome: AuditOutcome;
  readonly severity?: AuditSeverity;
  readonly actor: AuditActor;
  readonly ip: string | null;
  readonly userAgent: string | null;
  readonly requestId: string | null;
  readonly target: AuditTarget | null;
  readonly details: AuditDetails;
  /** Milliseconds after the previous event of the session. */
  readonly gapMs: number;
}

/**
 * Session weights (per session, not per event), tuned so that the events come out at about 85 %
 * package_access, 6 % authentication and 9 % repository, token, package, configuration, audit
 * and system events (the generator prints the mix it produced).
 */
const SESSIONS = [
  ["composer", 0.448],
  ["refused", 0.229],
  ["sync", 0.126],
  ["admin", 0.197],
] as const;
const HOUR = 3_600_000;

/**
 * The synthetic audit log: sessions of realistic events (a `composer install` from a CI token
 * is a burst of metadata and dist requests from one address with one user agent; refused
 * tokens; repository syncs; administration), with increasing timestamps over two years (more
 * traffic on working hours and weekdays, growing over time). Deterministic for a seed.
 */
export class SyntheticEvents {
  readonly world: World;
  readonly #random: Random;
  readonly #total: number;
  /** Cumulative traffic by hour of the span, normalised to 1 (for `#instant`). */
  readonly #cumulative: Float64Array;
  readonly #references = new Map<string, string>();
  #now = LOG_START;
  #seq = 0;
  #syncRun = 0;
  #queue: Draft[] = [];
  #head = 0;

  constructor(world: World, total: number, seed = world.options.seed + 1) {
    this.world = world;
    this.#random = new Random(seed);
    this.#total = total;
    const hours = Math.ceil((LOG_END - LOG_START) / HOUR);
    this.#cumulative = new Float64Array(hours + 1);
    for (let h = 0; h < hours; h++) {
      this.#cumulative[h + 1] = (this.#cumulative[h] ?? 0) + rate(LOG_START + h * HOUR);
    }
    const sum = this.#cumulative[hours] ?? 1;
    for (let h = 0; h <= hours; h++) this.#cumulative[h] = (this.#cumulative[h] ?? 0) / sum;
  }

  /** The next event (seq 1, 2, ...); undefined after `total`. */
  next(): AuditEvent | undefined {
    if (this.#seq >= this.#total) return undefined;
    while (this.#head >= this.#queue.length) this.#session();
    const draft = at(this.#queue, this.#head++);
    this.#now += draft.gapMs;
    const seq = ++this.#seq;
    return {
      schema_version: AUDIT_SCHEMA_VERSION,
      id: ulidLike(this.#random, this.#now),
      seq,
      timestamp: new Date(this.#now).toISOString(),
      event: draft.event,
      action: draft.action,
      severity: draft.severity ?? (draft.outcome === "success" ? "info" : "warning"),
      outcome: draft.outcome,
      user: draft.actor.id,
      actor: draft.actor,
      ip_address: draft.ip,
      user_agent: draft.userAgent,
      request_id: draft.requestId,
      target: draft.target,
      details: draft.details,
    };
  }

  /**
   * Where the fraction `f` of the traffic has passed: sessions start at the instant their first
   * event's seq calls for, so the log covers the two years whatever the count, denser on
   * working hours, weekdays and later months.
   */
  #instant(f: number): number {
    const cumulative = this.#cumulative;
    let lo = 0;
    let hi = cumulative.length - 1;
    while (hi - lo > 1) {
      const mid = (lo + hi) >>> 1;
      if ((cumulative[mid] ?? 1) <= f) lo = mid;
      else hi = mid;
    }
    const from = cumulative[lo] ?? 0;
    const to = cumulative[hi] ?? 1;
    return LOG_START + (lo + (to > from ? (f - from) / (to - from) : 0)) * HOUR;
  }

  #session(): void {
    this.#queue = [];
    this.#head = 0;
    const random = this.#random;
    let u = random.next();
    let kind: (typeof SESSIONS)[number][0] = "composer";
    for (const [candidate, weight] of SESSIONS) {
      kind = candidate;
      if (u < weight) break;
      u -= weight;
    }
    // Jitter of up to a quarter of the mean spacing of events there, so sessions do not start on a grid.
    const start = this.#instant((this.#seq + random.next() * 0.25) / this.#total);
    const gap = Math.max(1, Math.round(start - this.#now));
    switch (kind) {
      case "composer":
        this.#composer(gap);
        break;
      case "refused":
        this.#refused(gap);
        break;
      case "sync":
        this.#sync(gap);
        break;
      case "admin":
        this.#admin(gap);
        break;
    }
  }

  #requestId(): string {
    return `req_${ulidLike(this.#random, this.#now)}`;
  }

  #token(): WorldToken {
    return this.world.tokenByRank(this.world.tokenZipf.sample(this.#random));
  }

  #address(token: WorldToken | null): string {
    const random = this.#random;
    const rank =
      token !== null && random.chance(0.75)
        ? random.pick(token.homes)
        : this.world.addressZipf.sample(random);
    return this.world.addressByRank(rank);
  }

  #package(): WorldPackage {
    return this.world.packageByRank(this.world.packageZipf.sample(this.#random));
  }

  /** Newer versions are downloaded more. */
  #version(pkg: WorldPackage): string {
    const { versions } = pkg;
    const back = Math.min(versions.length - 1, Math.floor(this.#random.exponential(2)));
    return at(versions, versions.length - 1 - back);
  }

  #reference(name: string, version: string): string {
    const key = `${name} ${version}`;
    let reference = this.#references.get(key);
    if (reference === undefined) {
      reference = createHash("sha1").update(key).digest("hex");
      if (this.#references.size < 2_000_000) this.#references.set(key, reference);
    }
    return reference;
  }

  /** `composer install/update` with a token: packages.json, metadata, then dists. */
  #composer(gap: number): void {
    const random = this.#random;
    const token = this.#token();
    const actor: AuditActor = { type: "token", id: token.fingerprint, auth_method: token.authMethod };
    const ip = this.#address(token);
    const userAgent = random.chance(0.9)
      ? at(this.world.userAgents, token.userAgent)
      : at(this.world.userAgents, this.world.userAgentZipf.sample(random));
    const base = { actor, ip, userAgent };
    let first = true;
    const push = (draft: Omit<Draft, "actor" | "ip" | "userAgent" | "gapMs">): void => {
      this.#queue.push({ ...base, ...draft, gapMs: first ? gap : 5 + Math.round(random.exponential(60)) });
      first = false;
    };
    const request = this.#requestId();
    if (random.chance(0.35)) {
      push({
        event: "authentication",
        action: "token_accepted",
        outcome: "success",
        requestId: request,
        target: { type: "token", id: token.id, name: token.fingerprint },
        details: { scopes: token.scopes },
      });
    }
    const notModified = random.chance(0.4);
    push({
      event: "package_access",
      action: "packages_json",
      outcome: "success",
      requestId: request,
      target: null,
      details: { status: notModified ? 304 : 200 },
    });
    const metadata = random.geometric(11);
    const downloads: { name: string; version: string }[] = [];
    for (let i = 0; i < metadata; i++) {
      const pkg = this.#package();
      const roll = random.next();
      const status = roll < 0.02 ? 404 : roll < 0.45 ? 304 : 200;
      push({
        event: "package_access",
        action: "metadata",
        outcome: status === 404 ? "failure" : "success",
        requestId: this.#requestId(),
        target: { type: "package", name: pkg.name },
        details:
          status === 404
            ? { status, code: "PackageNotFound", dev: false }
            : { status, dev: random.chance(0.12) },
      });
      if (status !== 404 && random.chance(0.55)) {
        const version = this.#version(pkg);
        const denied = random.chance(0.01);
        push({
          event: "package_access",
          action: denied ? "download_denied" : "download",
          outcome: denied ? "denied" : "success",
          requestId: this.#requestId(),
          target: { type: "package", name: pkg.name, version },
          details: denied
            ? { status: 403, code: "PackageNotAllowed", reference: this.#reference(pkg.name, version) }
            : { status: random.chance(0.1) ? 304 : 200, reference: this.#reference(pkg.name, version) },
        });
        if (!denied) downloads.push({ name: pkg.name, version });
      }
    }
    if (downloads.length > 0 && random.chance(0.5)) {
      push({
        event: "package_access",
        action: "install_notification",
        outcome: "success",
        requestId: this.#requestId(),
        target: null,
        details: { counted: downloads.length, ignored: 0, downloads: downloads.slice(0, 100) },
      });
    }
  }

  /** Refused requests: unknown, malformed, expired or revoked tokens, a missing scope. */
  #refused(gap: number): void {
    const random = this.#random;
    const roll = random.next();
    const count = random.geometric(1.8);
    const world = this.world;
    let actor: AuditActor;
    let action: string;
    let outcome: AuditOutcome;
    let severity: AuditSeverity;
    let details: AuditDetails;
    let token: WorldToken | null = null;
    if (roll < 0.5) {
      // A token that does not exist (a typo, a deleted token, a scanner).
      const fingerprint = random.chance(0.3)
        ? "pb_????…????"
        : `pb_${random.string("abcdefghXYZ0123", 4)}…${random.string("0123456789abcdef", 4)}`;
      actor = { type: "token", id: fingerprint, auth_method: random.chance(0.5) ? "basic" : "bearer" };
      action = "token_invalid";
      outcome = "failure";
      severity = "info";
      details = { code: "InvalidToken", reason: "The token is not valid" };
    } else if (roll < 0.65) {
      actor = { ...anonymousActor, auth_method: "none" };
      action = "credentials_missing";
      outcome = "failure";
      severity = "info";
      details = {
        code: "AuthenticationRequired",
        reason:
          "authentication required: send a token as HTTP Basic password or Bearer token (auth.json http-basic or bearer)",
      };
    } else if (roll < 0.8) {
      token = this.#token();
      actor = { type: "token", id: token.fingerprint, auth_method: token.authMethod };
      action = "token_expired";
      outcome = "denied";
      severity = "warning";
      details = { code: "TokenExpired", reason: "token expired on 2025-06-30, create a new one" };
    } else if (roll < 0.88) {
      token = this.#token();
      actor = { type: "token", id: token.fingerprint, auth_method: token.authMethod };
      action = "token_revoked";
      outcome = "denied";
      severity = "warning";
      details = { code: "TokenRevoked", reason: "token was revoked on 2025-09-12" };
    } else {
      token = this.#token();
      actor = { type: "token", id: token.fingerprint, auth_method: token.authMethod };
      action = "scope_denied";
      outcome = "denied";
      severity = "warning";
      details = {
        code: "InsufficientScope",
        reason: 'this token lacks the "write" scope',
        required_scope: "write",
      };
    }
    const ip = this.#address(token);
    const userAgent =
      token !== null || random.chance(0.6)
        ? at(world.userAgents, world.userAgentZipf.sample(random))
        : random.pick(world.otherAgents);
    for (let i = 0; i < count; i++) {
      this.#queue.push({
        event: "authentication",
        action,
        outcome,
        severity,
        actor,
        ip,
        userAgent,
        requestId: this.#requestId(),
        target: null,
        details,
        gapMs: i === 0 ? gap : 200 + Math.round(random.exponential(2000)),
      });
    }
  }

  /** A repository sync: started, versions added/updated/removed, tags moved, completed. */
  #sync(gap: number): void {
    const random = this.#random;
    const world = this.world;
    const repository = at(world.repositories, this.#package().repository);
    const scheduled = random.chance(0.8);
    let actor: AuditActor = scheduled ? systemActor : consoleActor;
    let ip: string | null = null;
    let userAgent: string | null = null;
    if (!scheduled && random.chance(0.5)) {
      const token = this.#token();
      actor = { type: "token", id: token.fingerprint, auth_method: "bearer" };
      ip = this.#address(token);
      userAgent = random.pick(world.otherAgents);
    }
    const requestId = ip === null ? null : this.#requestId();
    const target: AuditTarget = { type: "repository", id: repository.id, name: repository.name };
    const syncRun = ulidLike(random, this.#now + ++this.#syncRun);
    const base = { event: "repository" as const, actor, ip, userAgent, requestId };
    this.#queue.push({
      ...base,
      action: "sync_started",
      outcome: "success",
      target,
      details: {},
      gapMs: gap,
    });
    const changes = random.chance(0.6) ? 0 : random.geometric(random.chance(0.05) ? 40 : 3);
    const counts = { version_added: 0, version_updated: 0, version_removed: 0 };
    for (let i = 0; i < changes; i++) {
      const pkg = at(world.packages, random.pick(repository.packages));
      const roll = random.next();
      const action = roll < 0.7 ? "version_added" : roll < 0.93 ? "version_updated" : "version_removed";
      counts[action]++;
      this.#queue.push({
        ...base,
        action,
        outcome: "success",
        target: { type: "package", name: pkg.name, version: this.#version(pkg) },
        details: { repository: repository.name, sync_run: syncRun },
        gapMs: 1 + random.int(5),
      });
    }
    const moved = random.chance(0.02) ? 1 : 0;
    if (moved > 0) {
      this.#queue.push({
        ...base,
        action: "tag_moved",
        outcome: "success",
        severity: "warning",
        target,
        details: {
          ref: `v${random.int(5)}.${random.int(10)}.${random.int(10)}`,
          from: createHash("sha1").update(`${syncRun}a`).digest("hex"),
          to: createHash("sha1").update(`${syncRun}b`).digest("hex"),
          sync_run: syncRun,
        },
        gapMs: 2,
      });
    }
    const failed = random.chance(0.03);
    this.#queue.push({
      ...base,
      action: failed ? "sync_failed" : "sync_completed",
      outcome: failed ? "failure" : "success",
      severity: failed ? "error" : "info",
      target,
      details: {
        sync_run: syncRun,
        versions_added: counts.version_added,
        versions_updated: counts.version_updated,
        versions_removed: counts.version_removed,
        refs_skipped: random.int(3),
        tags_moved: moved,
        ...(failed
          ? { error: "git fetch failed: exit code 128 (Could not resolve host: git.example.com)" }
          : {}),
      },
      gapMs: 500 + Math.round(random.exponential(8000)),
    });
  }

  /** Administration and operations: tokens, uploads, searches, exports, configuration, starts. */
  #admin(gap: number): void {
    const random = this.#random;
    const world = this.world;
    const byConsole = random.chance(0.4);
    const admin = this.#token();
    const actor: AuditActor = byConsole
      ? consoleActor
      : { type: "token", id: admin.fingerprint, auth_method: "bearer" };
    const ip = byConsole ? null : this.#address(admin);
    const userAgent = byConsole ? null : random.pick(world.otherAgents);
    const requestId = byConsole ? null : this.#requestId();
    const base = { actor, ip, userAgent, requestId, gapMs: gap };
    const roll = random.next();
    if (roll < 0.4) {
      const query = random.pick([
        "event:authentication outcome:failure",
        `actor:${this.#token().fingerprint}`,
        `package:${this.#package().name}`,
        "action:token.created",
        `ip:${this.#address(null)}`,
        "created:>=2026-01-01",
      ]);
      const returned = random.int(101);
      this.#queue.push({
        ...base,
        event: "audit",
        action: "searched",
        outcome: "success",
        target: { type: "audit_log" },
        details: { query, limit: 100, order: "desc", cursor: null, returned, more: returned === 100 },
      });
    } else if (roll < 0.47) {
      this.#queue.push({
        ...base,
        event: "audit",
        action: "exported",
        outcome: "success",
        target: { type: "audit_log" },
        details: {
          format: random.pick(["jsonl", "csv", "ocsf", "bundle"]),
          query: random.chance(0.5) ? "" : "event:authentication",
          events: random.int(1_000_000),
          up_to_seq: this.#seq,
        },
      });
    } else if (roll < 0.5) {
      this.#queue.push({
        ...base,
        event: "audit",
        action: "verified",
        outcome: "success",
        target: { type: "audit_log" },
        details: { size: this.#seq, checkpoints: Math.floor(this.#seq / 1000) },
      });
    } else if (roll < 0.72) {
      const token = this.#token();
      const action = random.pick(["created", "created", "updated", "revoked"]);
      const settings = {
        description: token.description,
        scopes: token.scopes,
        packages: token.packages,
        expires_at: random.chance(0.5) ? null : "2027-01-01T00:00:00.000Z",
      };
      this.#queue.push({
        ...base,
        event: "token",
        action,
        outcome: "success",
        ...(action === "revoked" ? { severity: "warning" as const } : {}),
        target: { type: "token", id: token.id, name: token.fingerprint },
        details:
          action === "created"
            ? { after: settings }
            : action === "updated"
              ? { before: settings, after: { ...settings, scopes: ["read", "write"] } }
              : { revoked_at: new Date(this.#now).toISOString() },
      });
    } else if (roll < 0.9) {
      const pkg = this.#package();
      const version = this.#version(pkg);
      const rejected = random.chance(0.15);
      const sha = createHash("sha256").update(`${pkg.name} ${version}`).digest("hex");
      this.#queue.push(
        rejected
          ? {
              ...base,
              event: "package",
              action: "upload_rejected",
              outcome: "failure",
              severity: "warning",
              target: null,
              details: {
                code: "InvalidPackageZip",
                reason: "composer.json is missing from the archive",
                size: 1000 + random.int(5_000_000),
              },
            }
          : {
              ...base,
              event: "package",
              action: random.chance(0.9) ? "uploaded" : "deleted",
              outcome: "success",
              target: { type: "package", name: pkg.name, version: version.replace(/\.0$/, "") },
              details: {
                version_normalized: version,
                sha1: this.#reference(pkg.name, version),
                sha256: sha,
                size: 1000 + random.int(5_000_000),
                created: true,
              },
            },
      );
    } else {
      // A (re)start of the server: configuration, perhaps a changed setting, started.
      const system = { ...base, actor: systemActor, ip: null, userAgent: null, requestId: null };
      if (random.chance(0.2)) {
        this.#queue.push({
          ...system,
          event: "configuration",
          action: "setting_changed",
          outcome: "success",
          severity: "warning",
          ...random.pick([
            {
              target: { type: "setting", name: "PB_AUDIT_IP_MODE" },
              details: { before: "truncate", after: "full" },
            },
            { target: { type: "setting", name: "PB_WORKERS" }, details: { before: 1, after: 2 } },
            { target: { type: "setting", name: "PB_LOG_LEVEL" }, details: { before: "info", after: "warn" } },
          ]),
        });
      }
      this.#queue.push({
        ...system,
        event: "configuration",
        action: "loaded",
        outcome: "success",
        target: { type: "configuration" },
        details: {
          settings: {
            PB_HOST: "0.0.0.0",
            PB_PORT: 8080,
            PB_DATA_DIR: "/var/lib/package-broker",
            PB_BASE_URL: "https://packages.example.com",
            PB_DATABASE_URL: "unset",
            PB_WORKERS: 2,
            PB_LOG_LEVEL: "info",
            PB_AUDIT_IP_MODE: "full",
            PB_AUDIT_CHECKPOINT_EVENTS: 1000,
            PB_AUDIT_CHECKPOINT_SECONDS: 60,
            PB_SECRET_KEY: "set",
          },
        },
        gapMs: 3,
      });
      this.#queue.push({
        ...system,
        event: "system",
        action: "started",
        outcome: "success",
        target: { type: "server" },
        details: { listen: "0.0.0.0:8080", base_url: "https://packages.example.com", workers: 2 },
        gapMs: 40,
      });
    }
  }
}

/** Relative traffic at a time: working hours, weekdays, and growth over the two years. */
function rate(ms: number): number {
  const date = new Date(ms);
  const hour = date.getUTCHours();
  const day = date.getUTCDay();
  const daily = hour >= 7 && hour < 19 ? 1.6 : hour >= 5 && hour < 22 ? 0.8 : 0.3;
  const weekly = day === 0 || day === 6 ? 0.35 : 1.25;
  const growth = 0.6 + (0.8 * (ms - LOG_START)) / (LOG_END - LOG_START);
  return daily * weekly * growth;
}
