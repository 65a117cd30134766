import type { Clock } from "../clock/clock.ts";
import type { AuditActor } from "./audit-event.ts";
import type { AuditLog } from "./audit-log.ts";
import { auditTrail, type AuditTrail } from "./audit-trail.ts";
import type { ClientAddressResolver } from "./client-address.ts";
import { canonicalIp, reduceIpAddress, type IpMode } from "./ip-privacy.ts";

export interface RequestOrigin {
  readonly peer: string | undefined;
  readonly forwardedFor: string | undefined;
  readonly userAgent: string | undefined;
  readonly requestId: string;
}

const USER_AGENT_MAX = 512;
/** A token's successful authentication is recorded once per client address in this window. */
export const ACCEPTANCE_WINDOW_MS = 10 * 60 * 1000;

/**
 * Builds the audit trail of an HTTP request: who (the actor), from where (the client address,
 * reduced per the IP mode in force: `audit.ipMode`, else PB_AUDIT_IP_MODE), with what (user agent), under which request id.
 */
export class RequestAuditing {
  readonly #log: AuditLog;
  readonly #clientAddress: ClientAddressResolver;
  readonly #ipMode: () => IpMode;
  readonly #hashKey: Buffer;
  readonly #clock: Clock;
  readonly #keepRawIp: boolean;
  readonly #accepted = new Map<string, number>();

  constructor(options: {
    log: AuditLog;
    clientAddress: ClientAddressResolver;
    /** The mode in force, asked at each request: kept in memory (no I/O), see AuditIpMode. */
    ipMode: IpMode | (() => IpMode);
    hashKey: Buffer;
    clock: Clock;
    /** Pass the raw address on too (PB_AUDIT_RAW_IP_DAYS > 0), for the raw IP vault. */
    keepRawIp?: boolean;
  }) {
    this.#log = options.log;
    this.#clientAddress = options.clientAddress;
    const { ipMode } = options;
    this.#ipMode = typeof ipMode === "function" ? ipMode : () => ipMode;
    this.#hashKey = options.hashKey;
    this.#clock = options.clock;
    this.#keepRawIp = options.keepRawIp ?? false;
  }

  /**
   * The client's address, whole (what a lockout counts): the peer, or the forwarded address when
   * the peer is a trusted proxy. Never stored as it is; events get it reduced per the IP mode.
   */
  clientAddress(origin: RequestOrigin): string | null {
    const address = this.#clientAddress.resolve(origin.peer, origin.forwardedFor);
    return address === null ? null : canonicalIp(address);
  }

  trail(origin: RequestOrigin, actor: AuditActor): AuditTrail {
    const address = this.#clientAddress.resolve(origin.peer, origin.forwardedFor);
    return auditTrail(this.#log, {
      actor,
      ipAddress: reduceIpAddress(address, this.#ipMode(), this.#hashKey),
      ...(this.#keepRawIp && address !== null ? { rawIpAddress: canonicalIp(address) } : {}),
      userAgent: origin.userAgent === undefined ? null : origin.userAgent.slice(0, USER_AGENT_MAX),
      requestId: origin.requestId,
    });
  }

  /**
   * Whether this successful authentication should be recorded: the first of a token from an
   * address, then at most once per window. (Every request is in the operational log; the audit
   * log records the authentication, and each access as its own event.)
   */
  shouldRecordAcceptance(tokenId: string, trail: AuditTrail): boolean {
    const key = `${tokenId}\u0000${trail.context.ipAddress ?? ""}`;
    const now = this.#clock.now().getTime();
    const last = this.#accepted.get(key);
    if (last !== undefined && now - last < ACCEPTANCE_WINDOW_MS) return false;
    if (this.#accepted.size > 100_000) this.#accepted.clear();
    this.#accepted.set(key, now);
    return true;
  }
}
