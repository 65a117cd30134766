import type { AuditSeverity } from "../audit-event.ts";
import type { SinkRecordFacts } from "./sink-record-document.ts";
import type { SinkRecord } from "./sink-transport.ts";

/** Syslog facilities by name (RFC 5424 §6.2.1); `audit` is 13, "log audit". */
export const syslogFacilities = {
  kern: 0,
  user: 1,
  mail: 2,
  daemon: 3,
  auth: 4,
  syslog: 5,
  lpr: 6,
  news: 7,
  uucp: 8,
  cron: 9,
  authpriv: 10,
  ftp: 11,
  ntp: 12,
  audit: 13,
  alert: 14,
  clock: 15,
  local0: 16,
  local1: 17,
  local2: 18,
  local3: 19,
  local4: 20,
  local5: 21,
  local6: 22,
  local7: 23,
} as const;
export type SyslogFacility = keyof typeof syslogFacilities;

/** Syslog severities: informational 6, warning 4, error 3. */
const SEVERITY: Readonly<Record<AuditSeverity, number>> = { info: 6, warning: 4, error: 3 };

/**
 * The SD-ID of the structured data element. 32473 is the private enterprise number that RFC 5612
 * reserves for documentation and examples.
 */
export const SYSLOG_SD_ID = "audit@32473";

export interface SyslogHeader {
  readonly facility: number;
  readonly hostname: string;
  readonly appName: string;
}

/**
 * An RFC 5424 message: `<PRI>1 TIMESTAMP HOSTNAME APP-NAME - MSGID [SD] MSG`, MSGID being the
 * action and the structured data the record's id (and for an event its seq, category, outcome).
 * MSG is the rendered record, a single line (JSON escapes line breaks, CEF writes them as `\n`).
 */
export function syslogMessage(
  record: SinkRecord,
  facts: SinkRecordFacts,
  header: SyslogHeader,
  line: string,
): string {
  const pri = header.facility * 8 + SEVERITY[facts.severity];
  const params: [string, string][] = [["id", facts.id]];
  if (record.kind === "event") {
    params.push(["seq", String(record.event.seq)]);
    params.push(["category", record.event.event]);
    params.push(["outcome", record.event.outcome]);
  } else {
    params.push(["treeSize", String(record.checkpoint.treeSize)]);
  }
  const data = `[${SYSLOG_SD_ID}${params.map(([name, value]) => ` ${name}="${sdValue(value)}"`).join("")}]`;
  return `<${pri}>1 ${facts.timestamp} ${header.hostname} ${header.appName} - ${msgId(facts.action)} ${data} ${line}`;
}

/** RFC 6587 octet counting: `<length in bytes> <message>`. */
export function octetCounted(message: string): Buffer {
  const bytes = Buffer.from(message, "utf8");
  return Buffer.concat([Buffer.from(`${bytes.byteLength} `, "ascii"), bytes]);
}

/** A header field: printable US-ASCII without spaces (`!`..`~`), at most `max`, `-` when empty. */
export function syslogHeaderField(text: string, max: number): string {
  const field = text.replace(/[^!-~]/g, "_").slice(0, max);
  return field === "" ? "-" : field;
}

function msgId(action: string): string {
  return syslogHeaderField(action, 32);
}

/** A PARAM-VALUE: `"`, `\` and `]` escaped with a backslash (RFC 5424 §6.3.3). */
function sdValue(value: string): string {
  return value.replace(/["\\\]]/g, "\\$&");
}
