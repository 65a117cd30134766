import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import type { Hono } from "hono";
import type { PublicToken } from "../../src/access/token-service.ts";
import type { TokenScope } from "../../src/access/token-scope.ts";
import type { UserRole } from "../../src/access/user-role.ts";
import { ManualClock } from "../../src/clock/clock.ts";
import { loadConfig, type Config } from "../../src/config/load-config.ts";
import type { AppEnv } from "../../src/http/app-env.ts";
import { createLogger, type Logger } from "../../src/observability/logger.ts";
import { createRuntimeApp } from "../../src/runtime-app.ts";
import { openRuntime, type Runtime, type RuntimeOptions } from "../../src/runtime.ts";
import { OpenApiConformance } from "../support/openapi-conformance.ts";
import { buildZip, type ZipEntrySpec } from "./zip-builder.ts";

export interface TestRuntimeOptions {
  /** Extra PB_* variables; they override the defaults below. */
  readonly env?: Readonly<Record<string, string>>;
  /** Defaults to a ManualClock at 2026-01-01T00:00:00Z. */
  readonly clock?: ManualClock;
  /** Level of the captured log; "info" by default, so that request lines are captured. */
  readonly logLevel?: string;
  /** A file in the temporary data dir instead of an in-memory SQLite database. */
  readonly fileDatabase?: boolean;
  /** How the runtime shares the audit log with other processes (what a worker of `serve` sets). */
  readonly runtimeOptions?: RuntimeOptions;
}

export interface TestToken extends PublicToken {
  /** The secret, as the creation returned it. */
  readonly token: string;
}

/** The password `signInAs` gives its people. */
export const TEST_PASSWORD = "correct horse battery staple 42";

export interface TestSession {
  readonly userId: string;
  readonly email: string;
  /** The session cookie and the CSRF header. */
  readonly headers: Readonly<Record<string, string>>;
}

export interface TokenSpec {
  readonly scopes?: readonly TokenScope[];
  readonly packages?: readonly string[];
  readonly expiresAt?: Date | null;
  readonly description?: string;
}

export type AuthScheme = "basic" | "bearer";

/** What `fetch` accepts as a body (BodyInit, which lib ES2023 does not name). */
export type RequestBody = NonNullable<RequestInit["body"]>;

export interface TestRequestInit extends Omit<RequestInit, "headers" | "body"> {
  /** Sent as HTTP Basic (username `token`) unless `scheme` says bearer. */
  readonly token?: string;
  readonly scheme?: AuthScheme;
  readonly headers?: Record<string, string>;
  /** Objects other than bytes and strings are sent as JSON (with Content-Type application/json). */
  readonly body?: RequestBody | object;
}

/**
 * A real Runtime (SQLite, blob store in a temp dir, git mirrors) wired into the real HTTP app,
 * for in-process tests through `app.request()`. Every log line the app writes is captured.
 */
export class TestRuntime {
  readonly root: string;
  readonly config: Config;
  readonly runtime: Runtime;
  readonly clock: ManualClock;
  readonly logger: Logger;
  readonly app: Hono<AppEnv>;
  /** Every log line written so far, parsed. */
  readonly logLines: Record<string, unknown>[];
  /**
   * The OpenAPI document the app publishes, as a checker: every response `request()` returns is
   * checked against it (status, media type, JSON schema), so every API test tests the document.
   */
  readonly openApi: OpenApiConformance;

  private constructor(fields: {
    root: string;
    config: Config;
    runtime: Runtime;
    clock: ManualClock;
    logger: Logger;
    app: Hono<AppEnv>;
    logLines: Record<string, unknown>[];
    openApi: OpenApiConformance;
  }) {
    this.root = fields.root;
    this.config = fields.config;
    this.runtime = fields.runtime;
    this.clock = fields.clock;
    this.logger = fields.logger;
    this.app = fields.app;
    this.logLines = fields.logLines;
    this.openApi = fields.openApi;
  }

