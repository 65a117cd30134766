import type { AuditEvent } from "../audit-event.ts";

/** The CSV columns, in order: the envelope flattened, `details` as compact JSON. */
export const AUDIT_CSV_COLUMNS = [
  "seq",
  "id",
  "timestamp",
  "event",
  "action",
  "severity",
  "outcome",
  "user",
  "actor_type",
  "actor_id",
  "auth_method",
  "ip_address",
  "user_agent",
  "request_id",
  "target_type",
  "target_id",
  "target_name",
  "target_version",
  "details",
] as const;

export type AuditCsvColumn = (typeof AUDIT_CSV_COLUMNS)[number];

/** RFC 4180 ends every record, the header included, with CRLF. */
const CRLF = "\r\n";

/**
 * Spreadsheets (Excel, LibreOffice, Google Sheets) run a cell that starts with one of these as a
 * formula: `=`, `+`, `-`, `@`, TAB and CR are OWASP's list for CSV injection; the full-width
 * (＝ ＋ － ＠) and small-form (﹦ ﹢ ﹣ ﹫) variants are included because some spreadsheet
 * applications fold them to their ASCII forms when they parse input.
 */
const FORMULA_TRIGGERS = new Set([
  "=",
  "+",
  "-",
  "@",
  "\t",
  "\r",
  "\uff1d",
  "\uff0b",
  "\uff0d",
  "\uff20",
  "\ufe66",
  "\ufe62",
  "\ufe63",
  "\ufe6b",
]);

/**
 * Leading characters a spreadsheet may skip before it looks for a formula: Unicode white space
 * (`\s`: space, TAB, CR, LF, NBSP, U+3000…) and the invisible zero-width characters.
 */
const LEADING_INVISIBLE = /^[\s\u180e\u200b-\u200d\u2060]*/u;

/** A cell needs quotes when it holds the separator, a quote or a line break (RFC 4180, 2.6). */
const NEEDS_QUOTES = /[",\r\n]/;

/** How isFormulaLike's fast path classifies an ASCII first character. */
const PLAIN = 0;
const TRIGGER = 1;
const SKIPPABLE = 2;

/**
 * PLAIN, TRIGGER or SKIPPABLE for each ASCII code, derived from FORMULA_TRIGGERS and
 * LEADING_INVISIBLE so the fast path cannot drift from them. TAB and CR are both white space and
 * triggers: TRIGGER wins, as in the general rule (the first character is checked first).
 */
const ASCII_FIRST = Uint8Array.from({ length: 0x80 }, (_, code) => {
  const c = String.fromCharCode(code);
  if (FORMULA_TRIGGERS.has(c)) return TRIGGER;
  return LEADING_INVISIBLE.exec(c)?.[0] === c ? SKIPPABLE : PLAIN;
});

/** The header record. */
export function csvHeaderLine(): string {
  return `${AUDIT_CSV_COLUMNS.join(",")}${CRLF}`;
}

/** One event as one CSV record (which may span lines inside quoted cells, as RFC 4180 allows). */
export function csvLine(event: AuditEvent): string {
  // One string built cell by cell: no second array of cells and no join for every exported row.
  let line = "";
  let separator = "";
  for (const value of csvValues(event)) {
    line += separator + csvCell(value);
    separator = ",";
  }
  return line + CRLF;
}

/** The raw (unescaped, not neutralised) values of the event in column order; null for none. */
export function csvValues(event: AuditEvent): readonly (string | null)[] {
  const { actor, target } = event;
  // In the order of AUDIT_CSV_COLUMNS (a test checks each value lands under its column name).
  return [
    String(event.seq),
    event.id,
    event.timestamp,
    event.event,
    event.action,
    event.severity,
    event.outcome,
    event.user,
    actor.type,
    actor.id,
    actor.auth_method,
    event.ip_address,
    event.user_agent,
    event.request_id,
    target?.type ?? null,
    target?.id ?? null,
    target?.name ?? null,
    target?.version ?? null,
    JSON.stringify(event.details),
  ];
}

/**
 * One cell: null is empty; a value a spreadsheet would run as a formula, even after leading white
 * space, is prefixed with `'` (which spreadsheets show as text and do not display); then RFC 4180
 * quoting with `"` doubled. Neutralising before quoting means the quote never hides a trigger.
 */
export function csvCell(value: string | null): string {
  if (value === null) return "";
  const safe = isFormulaLike(value) ? `'${value}` : value;
  return NEEDS_QUOTES.test(safe) ? `"${safe.replaceAll('"', '""')}"` : safe;
}

/** Whether a spreadsheet could take `value` for a formula (see FORMULA_TRIGGERS). */
export function isFormulaLike(value: string): boolean {
  // Fast path: nearly every cell starts with an ASCII character that is a trigger or is neither a
  // trigger nor white space (a letter, a digit, `{`): one table lookup decides. Leading white space
  // and non-ASCII first characters take the general rule.
  const first = value.charCodeAt(0);
  if (first < 0x80) {
    const kind = ASCII_FIRST[first];
    if (kind !== SKIPPABLE) return kind === TRIGGER;
  }
  return isFormulaLikeGeneral(value);
}

/** The rule itself: a trigger first, or first after a run of leading white space or invisibles. */
function isFormulaLikeGeneral(value: string): boolean {
  const first = value.charAt(0);
  if (FORMULA_TRIGGERS.has(first)) return true;
  const rest = value.slice(LEADING_INVISIBLE.exec(value)?.[0].length ?? 0);
  return rest !== value && FORMULA_TRIGGERS.has(rest.charAt(0));
}
