/**
 * RFC 8785 canonical JSON of a parsed JSON value, as the server hashes an audit event
 * (src/audit/integrity/canonical-json.ts): members sorted by UTF-16 code units, no whitespace,
 * ECMAScript number and string forms. Anything JSON cannot say exactly throws a TypeError.
 */
export function canonicalJson(value: unknown): string {
  switch (typeof value) {
    case "string":
      return quote(value);
    case "number":
      if (!Number.isFinite(value))
        throw new TypeError(`canonical JSON: ${String(value)} is not a JSON number`);
      return String(value);
    case "boolean":
      return value ? "true" : "false";
    case "object":
      if (value === null) return "null";
      if (Array.isArray(value))
        return `[${Array.from(value as unknown[], (item) => canonicalJson(item)).join(",")}]`;
      return canonicalObject(value);
    default:
      throw new TypeError(`canonical JSON: a ${typeof value} has no JSON form`);
  }
}

const LONE_SURROGATE = /[\uD800-\uDFFF]/u;

function quote(text: string): string {
  if (LONE_SURROGATE.test(text)) throw new TypeError("canonical JSON: a string with an unpaired surrogate");
  return JSON.stringify(text);
}

function canonicalObject(value: object): string {
  const prototype: unknown = Object.getPrototypeOf(value);
  if (prototype !== Object.prototype && prototype !== null) {
    throw new TypeError("canonical JSON: an object that is not a plain object");
  }
  const record = value as Record<string, unknown>;
  const names = Object.keys(record).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${names.map((name) => `${quote(name)}:${canonicalJson(record[name])}`).join(",")}}`;
}
