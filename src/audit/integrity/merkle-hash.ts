import { Buffer } from "node:buffer";
import { hash } from "node:crypto";

/**
 * The RFC 6962 hash functions (restated in RFC 9162 §2.1.1), SHA-256 throughout:
 * leaf = SHA-256(0x00 || bytes), interior node = SHA-256(0x01 || left || right), and the root of
 * the empty tree = SHA-256 of nothing.
 *
 * The `...Hex` variants are the fast path the accumulator and the verifier use: `crypto.hash`
 * returning a hex string is several times cheaper than one returning a Buffer or a
 * `createHash()` object (no ArrayBuffer per call), and hex is what the database stores.
 */

export const HASH_BYTES = 32;

const HEX_HASH = /^[0-9a-f]{64}$/;

/** SHA-256(0x00 || bytes). */
export function leafHash(bytes: Uint8Array): Buffer<ArrayBuffer> {
  const input = Buffer.allocUnsafe(bytes.length + 1);
  input[0] = 0x00;
  input.set(bytes, 1);
  return hash("sha256", input, "buffer");
}

/**
 * The leaf hash of a text's UTF-8 bytes, as lowercase hex: SHA-256(0x00 || utf8(text)). This is
 * how an event's canonical JSON becomes its leaf. `text` must be well-formed Unicode (canonical
 * JSON always is); an unpaired surrogate would be hashed as U+FFFD.
 */
export function leafHashHex(text: string): string {
  // "\0" encodes as the single byte 0x00, so this hashes 0x00 || utf8(text) without a copy to a Buffer.
  return hash("sha256", "\0" + text, "hex");
}

/** SHA-256(0x01 || left || right). Inputs of any length (RFC 6962 only ever passes 32-byte hashes). */
export function nodeHash(left: Uint8Array, right: Uint8Array): Buffer<ArrayBuffer> {
  const input = Buffer.allocUnsafe(1 + left.length + right.length);
  input[0] = 0x01;
  input.set(left, 1);
  input.set(right, 1 + left.length);
  return hash("sha256", input, "buffer");
}

// One scratch input for nodeHashHex: hashing is synchronous, so nothing can interleave.
const nodeInput = Buffer.alloc(1 + 2 * HASH_BYTES);
nodeInput[0] = 0x01;

/** nodeHash over two 32-byte hashes given and returned as lowercase hex (validated by the caller). */
export function nodeHashHex(leftHex: string, rightHex: string): string {
  nodeInput.write(leftHex, 1, HASH_BYTES, "hex");
  nodeInput.write(rightHex, 1 + HASH_BYTES, HASH_BYTES, "hex");
  return hash("sha256", nodeInput, "hex");
}

/** MTH({}) = SHA-256 of the empty string. */
export function emptyRoot(): Buffer<ArrayBuffer> {
  return hash("sha256", Buffer.alloc(0), "buffer");
}

/** True for exactly 64 lowercase hex digits, the form every `...Hex` function returns. */
export function isHashHex(value: string): boolean {
  return HEX_HASH.test(value);
}

const probe = Buffer.alloc(HASH_BYTES);

/** True for exactly 64 hex digits of either case (a fast check: no regular expression, no allocation). */
export function isHashHexAnyCase(value: string): boolean {
  // Buffer#write stops at the first character that is not hex.
  return value.length === 2 * HASH_BYTES && probe.write(value, 0, HASH_BYTES, "hex") === HASH_BYTES;
}

/** A 32-byte hash as lowercase hex; throws a RangeError for any other length. */
export function hashToHex(value: Uint8Array, what = "hash"): string {
  if (value.length !== HASH_BYTES) {
    throw new RangeError(`${what} must be ${HASH_BYTES} bytes, got ${value.length}`);
  }
  return Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString("hex");
}
