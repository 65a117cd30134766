import { z } from "zod";
import type { ApiOperation, OperationResponse } from "./api-operation.ts";
import type { ApiRouter, MountedOperation } from "./api-router.ts";
import { problemResponse, problemSchema } from "./problem-schema.ts";
import { UNLIMITED_PATHS } from "../unlimited-paths.ts";

type JsonObject = Record<string, unknown>;

export interface OpenApiInfo {
  readonly title: string;
  readonly version: string;
  readonly description: string;
  /** The server's public URL (PB_BASE_URL). */
  readonly serverUrl: string;
}

const REF_PREFIX = "#/components/schemas/";

/**
 * The OpenAPI 3.1 document of the management API, generated from the operations the routers
 * registered: the same zod schemas validate requests and describe them, and the response schemas
 * are checked against real responses by the tests.
 */
export function buildOpenApiDocument(routers: readonly ApiRouter[], info: OpenApiInfo): JsonObject {
  const components: JsonObject = {};
  const convert = (schema: z.ZodType, io: "input" | "output"): JsonObject =>
    toOpenApiSchema(schema, io, components);
  const paths: Record<string, JsonObject> = {};
  for (const mounted of routers.flatMap((router) => router.operations)) {
    const path = toOpenApiPath(mounted.fullPath);
    const item = (paths[path] ??= {});
    item[mounted.operation.method] = describeOperation(mounted, convert);
  }
  convert(problemSchema, "output");
  return {
    openapi: "3.1.0",
    info: { title: info.title, version: info.version, description: info.description },
    servers: [{ url: info.serverUrl }],
    // Several routers may share a tag (/api/me, /api/me/tokens): each tag is listed once.
    tags: [...new Map(routers.map((router) => [router.tag, router.tagDescription])).entries()].map(
      ([name, description]) => ({ name, description }),
    ),
    paths,
    components: {
      schemas: components,
      securitySchemes: {
        bearerToken: {
          type: "http",
          scheme: "bearer",
          description: "An API token (pb_…), personal or not, as a Bearer token.",
        },
        basicToken: {
          type: "http",
          scheme: "basic",
          description: "An API token as the password of HTTP Basic (any username): what Composer sends.",
        },
        sessionCookie: {
          type: "apiKey",
          in: "cookie",
          name: "pb_session",
          description: "The dashboard's session; changes also need the X-CSRF-Token header.",
        },
      },
    },
  };
}

function describeOperation(
  mounted: MountedOperation,
  convert: (schema: z.ZodType, io: "input" | "output") => JsonObject,
): JsonObject {
  const operation = mounted.operation;
  const described: JsonObject = {
    operationId: operation.operationId,
    summary: operation.summary,
    tags: [mounted.tag],
  };
  const access = describeAccess(operation);
  described.description = [operation.description, access].filter(Boolean).join("\n\n");
  if (operation.audit !== undefined) {
    described["x-audit-event"] = `${operation.audit.event}.${operation.audit.action}`;
  }
  if (operation.access === "public") described.security = [];
  else {
    described.security = [{ bearerToken: [] }, { basicToken: [] }, { sessionCookie: [] }];
    described["x-required-permission"] = operation.access;
  }
  const parameters = [
    ...Object.entries(operation.params ?? {}).map(([name, description]) => ({
      name,
      in: "path",
      required: true,
      description,
      schema: { type: "string" },
    })),
    ...queryParameters(operation, convert),
  ];
  if (parameters.length > 0) described.parameters = parameters;
  if (operation.body !== undefined) {
    described.requestBody = {
      required: true,
      content: { "application/json": { schema: convert(operation.body, "input") } },
    };
  } else if (operation.rawBody !== undefined) {
    described.requestBody = {
      required: true,
      description: operation.rawBody.description,
      content: Object.fromEntries(operation.rawBody.contentTypes.map((type) => [type, {}])),
    };
  }
  const responses: JsonObject = {};
  for (const [status, response] of Object.entries(withUsualErrors(operation, mounted.fullPath))) {
    responses[status] = describeResponse(response, convert);
  }
  responses.default = describeResponse(problemResponse("Any other error."), convert);
  described.responses = responses;
  return described;
}

/** The headers of a 429 RateLimited (docs/rate-limits.md); other responses carry all but Retry-After. */
const RATE_LIMITED_HEADERS: Readonly<Record<string, string>> = {
  "Retry-After": "Seconds until the next request is allowed.",
  "RateLimit-Limit": "Requests allowed per window.",
  "RateLimit-Remaining": "Requests left right now (0).",
  "RateLimit-Reset": "Seconds until the whole budget is back.",
  "RateLimit-Policy": "The policy: `limit;w=window seconds`.",
};

