import type { AuditEvent, AuditSeverity } from "../audit-event.ts";
import { jsonLine } from "./jsonl-line.ts";
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

function escapeBreaks(text: string): string {
  return text
    .replace(LINE_BREAK, (c) => (c === "\r" ? "\\r" : c === "\r\n" ? "\\r\\n" : "\\n"))
    .replace(CONTROL, "\ufffd");
}

/** A header field: `\` and `|` are escaped (CEF), line breaks written as `\n`/`\r`. */
export function cefHeaderField(text: string): string {
  return escapeBreaks(text.replace(/[\\|]/g, (c) => `\\${c}`));
}

/** An extension value: `\` and `=` are escaped (CEF), line breaks written as `\n`/`\r`. */
export function cefExtensionValue(text: string): string {
  return escapeBreaks(text.replace(/[\\=]/g, (c) => `\\${c}`));
}

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
  const add = (key: string, value: string | number | null | undefined): void => {
    if (value !== null && value !== undefined && value !== "") pairs.push([key, String(value)]);
  };
  const labelled = (key: string, label: string, value: string | null | undefined): void => {
    if (value === null || value === undefined || value === "") return;
    add(`${key}Label`, label);
    add(key, value);
  };
  const address = storedAddress(event.ip_address);
  const target = event.target;
  const reason = event.details.reason;

  add("rt", Date.parse(event.timestamp));
  add("externalId", event.id);
  labelled("cn1", "seq", String(event.seq));
  add("cat", event.event);
  add("act", event.action);
  // CEF's outcome is conventionally success/failure; the refusal itself stays in flexString1.
  add("outcome", event.outcome === "success" ? "success" : "failure");
  labelled("flexString1", "auditOutcome", event.outcome);
  add("suser", event.user);
  labelled("flexString2", "actor", `${event.actor.type}/${event.actor.auth_method}`);
  // `src` is an IPv4 address in CEF; producers put a source IPv6 address in c6a2 with its label.
  if (address?.kind === "ipv4") add("src", address.value);
  if (address?.kind === "ipv6") labelled("c6a2", "sourceIPv6Address", address.value);
  if (address !== null && address.kind !== "ipv4" && address.kind !== "ipv6") {
    labelled("cs6", "clientAddress", address.value);
  }
  add("requestClientApplication", event.user_agent);
  labelled("cs1", "requestId", event.request_id);
  labelled("cs2", "targetType", target?.type);
  labelled("cs3", "targetId", target?.id);
  labelled("cs4", "targetName", target?.name);
  labelled("cs5", "targetVersion", target?.version);
  if (typeof reason === "string") add("reason", reason);
  // JSON with its line separators escaped too (jsonLine), so a reader's `\n` is never inside a string.
  if (Object.keys(event.details).length > 0) add("msg", jsonLine(event.details).slice(0, -1));
  add("dvchost", product.host);
  return pairs;
}

/**
 * The event as one ArcSight CEF line (ends with "\n", no raw line break inside):
 * `CEF:0|Vendor|Product|Version|SignatureID|Name|Severity|Extension`, SignatureID being
 * `<event>.<action>`, Name the same in words.
 */
export function toCef(event: AuditEvent, product: ProductInfo): string {
  const header = [
    "CEF:0",
    cefHeaderField(product.vendor),
    cefHeaderField(product.product),
    cefHeaderField(product.version),
    cefHeaderField(`${event.event}.${event.action}`),
    cefHeaderField(`${event.event} ${event.action.replaceAll("_", " ")}`),
    String(cefSeverity(event.severity)),
  ].join("|");
  const extension = cefExtension(event, product)
    .map(([key, value]) => `${key}=${cefExtensionValue(value)}`)
    .join(" ");
  return `${header}|${extension}\n`;
}