  static async start(options: TestRuntimeOptions = {}): Promise<TestRuntime> {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), "pb-runtime-"));
    const dataDir = path.join(root, "data");
    const config = loadConfig({
      PB_DATA_DIR: dataDir,
      PB_DATABASE_URL:
        options.fileDatabase === true ? path.join(dataDir, "broker.sqlite") : "sqlite::memory:",
      PB_ALLOW_PRIVATE_SOURCES: "true",
      PB_BASE_URL: "http://broker.test",
      PB_LOG_LEVEL: options.logLevel ?? "info",
      ...options.env,
    });
    const logLines: Record<string, unknown>[] = [];
    const logger = createLogger({
      level: config.logLevel,
      destination: {
        write: (line: string) => {
          for (const part of line.split("\n")) {
            if (part.trim() !== "") logLines.push(JSON.parse(part) as Record<string, unknown>);
          }
        },
      },
    });
    const clock = options.clock ?? new ManualClock("2026-01-01T00:00:00.000Z");
    let runtime: Runtime;
    try {
      runtime = await openRuntime(config, logger, clock, options.runtimeOptions);
    } catch (error) {
      fs.rmSync(root, { recursive: true, force: true });
      throw error;
    }
    const app = createRuntimeApp(runtime, logger);
    const document = (await (await app.request("/api/openapi.json")).json()) as Record<string, unknown>;
    // The tests count log lines: the document's own request is not theirs.
    logLines.length = 0;
    const openApi = new OpenApiConformance(document);
    return new TestRuntime({ root, config, runtime, clock, logger, app, logLines, openApi });
  }

  /** Creates a token through the service (default: read scope, every package). */
  async createToken(spec: TokenSpec = {}): Promise<TestToken> {
    const created = await this.runtime.tokens.create({
      description: spec.description ?? "test token",
      ...(spec.scopes === undefined ? {} : { scopes: spec.scopes }),
      ...(spec.packages === undefined ? {} : { packagePatterns: spec.packages }),
      ...(spec.expiresAt === undefined ? {} : { expiresAt: spec.expiresAt }),
    });
    return { ...created.record, token: created.token };
  }

  /**
   * Creates a person with this role and signs them in through POST /api/session: what their
   * browser would then send (the session cookie and the CSRF header).
   */
  async signInAs(role: UserRole, email = `${role}@example.org`): Promise<TestSession> {
    const user = await this.runtime.users.create({ email, role, password: TEST_PASSWORD });
    const response = await this.request("/api/session", {
      method: "POST",
      body: { email, password: TEST_PASSWORD },
    });
    if (response.status !== 200)
      throw new Error(`sign-in answered ${response.status}: ${await response.text()}`);
    const { csrfToken } = (await response.json()) as { csrfToken: string };
    const cookie = (response.headers.get("set-cookie") ?? "").split(";")[0] ?? "";
    return { userId: user.id, email, headers: { cookie, "x-csrf-token": csrfToken } };
  }

  /** `app.request()` with a token and JSON bodies made easy. */
  async request(pathAndQuery: string, init: TestRequestInit = {}): Promise<Response> {
    const { token, scheme, headers: given, body, ...rest } = init;
    const headers: Record<string, string> = { ...given };
    if (token !== undefined) headers.authorization = authorization(token, scheme ?? "basic");
    let sent: RequestBody | undefined;
    if (body === undefined || isRequestBody(body)) {
      sent = body;
    } else {
      sent = JSON.stringify(body);
      headers["content-type"] ??= "application/json";
    }
    const response = await this.app.request(pathAndQuery, {
      ...rest,
      headers,
      ...(sent === undefined ? {} : { body: sent }),
    });
    const path = new URL(pathAndQuery, "http://localhost").pathname;
    await this.openApi.check(rest.method ?? "GET", path, response);
    return response;
  }

  /** Uploads a zip as application/zip with the given token. */
  async upload(zip: Uint8Array, token: string): Promise<Response> {
    return this.request("/api/packages/upload", {
      method: "POST",
      token,
      headers: { "content-type": "application/zip" },
      body: new Uint8Array(zip),
    });
  }

  /** Uploads `extra.zip`, or a package version made by `packageZip`; throws unless it is accepted. */
  async publish(
    name: string,
    version: string,
    token: string,
    extra: { composer?: object; files?: Record<string, string>; zip?: Uint8Array } = {},
  ): Promise<PublishedVersion> {
    const response = await this.upload(extra.zip ?? packageZip(name, version, extra), token);
    if (response.status !== 201 && response.status !== 200) {
      throw new Error(`upload of ${name} ${version} answered ${response.status}: ${await response.text()}`);
    }
    return (await response.json()) as PublishedVersion;
  }

  /** The "Request completed" lines logged so far. */
  requestLines(): Record<string, unknown>[] {
    return this.logLines.filter((line) => line.message === "Request completed");
  }

  async cleanup(): Promise<void> {
    await this.runtime.tokens.drain();
    try {
      await this.runtime.close();
    } catch {
      // closed already (a test may close the database on purpose)
    }
    fs.rmSync(this.root, { recursive: true, force: true });
  }
}

export interface PublishedVersion {
  readonly packageName: string;
  readonly version: string;
  readonly versionNormalized: string;
  readonly distSha1: string;
  readonly distSha256: string;
  readonly size: number;
  readonly created: boolean;
}

/** A minimal valid package archive: composer.json (with name and version) and one PHP file. */
export function packageZip(
  name: string,
  version: string | undefined,
  extra: { composer?: object; files?: Record<string, string>; entries?: readonly ZipEntrySpec[] } = {},
): Buffer {
  const composer = {
    name,
    description: `The ${name} package`,
    ...(version === undefined ? {} : { version }),
  };
  const files = extra.files ?? { "src/Example.php": "<?php\n" };
  return buildZip([
    { name: "composer.json", data: JSON.stringify({ ...composer, ...extra.composer }) },
    ...Object.entries(files).map(([file, data]) => ({ name: file, data })),
    ...(extra.entries ?? []),
  ]);
}

export function authorization(token: string, scheme: AuthScheme = "basic"): string {
  return scheme === "bearer"
    ? `Bearer ${token}`
    : `Basic ${Buffer.from(`token:${token}`, "utf8").toString("base64")}`;
}

function isRequestBody(body: RequestBody | object): body is RequestBody {
  return (
    typeof body === "string" ||
    body instanceof Uint8Array ||
    body instanceof ArrayBuffer ||
    body instanceof Blob ||
    body instanceof FormData ||
    body instanceof URLSearchParams ||
    body instanceof ReadableStream
  );
}