function describeAccess(operation: ApiOperation): string {
  if (operation.access === "public") return "No authentication.";
  if (operation.access === "signed-in") {
    return "A signed-in person (the dashboard session, any role), acting on their own account; API tokens are refused (403 SessionOnly).";
  }
  return `Needs the \`${operation.access}\` permission (a role or a token scope granting it).`;
}

function queryParameters(
  operation: ApiOperation,
  convert: (schema: z.ZodType, io: "input" | "output") => JsonObject,
): JsonObject[] {
  if (operation.query === undefined) return [];
  const schema = convert(operation.query, "input");
  const properties = (schema.properties ?? {}) as Record<string, JsonObject>;
  const required = new Set((schema.required ?? []) as string[]);
  return Object.entries(properties).map(([name, property]) => {
    const { description, ...rest } = property;
    return {
      name,
      in: "query",
      required: required.has(name),
      ...(typeof description === "string" ? { description } : {}),
      schema: rest,
    };
  });
}

/** The errors every operation of its kind can answer, unless the operation describes them. */
function withUsualErrors(operation: ApiOperation, fullPath: string): Record<number, OperationResponse> {
  const usual: Record<number, OperationResponse> = {};
  const problem = problemResponse;
  if (operation.body !== undefined || operation.query !== undefined || operation.rawBody !== undefined) {
    usual[400] = problem("The request is invalid: the problem's `errors` name each field.");
  }
  if (operation.access !== "public") {
    usual[401] = problem("No credentials, or credentials that are not valid.");
    usual[403] = problem("The token or the person may not do this.");
  }
  if (operation.path.includes(":")) usual[404] = problem("No such resource.");
  if (operation.body !== undefined || operation.rawBody !== undefined) {
    usual[413] = problem("The body is larger than the server accepts.");
    usual[415] = problem("The body's media type is not accepted.");
  }
  if (!UNLIMITED_PATHS.has(fullPath)) {
    usual[429] = {
      ...problem("Over the rate limit of the token, or of the address without one (docs/rate-limits.md)."),
      headers: RATE_LIMITED_HEADERS,
    };
  }
  return { ...usual, ...operation.responses };
}

function describeResponse(
  response: OperationResponse,
  convert: (schema: z.ZodType, io: "input" | "output") => JsonObject,
): JsonObject {
  const described: JsonObject = { description: response.description };
  if (response.headers !== undefined) {
    described.headers = Object.fromEntries(
      Object.entries(response.headers).map(([name, description]) => [
        name,
        { description, schema: { type: "string" } },
      ]),
    );
  }
  const contentType =
    response.contentType ?? (response.schema === undefined ? undefined : "application/json");
  if (response.contentTypes !== undefined) {
    described.content = Object.fromEntries(response.contentTypes.map((type) => [type, {}]));
  } else if (contentType !== undefined) {
    described.content = {
      [contentType]: response.schema === undefined ? {} : { schema: convert(response.schema, "output") },
    };
  }
  return described;
}

/**
 * A zod schema as an OpenAPI 3.1 schema (JSON Schema 2020-12). Schemas with a meta `id` become
 * components, referenced by `$ref`, so a shape used in many places is described once.
 */
function toOpenApiSchema(schema: z.ZodType, io: "input" | "output", components: JsonObject): JsonObject {
  const converted = z.toJSONSchema(schema, {
    target: "draft-2020-12",
    io,
    unrepresentable: "any",
  }) as JsonObject;
  const { $defs, id, ...rest } = converted;
  delete rest.$schema;
  for (const [name, definition] of Object.entries(($defs ?? {}) as JsonObject)) {
    components[name] = rewriteRefs(definition);
  }
  const body = rewriteRefs(rest) as JsonObject;
  if (typeof id === "string") {
    components[id] = body;
    return { $ref: `${REF_PREFIX}${id}` };
  }
  return body;
}

function rewriteRefs(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(rewriteRefs);
  if (value === null || typeof value !== "object") return value;
  return Object.fromEntries(
    Object.entries(value).map(([key, inner]) =>
      key === "$ref" && typeof inner === "string" && inner.startsWith("#/$defs/")
        ? [key, `${REF_PREFIX}${inner.slice("#/$defs/".length)}`]
        : [key, rewriteRefs(inner)],
    ),
  );
}

/** `/api/tokens/:id` → `/api/tokens/{id}`. */
export function toOpenApiPath(honoPath: string): string {
  return honoPath.replace(/:(\w+)/g, "{$1}");
}
