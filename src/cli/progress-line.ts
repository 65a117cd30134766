const WIDTH = 30;

/**
 * One line of progress for a terminal, drawn over the previous one:
 * `[=====     ] 1200/5000 refs  note`.
 */
export function progressLine(done: number, total: number, unit: string, note = ""): string {
  const filled = total === 0 ? WIDTH : Math.min(WIDTH, Math.round((done / total) * WIDTH));
  const bar = `${"=".repeat(filled)}${" ".repeat(WIDTH - filled)}`;
  return `\r\u001b[2K[${bar}] ${done}/${total} ${unit}${note === "" ? "" : `  ${note}`}`;
}

/** Clears the progress line. */
export const CLEAR_LINE = "\r\u001b[2K";
