import type { BlobRange } from "./blob-store.ts";

/**
 * A byte range as a client asks for it (RFC 9110 §14.1.2): from `first` to `last` (to the end
 * when null), or the last `suffix` bytes.
 */
export type ByteRangeRequest =
  { readonly first: number; readonly last: number | null } | { readonly suffix: number };

/** The bytes of a blob of `size` that `request` asks for; null when there are none (416). */
export function resolveByteRange(request: ByteRangeRequest, size: number): BlobRange | null {
  if (size === 0) return null;
  if ("suffix" in request) {
    if (request.suffix === 0) return null;
    return { first: Math.max(0, size - request.suffix), last: size - 1 };
  }
  if (request.first >= size) return null;
  return { first: request.first, last: Math.min(request.last ?? size - 1, size - 1) };
}
