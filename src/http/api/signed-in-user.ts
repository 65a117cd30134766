import type { Context } from "hono";
import type { AppEnv } from "../app-env.ts";

/** The signed-in person's id (the guard of a `signed-in` operation guarantees there is one). */
export function signedInUserId(c: Context<AppEnv>): string {
  const user = c.get("grant").user;
  if (user === null) throw new Error("a signed-in operation without a person");
  return user.id;
}
