import { base64ToBytes, concatBytes, sha256 } from "./proof-bytes.ts";

/**
 * A C2SP signed note holding a tlog-checkpoint, opened with WebCrypto's Ed25519 as the server's
 * src/audit/integrity/signed-note.ts and checkpoint.ts do: the verifier key is the vkey text
 * `<name>+<8 hex key ID>+<base64(0x01 || 32-byte key)>`, the key ID is
 * SHA-256(name || 0x0A || 0x01 || key)[:4], and a signature line is
 * `— <name> <base64(4-byte key ID || 64-byte signature)>`.
 */

export interface VerifierKey {
  readonly name: string;
  readonly keyId: number;
  readonly publicKey: Uint8Array<ArrayBuffer>;
}

export interface SignedCheckpoint {
  readonly origin: string;
  readonly size: number;
  readonly rootHash: Uint8Array<ArrayBuffer>;
  /** The key that signed it, as `<name>+<hex key ID>`. */
  readonly signedBy: string;
}

export class CheckpointError extends Error {
  readonly reason: "bad-key" | "malformed" | "unverified" | "bad-signature";

  constructor(reason: CheckpointError["reason"], message: string) {
    super(message);
    this.reason = reason;
  }
}

const HEX_KEY_ID = /^[0-9a-fA-F]{8}$/;
const SPACE = /\p{White_Space}/u;
// eslint-disable-next-line no-control-regex
const FORBIDDEN_IN_NOTE = /[\u0000-\u0009\u000b-\u001f]|[\uD800-\uDFFF]/u;
const DECIMAL = /^(?:0|[1-9][0-9]*)$/;
const SIGNATURE_PREFIX = "\u2014 ";

function isValidKeyName(name: string): boolean {
  return name !== "" && !SPACE.test(name) && !name.includes("+") && !FORBIDDEN_IN_NOTE.test(name);
}

export function hexKeyId(keyId: number): string {
  return keyId.toString(16).padStart(8, "0");
}

async function keyIdOf(name: string, publicKey: Uint8Array): Promise<number> {
  const digest = await sha256(
    concatBytes(new TextEncoder().encode(name), Uint8Array.of(0x0a, 0x01), publicKey),
  );
  return new DataView(digest.buffer).getUint32(0);
}

/** Parses a vkey and checks that its key ID belongs to its name and key. */
export async function parseVerifierKey(vkey: string): Promise<VerifierKey> {
  const text = vkey.trim();
  const first = text.indexOf("+");
  const second = first < 0 ? -1 : text.indexOf("+", first + 1);
  if (second < 0) throw new CheckpointError("bad-key", "the verifier key has too few fields");
  const name = text.slice(0, first);
  const keyIdHex = text.slice(first + 1, second);
  const material = base64ToBytes(text.slice(second + 1));
  if (!isValidKeyName(name)) throw new CheckpointError("bad-key", "the verifier key has an invalid name");
  if (!HEX_KEY_ID.test(keyIdHex)) throw new CheckpointError("bad-key", "the key ID is not 8 hex digits");
  if (material?.length !== 33 || material[0] !== 0x01) {
    throw new CheckpointError("bad-key", "the verifier key is not an Ed25519 key");
  }
  const publicKey = material.slice(1);
  const keyId = Number.parseInt(keyIdHex, 16);
  if ((await keyIdOf(name, publicKey)) !== keyId) {
    throw new CheckpointError("bad-key", "the key ID does not match the key");
  }
  return { name, keyId, publicKey };
}

/**
 * Verifies the note's signature by `key` (signatures of other keys are ignored; one by this key
 * that does not verify rejects the note) and parses the checkpoint it signs.
 */
export async function openCheckpoint(note: string, key: VerifierKey): Promise<SignedCheckpoint> {
  if (FORBIDDEN_IN_NOTE.test(note)) throw malformed("control character or invalid Unicode");
  const split = note.lastIndexOf("\n\n");
  if (split < 0) throw malformed("no blank line before the signatures");
  const text = note.slice(0, split + 1);
  const block = note.slice(split + 2);
  if (block === "" || !block.endsWith("\n")) throw malformed("the signature block must end in a newline");
  const wanted = `${key.name}+${hexKeyId(key.keyId)}`;
  const cryptoKey = await crypto.subtle.importKey("raw", key.publicKey, { name: "Ed25519" }, false, [
    "verify",
  ]);
  const message = new TextEncoder().encode(text);
  let verified = false;
  for (const line of block.slice(0, -1).split("\n")) {
    if (!line.startsWith(SIGNATURE_PREFIX))
      throw malformed("a signature line must start with an em dash and a space");
    const rest = line.slice(SIGNATURE_PREFIX.length);
    const space = rest.indexOf(" ");
    const name = space < 0 ? rest : rest.slice(0, space);
    const blob = base64ToBytes(space < 0 ? "" : rest.slice(space + 1));
    if (!isValidKeyName(name)) throw malformed("invalid key name in a signature line");
    if (blob === undefined || blob.length < 5) throw malformed("invalid signature encoding");
    const keyId = new DataView(blob.buffer).getUint32(0);
    if (`${name}+${hexKeyId(keyId)}` !== wanted) continue;
    const good = await crypto.subtle.verify("Ed25519", cryptoKey, blob.slice(4), message);
    if (!good) throw new CheckpointError("bad-signature", `the signature of ${wanted} does not verify`);
    verified = true;
  }
  if (!verified) throw new CheckpointError("unverified", `the checkpoint has no signature by ${wanted}`);
  return { ...parseCheckpointText(text), signedBy: wanted };
}

function parseCheckpointText(text: string): Omit<SignedCheckpoint, "signedBy"> {
  const [origin, sizeText, rootText] = text.slice(0, -1).split("\n");
  if (origin === undefined || origin === "" || sizeText === undefined || rootText === undefined) {
    throw malformed("a checkpoint has at least three lines");
  }
  if (!DECIMAL.test(sizeText)) throw malformed("the size must be decimal without leading zeros");
  const size = Number(sizeText);
  if (!Number.isSafeInteger(size)) throw malformed("the size is too large");
  const rootHash = base64ToBytes(rootText);
  if (rootHash?.length !== 32) throw malformed("the root hash must be the base64 of 32 bytes");
  return { origin, size, rootHash };
}

function malformed(problem: string): CheckpointError {
  return new CheckpointError("malformed", `malformed checkpoint: ${problem}`);
}
