import type { ByteRangeRequest } from "../storage/blobs/byte-range.ts";

const SINGLE_RANGE = /^bytes=(?:(\d{1,15})-(\d{1,15})?|-(\d{1,15}))$/;

/**
 * The one byte range a `Range` header asks for, or null when the header is to be ignored and the
 * whole representation sent (RFC 9110 §14.2 allows it): absent, another unit, several ranges (no
 * multipart/byteranges answers), a malformed or backwards range.
 */
export function parseRangeHeader(header: string | undefined): ByteRangeRequest | null {
  if (header === undefined) return null;
  const match = SINGLE_RANGE.exec(header.trim());
  if (match === null) return null;
  const [, first, last, suffix] = match;
  if (suffix !== undefined) return { suffix: Number(suffix) };
  const from = Number(first);
  const to = last === undefined ? null : Number(last);
  if (to !== null && to < from) return null;
  return { first: from, last: to };
}

/**
 * Whether a Range still applies under `If-Range` (RFC 9110 §13.1.5): only if the client's
 * validator is the current strong ETag or exactly the Last-Modified date; otherwise the whole
 * representation goes out.
 */
export function rangeStillApplies(
  ifRange: string | undefined,
  validators: { readonly etag: string; readonly lastModified: Date },
): boolean {
  if (ifRange === undefined) return true;
  const value = ifRange.trim();
  if (value.startsWith('"')) return value === validators.etag;
  return value === validators.lastModified.toUTCString();
}
