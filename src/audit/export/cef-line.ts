import type { AuditEvent, AuditSeverity } from "../audit-event.ts";
import { jsonText } from "./jsonl-line.ts";
import type { ProductInfo } from "./product-info.ts";
import { storedAddress } from "./stored-address.ts";

/**
 * CEF severity 0–10. ArcSight reads 0–3 as Low, 4–6 Medium, 7–8 High, 9–10 Very-High: info is
 * Low (3), warning Medium (6), error High (8). Very-High stays free for alert rules.
 */
export function cefSeverity(severity: AuditSeverity): number {
  return severity === "info" ? 3 : severity === "warning" ? 6 : 8;
}

/**
 * Characters that must never reach a CEF line raw, whatever the field: CR and LF end the syslog
 * record; U+0085, U+2028 and U+2029 are line breaks to Unicode-aware readers. CEF escapes only
 * `\n` and `\r`, so these become `\n` (lossy, but the event stays on one line).
 */
const LINE_BREAK = /\r\n?|[\n\u0085\u2028\u2029]/g;

/**
 * Other control characters (C0 except TAB, DEL, C1) have no CEF escape and could drive a
 * terminal that displays the log: they become U+FFFD.
 */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u0084\u0086-\u009f]/g;

/** The CEF specials of a header field and of an extension value, each escaped with a backslash. */
const HEADER_SPECIAL = /[\\|]/g;
const EXTENSION_SPECIAL = /[\\=]/g;
/** The replacement for them: a backslash, then the character matched. */
const BACKSLASHED = "\\$&";

/**
 * Whether a header field / an extension value holds anything the escapes change: its two CEF
 * specials, or one of LINE_BREAK or CONTROL (together: every C0 control but TAB, DEL, the C1
 * controls, U+2028 and U+2029). Almost no value does, and one scan that says so is much cheaper
 * than the three replace passes, which then are skipped (the tests pin this against them).
 */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const HEADER_NEEDS_ESCAPE = /[\\|\u0000-\u0008\u000a-\u001f\u007f-\u009f\u2028\u2029]/;
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const EXTENSION_NEEDS_ESCAPE = /[\\=\u0000-\u0008\u000a-\u001f\u007f-\u009f\u2028\u2029]/;

function escapeBreaks(text: string): string {
  return text
    .replace(LINE_BREAK, (c) => (c === "\r" ? "\\r" : c === "\r\n" ? "\\r\\n" : "\\n"))
    .replace(CONTROL, "\ufffd");
}

/** A header field: `\` and `|` are escaped (CEF), line breaks written as `\n`/`\r`. */
export function cefHeaderField(text: string): string {
  if (!HEADER_NEEDS_ESCAPE.test(text)) return text;
  return escapeBreaks(text.replace(HEADER_SPECIAL, BACKSLASHED));
}

/** An extension value: `\` and `=` are escaped (CEF), line breaks written as `\n`/`\r`. */
export function cefExtensionValue(text: string): string {
  if (!EXTENSION_NEEDS_ESCAPE.test(text)) return text;
  return escapeBreaks(text.replace(EXTENSION_SPECIAL, BACKSLASHED));
}

/** Receives the extension's [key, raw value] pairs, in order. */
type PairSink = (key: string, value: string) => void;

/**
 * The extension as ordered [key, value] pairs (exported for the tests and docs). Keys are from the
 * CEF dictionary; what has no dictionary key goes to the custom strings cs1–cs6 with their labels,
 * flexString1–2, the custom number cn1 and the custom IPv6 address c6a2, each with a label naming it.
 */
export function cefExtension(
  event: AuditEvent,
  product: ProductInfo,
): readonly (readonly [string, string])[] {
  const pairs: [string, string][] = [];
  writeExtension(event, product, (key, value) => pairs.push([key, value]));
  return pairs;
}

/**
 * The pairs of `cefExtension`, handed to `emit` one by one: toCef writes them straight into the
 * line, without an array of pairs to map and join for every event.
 */
function writeExtension(event: AuditEvent, product: ProductInfo, emit: PairSink): void {
  const address = storedAddress(event.ip_address);
  const target = event.target;
  const reason = event.details.reason;

  add(emit, "rt", Date.parse(event.timestamp));
  add(emit, "externalId", event.id);
  labelled(emit, "cn1", "seq", String(event.seq));
  add(emit, "cat", event.event);
  add(emit, "act", event.action);
  // CEF's outcome is conventionally success/failure; the refusal itself stays in flexString1.
  add(emit, "outcome", event.outcome === "success" ? "success" : "failure");
  labelled(emit, "flexString1", "auditOutcome", event.outcome);
  add(emit, "suser", event.user);
  labelled(emit, "flexString2", "actor", `${event.actor.type}/${event.actor.auth_method}`);
  // `src` is an IPv4 address in CEF; producers put a source IPv6 address in c6a2 with its label.
  if (address?.kind === "ipv4") add(emit, "src", address.value);
  if (address?.kind === "ipv6") labelled(emit, "c6a2", "sourceIPv6Address", address.value);
  if (address !== null && address.kind !== "ipv4" && address.kind !== "ipv6") {
    labelled(emit, "cs6", "clientAddress", address.value);
  }
  add(emit, "requestClientApplication", event.user_agent);
  labelled(emit, "cs1", "requestId", event.request_id);
  labelled(emit, "cs2", "targetType", target?.type);
  labelled(emit, "cs3", "targetId", target?.id);
  labelled(emit, "cs4", "targetName", target?.name);
  labelled(emit, "cs5", "targetVersion", target?.version);
  if (typeof reason === "string") add(emit, "reason", reason);
  // JSON with its line separators escaped too (jsonText), so a reader's `\n` is never inside a string.
  if (Object.keys(event.details).length > 0) add(emit, "msg", jsonText(event.details));
  add(emit, "dvchost", product.host);
}

/** Emits a pair unless the value is missing or empty. */
function add(emit: PairSink, key: string, value: string | number | null | undefined): void {
  if (value !== null && value !== undefined && value !== "") emit(key, String(value));
}

/** A custom field: `<key>Label` naming it, then the field itself; nothing when the value is missing or empty. */
function labelled(emit: PairSink, key: string, label: string, value: string | null | undefined): void {
  if (value === null || value === undefined || value === "") return;
  emit(`${key}Label`, label);
  emit(key, value);
}

/**
 * The event as one ArcSight CEF line (ends with "\n", no raw line break inside):
 * `CEF:0|Vendor|Product|Version|SignatureID|Name|Severity|Extension`, SignatureID being
 * `<event>.<action>`, Name the same in words.
 */
export function toCef(event: AuditEvent, product: ProductInfo): string {
  let line =
    `CEF:0|${cefHeaderField(product.vendor)}|${cefHeaderField(product.product)}` +
    `|${cefHeaderField(product.version)}|${cefHeaderField(`${event.event}.${event.action}`)}` +
    `|${cefHeaderField(`${event.event} ${event.action.replaceAll("_", " ")}`)}` +
    `|${cefSeverity(event.severity)}|`;
  // The pairs are appended as they come, separated by spaces.
  let separator = "";
  writeExtension(event, product, (key, value) => {
    line += `${separator}${key}=${cefExtensionValue(value)}`;
    separator = " ";
  });
  return `${line}\n`;
}
