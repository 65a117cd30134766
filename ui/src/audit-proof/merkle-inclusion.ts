import { concatBytes, equalBytes, sha256 } from "./proof-bytes.ts";

/**
 * RFC 6962 hashing (RFC 9162 §2.1.1) and inclusion proof verification (RFC 9162 §2.1.3.2) with
 * WebCrypto, exactly as the server's src/audit/integrity/merkle-proof.ts: leaf =
 * SHA-256(0x00 || bytes), interior node = SHA-256(0x01 || left || right).
 */

const HASH_BYTES = 32;

/** SHA-256(0x00 || utf8(text)): the leaf hash of an event's canonical JSON. */
export function leafHashOf(text: string): Promise<Uint8Array<ArrayBuffer>> {
  return sha256(concatBytes(Uint8Array.of(0x00), new TextEncoder().encode(text)));
}

export function nodeHashOf(left: Uint8Array, right: Uint8Array): Promise<Uint8Array<ArrayBuffer>> {
  return sha256(concatBytes(Uint8Array.of(0x01), left, right));
}

/** RFC 9162 §2.1.3.2: true only when the proof leads from the leaf to `root`. False (never a throw) for anything malformed. */
export async function verifyInclusion(
  leafHash: Uint8Array,
  index: number,
  size: number,
  proof: readonly Uint8Array[],
  root: Uint8Array,
): Promise<boolean> {
  if (!Number.isSafeInteger(size) || !Number.isSafeInteger(index) || index < 0 || index >= size) return false;
  if (leafHash.length !== HASH_BYTES || root.length !== HASH_BYTES) return false;
  let fn = index;
  let sn = size - 1;
  let r: Uint8Array = leafHash;
  for (const p of proof) {
    if (p.length !== HASH_BYTES || sn === 0) return false;
    if (fn % 2 === 1 || fn === sn) {
      r = await nodeHashOf(p, r);
      while (fn % 2 === 0 && fn !== 0) {
        fn /= 2;
        sn = Math.floor(sn / 2);
      }
    } else {
      r = await nodeHashOf(r, p);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return sn === 0 && equalBytes(r, root);
}
