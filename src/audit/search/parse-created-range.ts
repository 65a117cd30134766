import { AuditQueryError, quoteForMessage, type QueryNode } from "./audit-query.ts";
import type { Value } from "./query-value.ts";

const DAY_MS = 86_400_000;
const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const DATE_TIME =
  /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,3}))?([Zz]|[+-]\d{2}:\d{2})?$/;
const DATE_HINT =
  "write YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ (optionally .sss, or an offset such as +02:00 instead of Z)";
/** Four-digit years only: beyond them `toISOString()` switches to ±YYYYYY, which sorts wrongly as text. */
const MIN_MS = utcMs(0, 1, 1, 0, 0, 0, 0);
const END_MS = utcMs(10000, 1, 1, 0, 0, 0, 0);

/** A written date or time as the instants it spans: a day, or one millisecond. */
interface Span {
  readonly start: number;
  readonly end: number;
}

/**
 * `>=A`, `>A`, `<=A`, `<A`, `A` or `A..B` (either side `*`) as a half-open range. A date end
 * includes its whole day; a time end its millisecond.
 */
export function parseCreatedRange(value: Value): QueryNode {
  const { text, positionOf } = value;
  const operator = [">=", "<=", ">", "<"].find((candidate) => text.startsWith(candidate));
  const dots = text.indexOf("..");
  let from: number | null;
  let to: number | null;
  if (operator !== undefined) {
    if (dots !== -1) {
      throw AuditQueryError.at(positionOf(0), "a date range takes no operator", "write A..B, >=A or <B");
    }
    const span = parseSpan(text.slice(operator.length), positionOf(operator.length));
    from = operator === ">=" ? span.start : operator === ">" ? span.end : null;
    to = operator === "<=" ? span.end : operator === "<" ? span.start : null;
  } else if (dots !== -1) {
    const left = text.slice(0, dots);
    const right = text.slice(dots + 2);
    const extra = right.indexOf("..");
    if (extra !== -1) throw AuditQueryError.at(positionOf(dots + 2 + extra), "a date range has one ..");
    if (left === "") {
      throw AuditQueryError.at(positionOf(0), "missing start of date range", "write * for an open start");
    }
    if (right === "") {
      throw AuditQueryError.at(positionOf(dots + 2), "missing end of date range", "write * for an open end");
    }
    from = left === "*" ? null : parseSpan(left, positionOf(0)).start;
    to = right === "*" ? null : parseSpan(right, positionOf(dots + 2)).end;
  } else {
    const span = parseSpan(text, positionOf(0));
    from = span.start;
    to = span.end;
  }
  if (from !== null && to !== null && from >= to) {
    throw AuditQueryError.at(
      positionOf(0),
      `empty date range ${quoteForMessage(text)}`,
      "the start must come before the end",
    );
  }
  return {
    kind: "created",
    from: instant(from, "from", positionOf(0)),
    to: instant(to, "to", positionOf(0)),
  };
}

/**
 * One instant written as `created:` takes it (`YYYY-MM-DD` is its midnight UTC, a time needs a zone),
 * as epoch milliseconds; years 0000 to 9999. Errors point into `text` (position 0 is its start).
 */
export function parseInstant(text: string): number {
  const ms = parseSpan(text, 0).start;
  if (ms < MIN_MS || ms >= END_MS)
    throw AuditQueryError.at(0, "date out of range", "years 0000 to 9999 (UTC)");
  return ms;
}

function parseSpan(text: string, position: number): Span {
  const date = DATE.exec(text);
  if (date !== null) {
    const start = validUtcMs(date, position, text);
    return { start, end: start + DAY_MS };
  }
  const time = DATE_TIME.exec(text);
  if (time === null) throw AuditQueryError.at(position, `invalid date ${quoteForMessage(text)}`, DATE_HINT);
  const zone = time[8];
  if (zone === undefined) {
    throw AuditQueryError.at(
      position,
      `time without a time zone ${quoteForMessage(text)}`,
      "add Z for UTC or an offset such as +02:00",
    );
  }
  let offsetMinutes = 0;
  if (zone !== "Z" && zone !== "z") {
    const hours = Number(zone.slice(1, 3));
    const minutes = Number(zone.slice(4, 6));
    if (hours > 23 || minutes > 59) {
      throw AuditQueryError.at(position, `invalid time zone offset ${quoteForMessage(zone)}`, DATE_HINT);
    }
    offsetMinutes = (zone.startsWith("-") ? -1 : 1) * (hours * 60 + minutes);
  }
  // 2026-01-01T10:00:00+02:00 is 08:00 UTC: subtract the offset.
  const start = validUtcMs(time, position, text) - offsetMinutes * 60_000;
  return { start, end: start + 1 };
}

/** The instant of the groups of DATE or DATE_TIME; refuses 2026-02-30, month 13, 24:00:00. */
function validUtcMs(groups: RegExpExecArray, position: number, text: string): number {
  const part = (index: number): number => Number(groups[index] ?? 0);
  const [year, month, day, hour, minute, second] = [part(1), part(2), part(3), part(4), part(5), part(6)];
  const millisecond = Number((groups[7] ?? "").padEnd(3, "0"));
  const valid =
    month >= 1 &&
    month <= 12 &&
    day >= 1 &&
    day <= daysInMonth(year, month) &&
    hour <= 23 &&
    minute <= 59 &&
    second <= 59;
  if (!valid) throw AuditQueryError.at(position, `invalid date ${quoteForMessage(text)}`, DATE_HINT);
  return utcMs(year, month, day, hour, minute, second, millisecond);
}

function daysInMonth(year: number, month: number): number {
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  return [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1] ?? 0;
}

/** Date.UTC maps years 0-99 to 1900-1999; setUTCFullYear does not. */
function utcMs(
  year: number,
  month: number,
  day: number,
  h: number,
  m: number,
  s: number,
  ms: number,
): number {
  const date = new Date(0);
  date.setUTCFullYear(year, month - 1, day);
  date.setUTCHours(h, m, s, ms);
  return date.getTime();
}

/** An exclusive end at year 10000 is no bound at all; other instants must have a 4-digit year. */
function instant(ms: number | null, side: "from" | "to", position: number): string | null {
  if (ms === null || (side === "to" && ms === END_MS)) return null;
  if (ms < MIN_MS || ms >= END_MS) {
    throw AuditQueryError.at(position, "date out of range", "years 0000 to 9999 (UTC)");
  }
  return new Date(ms).toISOString();
}
