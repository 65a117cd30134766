import { Hono } from "hono";
import { describe, expect, it } from "vitest";
import { DomainError } from "../errors/domain-error.ts";
import type { AppEnv } from "./app-env.ts";
import { errorResponse } from "./error-responses.ts";

function appThrowing(error: unknown): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.get("/", () => {
    throw error;
  });
  app.onError((caught, c) => errorResponse(c, caught));
  return app;
}

describe("errorResponse", () => {
  it("says when to come back, in the problem and in Retry-After", async () => {
    const app = appThrowing(
      new DomainError("unavailable", "AuditSearchIndexing", "the index is catching up", { retryAfter: 5 }),
    );
    const response = await app.request("/");
    expect(response.status).toBe(503);
    expect(response.headers.get("retry-after")).toBe("5");
    expect(response.headers.get("content-type")).toBe("application/problem+json");
    expect(await response.json()).toMatchObject({ code: "AuditSearchIndexing", retryAfter: 5 });
  });

  it("sends no Retry-After without one", async () => {
    const response = await appThrowing(new DomainError("unavailable", "X", "down")).request("/");
    expect(response.status).toBe(503);
    expect(response.headers.has("retry-after")).toBe(false);
  });
});
