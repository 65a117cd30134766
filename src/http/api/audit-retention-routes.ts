import { Hono } from "hono";
import { z } from "zod";
import type { AuditRetention } from "../../audit/retention/audit-retention.ts";
import type { AppEnv } from "../app-env.ts";
import type { TokenGuard } from "../middleware/require-token.ts";
import { readJsonBody } from "../read-body.ts";

/** The policy change is checked by the retention itself (one place for the rules, also the CLI's). */
const retentionChangeSchema = z.object({ days: z.record(z.string(), z.unknown()) }).strict();
const legalHoldSchema = z.object({ reason: z.string() }).strict();

/**
 * /api/audit/retention (`audit:read` to look, `settings:manage` to change): the retention policy, the legal hold and the purge.
 *
 * - `GET /`: days per category, the legal hold, and per category retained and purged counts,
 *   the oldest retained event and the cut-off a purge would use now.
 * - `PUT /` `{"days": {"authentication": 730}}`: changes some categories' days.
 * - `POST /legal-hold` `{"reason": "..."}`, `DELETE /legal-hold`: places and releases the hold.
 * - `POST /purge`: purges now (409 under legal hold or while another purge runs).
 */
export function auditRetentionRoutes(deps: {
  retention: AuditRetention;
  guard: TokenGuard;
  maxJsonBytes: number;
}): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const read = deps.guard("audit:read");
  const manage = deps.guard("settings:manage");

  app.get("/", read, async (c) => c.json(await deps.retention.status()));

  app.put("/", manage, async (c) => {
    const input = await readJsonBody(c, retentionChangeSchema, deps.maxJsonBytes);
    const days = await deps.retention.setDays(c.get("audit"), input.days);
    return c.json({ days });
  });

  app.post("/legal-hold", manage, async (c) => {
    const input = await readJsonBody(c, legalHoldSchema, deps.maxJsonBytes);
    return c.json(await deps.retention.hold(c.get("audit"), input.reason), 201);
  });

  app.delete("/legal-hold", manage, async (c) => c.json(await deps.retention.release(c.get("audit"))));

  app.post("/purge", manage, async (c) => c.json(await deps.retention.purge(c.get("audit"), "manual")));

  return app;
}
