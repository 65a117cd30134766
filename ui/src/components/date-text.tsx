import type { ReactNode } from "react";

/** A moment of the API (ISO 8601, UTC) in the reader's locale, or a dash. */
export function DateText({
  value,
  none = "—",
}: {
  readonly value: string | null;
  readonly none?: string;
}): ReactNode {
  if (value === null) return <span>{none}</span>;
  const date = new Date(value);
  return <time dateTime={value}>{date.toLocaleString()}</time>;
}
