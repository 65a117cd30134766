import { afterEach, describe, expect, it } from "vitest";
import { TestRuntime } from "../../test/builders/test-runtime.ts";

const METRICS_TOKEN = "metrics-scraper-token-0123456789";

describe("rate limits (in-process)", () => {
  let t: TestRuntime | undefined;

  afterEach(async () => {
    await t?.cleanup();
    t = undefined;
  });

  const start = async (env: Record<string, string>): Promise<TestRuntime> => {
    t = await TestRuntime.start({ env });
    return t;
  };

  it("sends the RateLimit header fields on Composer and API responses", async () => {
    const rt = await start({ PB_RATE_LIMIT_REQUESTS: "10", PB_RATE_LIMIT_WINDOW_SECONDS: "60" });
    const { token } = await rt.createToken({ scopes: ["admin"] });
    const composer = await rt.request("/packages.json", { token });
    expect(composer.status).toBe(200);
    expect(Object.fromEntries(rateLimitHeaders(composer))).toEqual({
      "ratelimit-limit": "10",
      "ratelimit-remaining": "9",
      "ratelimit-reset": "6",
      "ratelimit-policy": "10;w=60",
    });
    const api = await rt.request("/api/packages", { token, scheme: "bearer" });
    expect(api.status).toBe(200);
    expect(api.headers.get("ratelimit-remaining")).toBe("8");
  });

  it("answers 429 with Retry-After past the limit; another token is not affected", async () => {
    const rt = await start({ PB_RATE_LIMIT_REQUESTS: "3", PB_RATE_LIMIT_WINDOW_SECONDS: "60" });
    const first = await rt.createToken({ scopes: ["admin"] });
    const second = await rt.createToken({ scopes: ["admin"] });
    for (let i = 0; i < 3; i++)
      expect((await rt.request("/api/packages", { token: first.token })).status).toBe(200);

    const refused = await rt.request("/api/packages", { token: first.token });
    expect(refused.status).toBe(429);
    expect(refused.headers.get("content-type")).toBe("application/problem+json");
    expect(refused.headers.get("retry-after")).toBe("20");
    expect(refused.headers.get("ratelimit-remaining")).toBe("0");
    expect(refused.headers.get("ratelimit-reset")).toBe("60");
    expect(refused.headers.get("x-request-id")).toMatch(/^req_/);
    expect(await refused.json()).toMatchObject({
      status: 429,
      title: "Too Many Requests",
      code: "RateLimited",
      retryAfter: 20,
    });

    // Composer's own routes answer as Composer prints it: JSON with a warning.
    const composer = await rt.request("/packages.json", { token: first.token });
    expect(composer.status).toBe(429);
    expect(composer.headers.get("content-type")).toBe("application/json");
    expect(((await composer.json()) as { warning: string }).warning).toMatch(/rate limit exceeded/);

    expect((await rt.request("/api/packages", { token: second.token })).status).toBe(200);

    rt.clock.advance(20_000);
    expect((await rt.request("/api/packages", { token: first.token })).status).toBe(200);
    expect((await rt.request("/api/packages", { token: first.token })).status).toBe(429);
  });

  it("limits requests without a token per client address", async () => {
    // The OpenAPI document TestRuntime reads at its start is the address's first request.
    const rt = await start({ PB_RATE_LIMIT_REQUESTS: "3" });
    const { token } = await rt.createToken();
    expect((await rt.request("/packages.json")).status).toBe(401);
    expect((await rt.request("/packages.json")).status).toBe(401);
    const refused = await rt.request("/packages.json");
    expect(refused.status).toBe(429);
    expect(refused.headers.get("retry-after")).toBe("20");
    expect((await rt.request("/packages.json", { token })).status).toBe(200);
  });

  it("never limits health, readiness and metrics", async () => {
    const rt = await start({ PB_RATE_LIMIT_REQUESTS: "1", PB_METRICS_TOKEN: METRICS_TOKEN });
    for (let i = 0; i < 5; i++) {
      for (const path of ["/health", "/ready"]) {
        const response = await rt.request(path);
        expect(response.status).toBe(200);
        expect(response.headers.get("ratelimit-limit")).toBeNull();
      }
      const metrics = await rt.request("/metrics", { headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
      expect(metrics.status).toBe(200);
    }
  });

  it("is off with PB_RATE_LIMIT_REQUESTS=0", async () => {
    const rt = await start({ PB_RATE_LIMIT_REQUESTS: "0" });
    const { token } = await rt.createToken();
    expect(rt.runtime.rateLimits).toBeNull();
    for (let i = 0; i < 20; i++) {
      const response = await rt.request("/packages.json", { token });
      expect(response.status).toBe(200);
      expect(response.headers.get("ratelimit-limit")).toBeNull();
    }
  });

  it("documents the 429 for every operation but health, readiness and metrics", () => {
    expect.hasAssertions();
    return start({}).then((rt) => {
      for (const { template, operation } of rt.openApi.documented()) {
        const limited = !["/health", "/ready", "/metrics"].includes(template);
        expect(operation.responses["429"] !== undefined, template).toBe(limited);
      }
    });
  });
});

function rateLimitHeaders(response: Response): [string, string][] {
  return [...response.headers].filter(([name]) => name.startsWith("ratelimit-"));
}
