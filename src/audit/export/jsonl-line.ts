import type { AuditEvent } from "../audit-event.ts";

/**
 * Characters JSON.stringify leaves raw but that some readers treat as line breaks or controls:
 * DEL and the C1 controls (U+0085 NEL is a line break for Unicode-aware splitters) and U+2028 /
 * U+2029 (line and paragraph separators; JavaScript before ES2019 and many log viewers split on
 * them). C0 controls, CR and LF are already escaped by JSON.stringify.
 */
const UNSAFE_IN_LINE = /[\u007f-\u009f\u2028\u2029]/g;

/** The same characters, to test for without the state a global regex keeps in `lastIndex`. */
const HAS_UNSAFE_IN_LINE = /[\u007f-\u009f\u2028\u2029]/;

/** `\uXXXX` for a UTF-16 code unit (lower-case hex, as JSON.stringify writes its escapes). */
function unicodeEscape(c: string): string {
  return `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`;
}

/**
 * `value` as JSON on one line, without the line's "\n": every control character and line
 * separator is escaped, so the text never splits whatever the strings hold. Outside strings
 * JSON.stringify emits none of these characters, so replacing them anywhere only touches string
 * contents. Most texts hold none: a test first spares them the replace pass.
 */
export function jsonText(value: object): string {
  const json = JSON.stringify(value);
  return HAS_UNSAFE_IN_LINE.test(json) ? json.replace(UNSAFE_IN_LINE, unicodeEscape) : json;
}

/** `value` as one line of JSON followed by "\n" (see jsonText). */
export function jsonLine(value: object): string {
  return `${jsonText(value)}\n`;
}

/** The event envelope as a JSON Lines record (https://jsonlines.org): the lossless export. */
export function jsonlLine(event: AuditEvent): string {
  return jsonLine(event);
}
