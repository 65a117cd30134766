/**
 * JSON values as `JSON.parse` produces them. Objects are plain records; their key order is
 * meaningful to the Composer minifier (PHP compares arrays with `!==`, which includes order).
 */
export type JsonValue = null | boolean | number | string | JsonValue[] | JsonObject;

export interface JsonObject {
  [key: string]: JsonValue;
}

/** One version of a package as Composer's ArrayLoader reads it (`name`, `version`, `require`, ...). */
export type VersionEntry = Record<string, JsonValue>;

export function isJsonObject(value: JsonValue | undefined): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * Sets an own enumerable property, also for the key `__proto__` (a plain assignment would change
 * the prototype instead). New keys go to the end, existing keys keep their position, as in PHP.
 */
export function setOwn(target: JsonObject, key: string, value: JsonValue): void {
  if (key === "__proto__") {
    Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
  } else {
    target[key] = value;
  }
}

/**
 * Deep equality with PHP's `===` semantics on decoded JSON: same types, same values, and for
 * objects the same keys in the same order.
 */
export function jsonIdentical(a: JsonValue, b: JsonValue): boolean {
  if (a === b) return true;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) {
      if (!jsonIdentical(a[i] as JsonValue, b[i] as JsonValue)) return false;
    }
    return true;
  }
  if (Array.isArray(b)) return false;
  const aKeys = Object.keys(a);
  const bKeys = Object.keys(b);
  if (aKeys.length !== bKeys.length) return false;
  for (const [i, key] of aKeys.entries()) {
    if (key !== bKeys[i]) return false;
    if (!jsonIdentical(a[key] as JsonValue, b[key] as JsonValue)) return false;
  }
  return true;
}
