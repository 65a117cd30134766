import type { AuditTrail } from "../audit/audit-trail.ts";
import { DomainError } from "../errors/domain-error.ts";
import type { AccessGrant } from "./access-grant.ts";
import { assertScopesGrantable } from "./grantable-scopes.ts";
import type { TokenScope } from "./token-scope.ts";
import type { CreateTokenInput, PublicToken, OwnedBy, TokenPatch, TokenService } from "./token-service.ts";

/**
 * Token changes with their `token` audit events: what the API and the CLI call. Each event is
 * committed before the call returns. Secrets and hashes never enter an event; the fingerprint does,
 * and for a personal token the owner's user id. `owned` (`{ ownerId }`) limits a change to one
 * person's own tokens, as in `TokenService`. `grantor`, the caller's grant, bounds the scopes a
 * token may get or have when changed (`ScopeBeyondGrant`, a `denied` event): nobody hands out more
 * than they hold.
 */
export class AuditedTokens {
  readonly #tokens: TokenService;

  constructor(tokens: TokenService) {
    this.#tokens = tokens;
  }

  async create(
    input: CreateTokenInput,
    trail: AuditTrail,
    grantor?: AccessGrant,
  ): Promise<{ token: string; record: PublicToken }> {
    if (grantor !== undefined) {
      await refuseUngrantable(trail, "created", null, () => {
        assertScopesGrantable(grantor, input.scopes ?? ["read"], "create");
      });
    }
    const created = await this.#tokens.create(input);
    await trail.record({
      event: "token",
      action: "created",
      outcome: "success",
      target: tokenTarget(created.record),
      details: { after: { ...tokenSettings(created.record), owner: created.record.owner?.id ?? null } },
    });
    return created;
  }

  async update(
    id: string,
    patch: TokenPatch,
    trail: AuditTrail,
    owned: OwnedBy = {},
    grantor?: AccessGrant,
  ): Promise<PublicToken> {
    const before = await this.#tokens.get(id, owned);
    if (grantor !== undefined) {
      const scopes: readonly TokenScope[] = patch.scopes ?? [];
      await refuseUngrantable(trail, "updated", before, () => {
        assertScopesGrantable(grantor, before.scopes, "change");
        assertScopesGrantable(grantor, scopes, "change");
      });
    }
    const after = await this.#tokens.update(id, patch, owned);
    await trail.record({
      event: "token",
      action: "updated",
      outcome: "success",
      target: tokenTarget(after),
      details: { before: tokenSettings(before), after: tokenSettings(after) },
    });
    return after;
  }

  async revoke(id: string, trail: AuditTrail, owned: OwnedBy = {}): Promise<PublicToken> {
    const revoked = await this.#tokens.revoke(id, owned);
    await trail.record({
      event: "token",
      action: "revoked",
      outcome: "success",
      severity: "warning",
      target: tokenTarget(revoked),
      details: { revoked_at: revoked.revokedAt },
    });
    return revoked;
  }
}

/** Runs the check; a refusal becomes a `denied` token event (an attempt to escalate) and is rethrown. */
async function refuseUngrantable(
  trail: AuditTrail,
  action: "created" | "updated",
  token: PublicToken | null,
  check: () => void,
): Promise<void> {
  try {
    check();
  } catch (error) {
    if (!(error instanceof DomainError)) throw error;
    await trail.record({
      event: "token",
      action,
      outcome: "denied",
      severity: "warning",
      target: token === null ? { type: "token" } : tokenTarget(token),
      details: { code: error.code, reason: error.message, ...error.extensions },
    });
    throw error;
  }
}

function tokenTarget(token: PublicToken): { type: string; id: string; name: string } {
  return { type: "token", id: token.id, name: token.fingerprint };
}

function tokenSettings(token: PublicToken): Record<string, unknown> {
  return {
    description: token.description,
    scopes: [...token.scopes],
    packages: [...token.packagePatterns],
    expires_at: token.expiresAt,
  };
}
