import type { AuditTrail } from "../audit/audit-trail.ts";
import type { CreateTokenInput, PublicToken, OwnedBy, TokenPatch, TokenService } from "./token-service.ts";

/**
 * Token changes with their `token` audit events: what the API and the CLI call. Each event is
 * committed before the call returns. Secrets and hashes never enter an event; the fingerprint does,
 * and for a personal token the owner's user id. `owned` (`{ ownerId }`) limits a change to one
 * person's own tokens, as in `TokenService`.
 */
export class AuditedTokens {
  readonly #tokens: TokenService;

  constructor(tokens: TokenService) {
    this.#tokens = tokens;
  }

  async create(input: CreateTokenInput, trail: AuditTrail): Promise<{ token: string; record: PublicToken }> {
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

  async update(id: string, patch: TokenPatch, trail: AuditTrail, owned: OwnedBy = {}): Promise<PublicToken> {
    const before = await this.#tokens.get(id, owned);
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
