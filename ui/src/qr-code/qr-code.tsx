import { useMemo, type ReactNode } from "react";
import { qrMatrix, qrPathData } from "./qr-matrix.ts";
import "./qr-code.css";

/**
 * `text` as a QR code in SVG: a light square and one dark path, in module units, scaled by the
 * viewBox (attributes and classes only: the page's CSP allows no inline style). Dark on light
 * whatever the colour scheme, as camera apps expect. Nothing for text too long for a QR code.
 */
export function QrCode(props: { readonly text: string; readonly label: string }): ReactNode {
  const matrix = useMemo(() => {
    try {
      return qrMatrix(props.text);
    } catch {
      return null; // longer than a QR code holds: the text beside it is the way in
    }
  }, [props.text]);
  if (matrix === null) return null;
  const size = String(matrix.size);
  return (
    <svg
      className="qr-code"
      viewBox={`0 0 ${size} ${size}`}
      role="img"
      aria-label={props.label}
      shapeRendering="crispEdges"
      data-testid="qr-code"
      data-version={matrix.version}
      data-modules={matrix.size}
    >
      <rect className="qr-light" x={0} y={0} width={matrix.size} height={matrix.size} />
      <path className="qr-dark" d={qrPathData(matrix)} />
    </svg>
  );
}
