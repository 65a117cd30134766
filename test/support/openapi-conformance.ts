import { Ajv2020, type ValidateFunction } from "ajv/dist/2020.js";
import formats from "ajv-formats";

type JsonObject = Record<string, unknown>;

/** The members of an Operation Object the tests read. */
export interface OperationObject {
  readonly operationId: string;
  readonly requestBody?: { readonly content: Readonly<Record<string, unknown>> };
  readonly responses: Readonly<Record<string, JsonObject>>;
  readonly "x-required-permission"?: string;
  readonly "x-audit-event"?: string;
}

/** One operation of the document: `GET` `/api/tokens/{id}` and its Operation Object. */
export interface DocumentedOperation {
  readonly method: string;
  readonly template: string;
  readonly operation: OperationObject;
}

interface OperationEntry extends DocumentedOperation {
  readonly pattern: RegExp;
  /** Literal characters of the template: the most specific match wins (`/events/x/proof` over `/{id}`). */
  readonly literalLength: number;
}

const COMPONENTS_ID = "urn:package-broker:openapi-components";

/**
 * Checks real responses against the OpenAPI document the server publishes: the status must be
 * documented for the operation (or fall under `default`), the media type must be the documented
 * one, and a JSON body must validate against the documented schema (JSON Schema 2020-12, with
 * every `$ref` to the document's components). Used by TestRuntime on every request it sends.
 */
export class OpenApiConformance {
  readonly #operations: OperationEntry[];
  readonly #ajv: Ajv2020;
  readonly #validators = new Map<string, ValidateFunction>();

  constructor(document: JsonObject) {
    this.#ajv = new Ajv2020({ strict: false, allErrors: true });
    // ajv-formats is CommonJS: under NodeNext its default import is the module object.
    formats.default(this.#ajv);
    const components = (document.components as { schemas: JsonObject }).schemas;
    this.#ajv.addSchema({ $id: COMPONENTS_ID, $defs: rewriteRefs(components) });
    this.#operations = Object.entries(document.paths as Record<string, JsonObject>).flatMap(
      ([template, item]) =>
        Object.entries(item).map(([method, operation]) => ({
          method: method.toUpperCase(),
          template,
          pattern: new RegExp(
            `^${template.replace(/[.*+?^$()|[\]\\]/g, "\\$&").replace(/\{\w+\}/g, "[^/]+")}$`,
          ),
          literalLength: template.replace(/\{\w+\}/g, "").length,
          operation: operation as OperationObject,
        })),
    );
  }

  /** The operation a request hits, or undefined (a Composer route, an unknown path). */
  find(method: string, path: string): OperationEntry | undefined {
    return this.#operations
      .filter((entry) => entry.method === method.toUpperCase() && entry.pattern.test(path))
      .sort((a, b) => b.literalLength - a.literalLength)[0];
  }

  /** Every operation of the document (the tests that walk the whole API start from these). */
  documented(): readonly DocumentedOperation[] {
    return this.#operations;
  }

  /** Throws, naming the operation and what differs, unless the response is as documented. */
  async check(method: string, path: string, response: Response): Promise<void> {
    const entry = this.find(method, path);
    if (entry === undefined) return;
    const label = `${entry.method} ${entry.template} → ${response.status}`;
    const responses = entry.operation.responses;
    const key = String(response.status);
    const documented = responses[key] ?? (response.status >= 400 ? responses.default : undefined);
    if (documented === undefined) throw new Error(`${label}: status not documented`);
    const content = documented.content as Record<string, JsonObject> | undefined;
    if (content === undefined) {
      if (response.body !== null && response.status !== 204) {
        const text = await response.clone().text();
        if (text !== "") throw new Error(`${label}: a body where none is documented`);
      }
      return;
    }
    const type = mediaType(response.headers.get("content-type") ?? "");
    const media = Object.entries(content).find(([documentedType]) => mediaType(documentedType) === type)?.[1];
    if (media === undefined) {
      throw new Error(`${label}: content type ${type}, documented ${Object.keys(content).join(", ")}`);
    }
    if (!/^application\/(.+\+)?json$/.test(type) || media.schema === undefined) return;
    const validate = this.#validator(`${label} ${type}`, media.schema as JsonObject);
    const body: unknown = await response.clone().json();
    if (!validate(body)) {
      throw new Error(
        `${label}: body does not match the document: ${this.#ajv.errorsText(validate.errors, { separator: "; " })}\n${JSON.stringify(body).slice(0, 2000)}`,
      );
    }
  }

  #validator(key: string, schema: JsonObject): ValidateFunction {
    let validate = this.#validators.get(key);
    if (validate === undefined) {
      validate = this.#ajv.compile(rewriteRefs(schema) as JsonObject);
      this.#validators.set(key, validate);
    }
    return validate;
  }
}

function rewriteRefs(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(rewriteRefs);
  if (value === null || typeof value !== "object") return value;
  return Object.fromEntries(
    Object.entries(value).map(([key, inner]) =>
      key === "$ref" && typeof inner === "string" && inner.startsWith("#/components/schemas/")
        ? [key, `${COMPONENTS_ID}#/$defs/${inner.slice("#/components/schemas/".length)}`]
        : [key, rewriteRefs(inner)],
    ),
  );
}

/** `text/plain; charset=utf-8` → `text/plain`. */
function mediaType(contentType: string): string {
  return (contentType.split(";")[0] ?? "").trim().toLowerCase();
}
