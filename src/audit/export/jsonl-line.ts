import type { AuditEvent } from "../audit-event.ts";

/**
 * Characters JSON.stringify leaves raw but that some readers treat as line breaks or controls:
 * DEL and the C1 controls (U+0085 NEL is a line break for Unicode-aware splitters) and U+2028 /
 * U+2029 (line and paragraph separators; JavaScript before ES2019 and many log viewers split on
 * them). C0 controls, CR and LF are already escaped by JSON.stringify.
 */
const UNSAFE_IN_LINE = /[\u007f-\u009f\u2028\u2029]/g;

/**
 * `value` as one line of JSON followed by "\n": every control character and line separator is
 * escaped, so the line never splits whatever the strings hold. Outside strings JSON.stringify
 * emits none of these characters, so replacing them anywhere only touches string contents.
 */
export function jsonLine(value: object): string {
  const json = JSON.stringify(value);
  return `${json.replace(UNSAFE_IN_LINE, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`)}\n`;
}

/** The event envelope as a JSON Lines record (https://jsonlines.org): the lossless export. */
export function jsonlLine(event: AuditEvent): string {
  return jsonLine(event);
}
