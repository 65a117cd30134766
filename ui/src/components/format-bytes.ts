const UNITS = ["bytes", "KB", "MB", "GB", "TB"] as const;

/** A size in bytes as people read it: `512 bytes`, `1.5 KB`, `12 MB` (powers of 1,024). */
export function formatBytes(size: number): string {
  if (!Number.isFinite(size) || size < 0) return "—";
  let value = size;
  let unit = 0;
  while (value >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit += 1;
  }
  if (unit === 0) return `${String(value)} ${value === 1 ? "byte" : "bytes"}`;
  const shown = value < 10 ? value.toFixed(1).replace(/\.0$/, "") : String(Math.round(value));
  return `${shown} ${UNITS[unit] ?? ""}`;
}
