import type { ReactNode } from "react";

/**
 * A moment of the API (ISO 8601, UTC), or a dash: in the reader's locale, or with `utc` as the
 * audit log writes and searches it (`2026-11-28 03:44:05 UTC`, so that a row matches its
 * `created:` query and its drawer), with the local time on hover.
 */
export function DateText({
  value,
  none = "—",
  utc = false,
}: {
  readonly value: string | null;
  readonly none?: string;
  readonly utc?: boolean;
}): ReactNode {
  if (value === null) return <span>{none}</span>;
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) return <time dateTime={value}>{value}</time>;
  if (!utc) return <time dateTime={value}>{date.toLocaleString()}</time>;
  return (
    <time dateTime={value} title={date.toLocaleString()}>
      {utcText(date)}
    </time>
  );
}

/** `2026-11-28 03:44:05 UTC`: seconds, no milliseconds. */
export function utcText(date: Date): string {
  return `${date.toISOString().slice(0, 19).replace("T", " ")} UTC`;
}
