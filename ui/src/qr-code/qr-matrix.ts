import { encode } from "uqr";

/** The light border a QR code needs around it to be read: four modules wide (ISO/IEC 18004). */
export const QR_QUIET_ZONE = 4;

/** A QR code's modules, `true` for dark, already surrounded by its quiet zone. */
export interface QrMatrix {
  /** The QR version, 1 to 40 (a version-v symbol is 17 + 4v modules wide). */
  readonly version: number;
  /** The symbol's width in modules, without the quiet zone. */
  readonly symbolSize: number;
  /** The width and height of `modules`: the symbol plus the quiet zone on each side. */
  readonly size: number;
  readonly modules: readonly (readonly boolean[])[];
}

/**
 * The QR code of `text` (byte mode, error correction level M: enough for a phone camera held at an
 * angle, small enough for an otpauth:// link to stay a version 5 to 8 symbol).
 */
export function qrMatrix(text: string): QrMatrix {
  const encoded = encode(text, { ecc: "M", border: 0 });
  const size = encoded.size + 2 * QR_QUIET_ZONE;
  const modules = Array.from({ length: size }, (_, y) =>
    Array.from({ length: size }, (_, x) => encoded.data[y - QR_QUIET_ZONE]?.[x - QR_QUIET_ZONE] === true),
  );
  return { version: encoded.version, symbolSize: encoded.size, size, modules };
}

/**
 * The dark modules as one SVG path, one rectangle per horizontal run, in module units: drawn as
 * an element's attribute, so the page's Content-Security-Policy (no inline style) is not involved.
 */
export function qrPathData(matrix: QrMatrix): string {
  const parts: string[] = [];
  matrix.modules.forEach((row, y) => {
    let x = 0;
    while (x < row.length) {
      if (!row[x]) {
        x += 1;
        continue;
      }
      const start = x;
      while (x < row.length && row[x]) x += 1;
      parts.push(`M${String(start)} ${String(y)}h${String(x - start)}v1h${String(start - x)}z`);
    }
  });
  return parts.join("");
}
