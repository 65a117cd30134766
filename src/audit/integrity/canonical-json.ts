/**
 * RFC 8785 JSON Canonicalization Scheme (JCS): the one byte sequence a JSON value hashes to.
 *
 * - object members sorted by the UTF-16 code units of their names (RFC 8785 §3.2.3), recursively;
 * - no whitespace;
 * - numbers as ECMAScript `Number.prototype.toString` writes them (§3.2.2.3), `-0` as `0`;
 * - strings escaped as ECMAScript `JSON.stringify` does (§3.2.2.2): `\b \t \n \f \r \" \\`,
 *   other controls as lowercase `\u00xx`, everything else (including `/` and non-ASCII) as is.
 *
 * Only JSON data is accepted. Anything JSON cannot say exactly throws a `CanonicalJsonError`
 * instead of being dropped or coerced the way `JSON.stringify` would: `undefined` (also as a
 * member value or an array hole), functions, symbols, BigInt, NaN and ±Infinity, strings with
 * unpaired surrogates (not valid Unicode, so no valid UTF-8), cycles, and objects that are not
 * plain (Date, Map, class instances, Buffers ...: convert them first, e.g. a Date to its ISO string).
 */
export function canonicalJson(value: unknown): string {
  const out: string[] = [];
  write(value, undefined, new Set(), out);
  // One join: a flat string, not a rope of fragments that would outlive the call.
  return out.join("");
}

export class CanonicalJsonError extends TypeError {
  /** Where in the value the problem is, as `$.member[2]`. */
  readonly path: string;

  constructor(path: string, problem: string) {
    super(`canonical JSON: ${problem} at ${path}`);
    this.path = path;
  }
}

const LONE_SURROGATE = /[\uD800-\uDFFF]/u;
/** Anything that needs escaping, or a surrogate (paired or not): the slow path. */
// eslint-disable-next-line no-control-regex
const NEEDS_CARE = /[\u0000-\u001f"\\\uD800-\uDFFF]/;

/** Where a value sits, built into a `$.a[2]` string only when an error needs it. */
interface Location {
  readonly parent: Location | undefined;
  readonly key: string | number;
}

function pathOf(location: Location | undefined): string {
  if (location === undefined) return "$";
  const { parent, key } = location;
  return typeof key === "number" ? `${pathOf(parent)}[${key}]` : `${pathOf(parent)}.${key}`;
}

/** `<` on strings compares UTF-16 code units: exactly RFC 8785 §3.2.3 (no locale, no normalisation). */
function byCodeUnits(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function write(value: unknown, at: Location | undefined, ancestors: Set<object>, out: string[]): void {
  switch (typeof value) {
    case "string":
      out.push(quote(value, at));
      return;
    case "number":
      if (!Number.isFinite(value)) {
        throw new CanonicalJsonError(pathOf(at), `${String(value)} is not a JSON number`);
      }
      // ECMAScript Number::toString is exactly the serialisation RFC 8785 prescribes; -0 gives "0".
      out.push(String(value));
      return;
    case "boolean":
      out.push(value ? "true" : "false");
      return;
    case "object":
      if (value === null) out.push("null");
      else writeComposite(value, at, ancestors, out);
      return;
    default:
      // undefined, function, symbol, bigint
      throw new CanonicalJsonError(pathOf(at), `a ${typeof value} has no JSON form`);
  }
}

function quote(text: string, at: Location | undefined): string {
  if (!NEEDS_CARE.test(text)) return `"${text}"`;
  if (LONE_SURROGATE.test(text)) {
    throw new CanonicalJsonError(pathOf(at), "a string with an unpaired surrogate");
  }
  return JSON.stringify(text);
}

function writeComposite(
  value: object,
  at: Location | undefined,
  ancestors: Set<object>,
  out: string[],
): void {
  if (ancestors.has(value)) throw new CanonicalJsonError(pathOf(at), "a cycle");
  ancestors.add(value);
  if (Array.isArray(value)) {
    writeArray(value, at, ancestors, out);
  } else {
    const prototype: unknown = Object.getPrototypeOf(value);
    if (prototype !== Object.prototype && prototype !== null) {
      throw new CanonicalJsonError(pathOf(at), "an object that is not a plain object");
    }
    writeObject(value as Record<string, unknown>, at, ancestors, out);
  }
  ancestors.delete(value);
}

function writeArray(
  items: readonly unknown[],
  at: Location | undefined,
  ancestors: Set<object>,
  out: string[],
): void {
  out.push("[");
  // Index loop, not map(): holes must be seen (and refused), not skipped.
  for (let index = 0; index < items.length; index++) {
    if (index > 0) out.push(",");
    write(items[index], { parent: at, key: index }, ancestors, out);
  }
  out.push("]");
}

function writeObject(
  record: Record<string, unknown>,
  at: Location | undefined,
  ancestors: Set<object>,
  out: string[],
): void {
  const names = Object.keys(record).sort(byCodeUnits);
  out.push("{");
  names.forEach((name, index) => {
    const member: Location = { parent: at, key: name };
    out.push(index === 0 ? `${quote(name, member)}:` : `,${quote(name, member)}:`);
    write(record[name], member, ancestors, out);
  });
  out.push("}");
}
