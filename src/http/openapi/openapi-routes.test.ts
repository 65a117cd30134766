import { execFile, spawnSync } from "node:child_process";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Validator } from "@seriousme/openapi-schema-validator";
import { Ajv2020 } from "ajv/dist/2020.js";
import { TestRuntime } from "../../../test/builders/test-runtime.ts";
import { requireComponent } from "../../../test/support/required-component.ts";
import { listenHttp, type HttpListener } from "../listen-http.ts";

type JsonObject = Record<string, unknown>;

const execFileAsync = promisify(execFile);

interface Operation {
  operationId: string;
  security?: unknown[];
  "x-required-permission"?: string;
  parameters?: { name: string; in: string }[];
  responses: Record<string, { content?: Record<string, { schema?: JsonObject }> }>;
}

let t: TestRuntime;
let document: { openapi: string; paths: Record<string, Record<string, Operation>>; components: JsonObject };

beforeAll(async () => {
  t = await TestRuntime.start();
  const response = await t.request("/api/openapi.json");
  expect(response.status).toBe(200);
  document = (await response.json()) as typeof document;
});

afterAll(async () => {
  await t.cleanup();
});

function operations(): [string, string, Operation][] {
  return Object.entries(document.paths).flatMap(([path, item]) =>
    Object.entries(item).map(([method, operation]): [string, string, Operation] => [path, method, operation]),
  );
}

describe("GET /api/openapi.json", () => {
  it("is an OpenAPI 3.1 document with unique operation ids", () => {
    expect(document.openapi).toBe("3.1.0");
    const ids = operations().map(([, , operation]) => operation.operationId);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.length).toBeGreaterThan(25);
  });

  it("is valid against the official OpenAPI 3.1 schema", async () => {
    const validator = new Validator();
    const result = await validator.validate(structuredClone(document));
    expect(result.valid, JSON.stringify(result.errors ?? null).slice(0, 3000)).toBe(true);
    expect(validator.version).toBe("3.1");
  });

  it("names the permission of every guarded operation, and declares every path parameter", () => {
    for (const [path, method, operation] of operations()) {
      const label = `${method} ${path}`;
      if (operation.security?.length === 0) expect(operation["x-required-permission"], label).toBeUndefined();
      else expect(operation["x-required-permission"], label).toMatch(/^([a-z]+:[a-z-]+|signed-in)$/);
      const inPath = [...path.matchAll(/\{(\w+)\}/g)].map((match) => match[1]);
      const declared = (operation.parameters ?? []).filter((p) => p.in === "path").map((p) => p.name);
      expect(declared.sort(), label).toEqual(inPath.sort());
      expect(
        Object.keys(operation.responses).some((status) => status.startsWith("2")),
        label,
      ).toBe(true);
    }
  });

  it("has response schemas that compile as JSON Schema 2020-12, with every $ref resolvable", () => {
    const ajv = new Ajv2020({ strict: false });
    const local = (value: unknown): JsonObject =>
      JSON.parse(
        JSON.stringify(value).replaceAll('"#/components/schemas/', '"urn:pb:components#/$defs/'),
      ) as JsonObject;
    ajv.addSchema({
      $id: "urn:pb:components",
      $defs: local((document.components as { schemas: JsonObject }).schemas),
    });
    let compiled = 0;
    for (const [path, method, operation] of operations()) {
      for (const [status, response] of Object.entries(operation.responses)) {
        for (const media of Object.values(response.content ?? {})) {
          if (media.schema === undefined) continue;
          const schema = local(media.schema);
          expect(() => ajv.compile(schema), `${method} ${path} ${status}`).not.toThrow();
          compiled += 1;
        }
      }
    }
    expect(compiled).toBeGreaterThan(50);
  });

  it("embeds the published schema of an audit event", () => {
    const schemas = (document.components as { schemas: Record<string, JsonObject> }).schemas;
    expect(schemas.AuditEvent?.required).toContain("schema_version");
  });
});

describe("GET /api/docs", () => {
  it("serves the reference page under a strict Content-Security-Policy, loading only its own files", async () => {
    const response = await t.request("/api/docs");
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toMatch(/^text\/html/);
    const csp = response.headers.get("content-security-policy") ?? "";
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain("unsafe-inline");
    expect(response.headers.get("x-content-type-options")).toBe("nosniff");
    const html = await response.text();
    expect(html).not.toMatch(/(src|href)="https?:/);
    for (const [file, type] of [
      ["reference.js", /^text\/javascript/],
      ["reference.css", /^text\/css/],
    ] as const) {
      const asset = await t.request(`/api/docs/${file}`);
      expect(asset.status).toBe(200);
      expect(asset.headers.get("content-type")).toMatch(type);
    }
  });

  it.each(["nope.js", "..%2F..%2Fpackage.json", "%2e%2e%2findex.html", "index.html"])(
    "answers 404 for %s",
    async (file) => {
      const response = await t.request(`/api/docs/${file}`);
      expect(response.status).toBe(404);
      expect(response.headers.get("content-type")).toBe("application/problem+json");
    },
  );
});

const chromium = spawnSync("chromium", ["--version"], { encoding: "utf8" }).status === 0;
const runsInBrowser = requireComponent("chromium", chromium, "install the chromium package");

describe.runIf(runsInBrowser)("the reference page in a real browser", () => {
  let listener: HttpListener;

  beforeAll(async () => {
    listener = await listenHttp(t.app.fetch, { host: "127.0.0.1", port: 0 });
  });

  afterAll(async () => {
    await listener.close();
  });

  it("renders every operation from the document, with nothing blocked by its CSP", async () => {
    // Asynchronous: the page's requests are answered by this process's event loop.
    const result = await execFileAsync(
      "chromium",
      [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--virtual-time-budget=10000",
        "--dump-dom",
        `http://127.0.0.1:${listener.port}/api/docs`,
      ],
      { timeout: 90_000, maxBuffer: 64 * 1024 * 1024 },
    );
    for (const [, , operation] of operations()) {
      expect(result.stdout).toContain(`id="${operation.operationId}"`);
    }
    expect(result.stdout).not.toContain("Could not load");
  }, 120_000);
});
