import { invalidInput } from "../errors/domain-error.ts";

const UNITS: Record<string, number> = {
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
  y: 31_536_000_000,
};

/**
 * `30d`, `12h`, `2w`, `1y`, `90m` become milliseconds; an ISO date (`2027-01-31`) becomes the
 * time until it. Used by `token create --expires`.
 */
export function parseExpiry(value: string, now: Date): Date {
  const relative = /^(\d{1,6})([mhdwy])$/.exec(value.trim());
  if (relative !== null) {
    return new Date(now.getTime() + Number(relative[1]) * (UNITS[relative[2] ?? "d"] ?? 0));
  }
  if (/^\d{4}-\d{2}-\d{2}([T ][\d:.]+(Z|[+-]\d{2}:?\d{2})?)?$/.test(value.trim())) {
    const date = new Date(value.trim());
    if (!Number.isNaN(date.getTime())) return date;
  }
  throw invalidInput(
    "InvalidExpiry",
    `--expires must look like 30d, 12h, 2w, 1y or a date like 2027-01-31, not "${value}"`,
  );
}
