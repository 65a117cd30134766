import { Hono } from "hono";
import { z } from "zod";
import type { AuditedUsers } from "../../access/audited-users.ts";
import { userRoles } from "../../access/user-role.ts";
import type { UserService } from "../../access/user-service.ts";
import type { AppEnv } from "../app-env.ts";
import type { TokenGuard } from "../middleware/require-token.ts";
import { readJsonBody } from "../read-body.ts";

const createUserSchema = z
  .object({
    email: z.string().max(320),
    role: z.enum(userRoles),
    name: z.string().max(200).nullable().optional(),
    password: z.string().max(16_384).optional(),
  })
  .strict();

const updateUserSchema = z
  .object({
    role: z.enum(userRoles).optional(),
    status: z.enum(["active", "blocked"]).optional(),
    name: z.string().max(200).nullable().optional(),
  })
  .strict();

/** /api/users: people and their roles (`users:manage`). Never a password hash or 2FA secret. */
export function userRoutes(deps: {
  users: UserService;
  audited: AuditedUsers;
  guard: TokenGuard;
  maxJsonBytes: number;
}): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const manage = deps.guard("users:manage");

  app.get("/", manage, async (c) => c.json({ users: await deps.users.list() }));

  app.post("/", manage, async (c) => {
    const input = await readJsonBody(c, createUserSchema, deps.maxJsonBytes);
    const user = await deps.audited.create(input, c.get("audit"));
    return c.json(user, 201, { location: `/api/users/${user.id}` });
  });

  app.get("/:id", manage, async (c) => c.json(await deps.users.get(c.req.param("id"))));

  app.patch("/:id", manage, async (c) => {
    const input = await readJsonBody(c, updateUserSchema, deps.maxJsonBytes);
    return c.json(await deps.audited.update(c.req.param("id"), input, c.get("audit")));
  });

  return app;
}
