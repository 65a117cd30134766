import { describe, expect, it } from "vitest";
import { QR_QUIET_ZONE, qrMatrix, qrPathData } from "../../ui/src/qr-code/qr-matrix.ts";

const URI =
  "otpauth://totp/PACKAGE.broker:root%40example.com?issuer=PACKAGE.broker&secret=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP&algorithm=SHA1&digits=6&period=30";

/** The 7×7 finder pattern: a dark ring, a light ring, a dark 3×3 centre. */
function isFinder(modules: readonly (readonly boolean[])[], top: number, left: number): boolean {
  for (let y = 0; y < 7; y += 1)
    for (let x = 0; x < 7; x += 1) {
      const ring = Math.max(Math.abs(x - 3), Math.abs(y - 3));
      if (modules[top + y]?.[left + x] !== (ring !== 2)) return false;
    }
  return true;
}

/** The dark modules the path draws, read back from its `M x y h w v1 h-w z` runs. */
function paintedModules(d: string, size: number): boolean[][] {
  const grid = Array.from({ length: size }, () => Array.from({ length: size }, () => false));
  for (const run of d.matchAll(/M(\d+) (\d+)h(\d+)v1h-(\d+)z/g)) {
    const [x, y, width, back] = [run[1], run[2], run[3], run[4]].map(Number) as [
      number,
      number,
      number,
      number,
    ];
    expect(back).toBe(width);
    for (let i = 0; i < width; i += 1) grid[y]![x + i] = true;
  }
  return grid;
}

describe("qrMatrix", () => {
  it("sizes the symbol by its version (17 + 4v) and adds a 4-module quiet zone", () => {
    const matrix = qrMatrix(URI);
    expect(matrix.version).toBeGreaterThanOrEqual(1);
    expect(matrix.version).toBeLessThanOrEqual(40);
    expect(matrix.symbolSize).toBe(17 + 4 * matrix.version);
    expect(matrix.size).toBe(matrix.symbolSize + 2 * QR_QUIET_ZONE);
    expect(matrix.modules).toHaveLength(matrix.size);
    expect(matrix.modules.every((row) => row.length === matrix.size)).toBe(true);
  });

  it("keeps the quiet zone light on every side", () => {
    const { modules, size } = qrMatrix(URI);
    for (let y = 0; y < size; y += 1)
      for (let x = 0; x < size; x += 1) {
        const inZone =
          x < QR_QUIET_ZONE || y < QR_QUIET_ZONE || x >= size - QR_QUIET_ZONE || y >= size - QR_QUIET_ZONE;
        if (inZone) expect(modules[y]![x], `module ${String(x)},${String(y)}`).toBe(false);
      }
  });

  it("puts the three finder patterns in the corners just inside the quiet zone", () => {
    const { modules, size } = qrMatrix(URI);
    const far = size - QR_QUIET_ZONE - 7;
    expect(isFinder(modules, QR_QUIET_ZONE, QR_QUIET_ZONE)).toBe(true);
    expect(isFinder(modules, QR_QUIET_ZONE, far)).toBe(true);
    expect(isFinder(modules, far, QR_QUIET_ZONE)).toBe(true);
    expect(isFinder(modules, far, far)).toBe(false);
  });

  it("grows the version with the text and stays deterministic", () => {
    expect(qrMatrix("a").version).toBe(1);
    expect(qrMatrix(URI).version).toBeGreaterThan(qrMatrix("a").version);
    expect(qrMatrix(URI)).toEqual(qrMatrix(URI));
    expect(qrMatrix(URI).modules).not.toEqual(qrMatrix(URI.replace("JBSW", "KBSW")).modules);
  });

  it("encodes hostile input (empty, markup, non-ASCII, the longest key link) without throwing", () => {
    for (const text of ["", '"><script>alert(1)</script>', "otpauth://totp/Zoë%20Ünïcode✓", URI.repeat(8)]) {
      const matrix = qrMatrix(text);
      expect(matrix.symbolSize).toBe(17 + 4 * matrix.version);
    }
  });

  it("refuses text longer than the largest QR code holds", () => {
    expect(() => qrMatrix("x".repeat(5000))).toThrow();
  });
});

describe("qrPathData", () => {
  it("draws exactly the dark modules, in runs, and nothing in the quiet zone", () => {
    const matrix = qrMatrix(URI);
    const d = qrPathData(matrix);
    expect(d).toMatch(/^(M\d+ \d+h\d+v1h-\d+z)+$/);
    expect(paintedModules(d, matrix.size)).toEqual(matrix.modules.map((row) => [...row]));
    const firstRun = /^M(\d+) (\d+)/.exec(d);
    expect(Number(firstRun?.[1])).toBeGreaterThanOrEqual(QR_QUIET_ZONE);
    expect(Number(firstRun?.[2])).toBe(QR_QUIET_ZONE);
  });

  it("is empty for a matrix with no dark modules", () => {
    expect(qrPathData({ version: 1, symbolSize: 1, size: 3, modules: [[false, false, false]] })).toBe("");
  });
});
