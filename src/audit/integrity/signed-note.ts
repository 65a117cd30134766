import { Buffer } from "node:buffer";
import { createHash, createPrivateKey, createPublicKey, sign, verify, type KeyObject } from "node:crypto";
import { DomainError } from "../../errors/domain-error.ts";

/**
 * C2SP signed notes (c2sp.org/signed-note), Ed25519 only, interoperable with Go's
 * golang.org/x/mod/sumdb/note:
 *
 *     <text, valid UTF-8, no control characters but newline, ending in a newline>
 *     <blank line>
 *     — <key name> <base64(4-byte big-endian key ID || signature)>     (one line per signature)
 *
 * Key ID = SHA-256(name || 0x0A || 0x01 || 32-byte public key)[:4]. Verifier keys travel as the
 * "vkey" text `<name>+<8 hex key ID>+<base64(0x01 || public key)>`.
 */

export type NoteErrorReason = "malformed" | "unverified" | "bad-signature" | "ambiguous-key" | "bad-key";

const codes: Record<NoteErrorReason, string> = {
  malformed: "NoteMalformed",
  unverified: "NoteUnverified",
  "bad-signature": "NoteSignatureInvalid",
  "ambiguous-key": "NoteKeyAmbiguous",
  "bad-key": "NoteKeyInvalid",
};

export class NoteError extends DomainError {
  readonly reason: NoteErrorReason;

  constructor(reason: NoteErrorReason, message: string) {
    super("invalid", codes[reason], message);
    this.reason = reason;
  }
}

export interface NoteKeyRef {
  readonly name: string;
  /** The uint32 key ID. */
  readonly keyId: number;
}

export interface NoteSigner extends NoteKeyRef {
  /** The raw 32-byte Ed25519 public key. */
  readonly publicKey: Buffer;
  readonly sign: (message: Uint8Array) => Buffer;
}

export interface NoteVerifier extends NoteKeyRef {
  /** The raw 32-byte Ed25519 public key. */
  readonly publicKey: Buffer;
  readonly verify: (message: Uint8Array, signature: Uint8Array) => boolean;
}

export interface NoteSignature extends NoteKeyRef {
  /** The signature bytes after the key ID. */
  readonly signature: Buffer;
}

export interface ParsedNote {
  readonly text: string;
  readonly signatures: readonly NoteSignature[];
}

export interface OpenedNote {
  readonly text: string;
  /** The known keys whose signatures verified, in note order. */
  readonly verifiedBy: readonly NoteKeyRef[];
  /** Signatures by keys not in the verifier list (ignored, as the spec requires). */
  readonly unverified: readonly NoteKeyRef[];
}

const ALG_ED25519 = 0x01;
const ED25519_KEY_BYTES = 32;
const ED25519_SIGNATURE_BYTES = 64;
/** Go's note.Open refuses more than 100 signature lines; C2SP requires at least 16. */
export const MAX_NOTE_SIGNATURES = 100;
const SIGNATURE_PREFIX = "\u2014 ";
/** RFC 8410 PKCS#8 prefix of an Ed25519 private key; the 32-byte seed follows. */
const ED25519_PKCS8_PREFIX = Buffer.from("302e020100300506032b657004220420", "hex");
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const HEX_KEY_ID = /^[0-9a-fA-F]{8}$/;
const SPACE = /\p{White_Space}/u;
// Control characters other than newline, and unpaired surrogates (text that is not valid UTF-8).
// eslint-disable-next-line no-control-regex
const FORBIDDEN_IN_NOTE = /[\u0000-\u0009\u000b-\u001f]|[\uD800-\uDFFF]/u;

/** Non-empty, well-formed, and no Unicode space or plus (the rule of C2SP and Go's isValidName). */
export function isValidKeyName(name: string): boolean {
  return name !== "" && !SPACE.test(name) && !name.includes("+") && !FORBIDDEN_IN_NOTE.test(name);
}

/** SHA-256(name || 0x0A || 0x01 || publicKey)[:4] as a uint32. */
export function ed25519KeyId(name: string, publicKey: Uint8Array): number {
  const digest = createHash("sha256")
    .update(name, "utf8")
    .update(Buffer.from([0x0a, ALG_ED25519]))
    .update(publicKey)
    .digest();
  return digest.readUInt32BE(0);
}

export function createNoteSigner(options: { name: string; privateKey: KeyObject }): NoteSigner {
  const { name, privateKey } = options;
  assertKeyName(name);
  if (privateKey.type !== "private" || privateKey.asymmetricKeyType !== "ed25519") {
    throw new NoteError("bad-key", "a note signer needs an Ed25519 private key");
  }
  const publicKey = rawPublicKey(createPublicKey(privateKey));
  return {
    name,
    keyId: ed25519KeyId(name, publicKey),
    publicKey,
    sign: (message) => sign(null, message, privateKey),
  };
}

export function createNoteVerifier(options: {
  name: string;
  publicKey: KeyObject | Uint8Array;
}): NoteVerifier {
  const { name } = options;
  assertKeyName(name);
  const key =
    options.publicKey instanceof Uint8Array ? ed25519PublicKey(options.publicKey) : options.publicKey;
  if (key.type !== "public" || key.asymmetricKeyType !== "ed25519") {
    throw new NoteError("bad-key", "a note verifier needs an Ed25519 public key");
  }
  const publicKey = rawPublicKey(key);
  return {
    name,
    keyId: ed25519KeyId(name, publicKey),
    publicKey,
    verify: (message, signature) =>
      signature.length === ED25519_SIGNATURE_BYTES && verify(null, message, key, signature),
  };
}

/** The vkey text of a verifier (or signer): `<name>+<hex key ID>+<base64(0x01 || public key)>`. */
export function formatVerifierKey(key: NoteKeyRef & { readonly publicKey: Uint8Array }): string {
  return `${key.name}+${hexKeyId(key.keyId)}+${Buffer.concat([Buffer.from([ALG_ED25519]), key.publicKey]).toString("base64")}`;
}

/** Parses a vkey as Go's note.NewVerifier does; throws NoteError "bad-key" on anything else. */
export function parseVerifierKey(vkey: string): NoteVerifier {
  const [name = "", keyIdHex = "", material = ""] = chopKey(vkey, 3, "verifier");
  const { key, keyId } = decodeKey(name, keyIdHex, material, "verifier");
  const verifier = createNoteVerifier({ name, publicKey: key });
  if (verifier.keyId !== keyId) throw badKey("verifier", "the key ID does not match the key");
  return verifier;
}

/** The Go signer key text `PRIVATE+KEY+<name>+<hex key ID>+<base64(0x01 || seed)>`. Keep it secret. */
export function formatSignerKey(options: { name: string; privateKey: KeyObject }): string {
  const signer = createNoteSigner(options);
  const jwk = options.privateKey.export({ format: "jwk" });
  const seed = Buffer.from(jwk.d ?? "", "base64url");
  return `PRIVATE+KEY+${signer.name}+${hexKeyId(signer.keyId)}+${Buffer.concat([Buffer.from([ALG_ED25519]), seed]).toString("base64")}`;
}

/** Parses a Go signer key (as note.NewSigner does) into a signer. */
export function parseSignerKey(skey: string): NoteSigner {
  const [private1, private2, name = "", keyIdHex = "", material = ""] = chopKey(skey, 5, "signer");
  if (private1 !== "PRIVATE" || private2 !== "KEY")
    throw badKey("signer", "it does not start with PRIVATE+KEY+");
  const { key: seed, keyId } = decodeKey(name, keyIdHex, material, "signer");
  const privateKey = createPrivateKey({
    key: Buffer.concat([ED25519_PKCS8_PREFIX, seed]),
    format: "der",
    type: "pkcs8",
  });
  const signer = createNoteSigner({ name, privateKey });
  if (signer.keyId !== keyId) throw badKey("signer", "the key ID does not match the key");
  return signer;
}

/** Signs a note text with one or more keys. Each key signs once, in the order given. */
export function signNote(text: string, signers: NoteSigner | readonly NoteSigner[]): string {
  assertNoteText(text);
  const list: readonly NoteSigner[] = Array.isArray(signers) ? signers : [signers as NoteSigner];
  if (list.length === 0) throw new NoteError("malformed", "a note needs at least one signer");
  const message = Buffer.from(text, "utf8");
  const seen = new Set<string>();
  let lines = "";
  for (const signer of list) {
    assertKeyName(signer.name);
    const key = `${signer.name}+${hexKeyId(signer.keyId)}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const keyId = Buffer.alloc(4);
    keyId.writeUInt32BE(signer.keyId);
    const blob = Buffer.concat([keyId, signer.sign(message)]).toString("base64");
    lines += `${SIGNATURE_PREFIX}${signer.name} ${blob}\n`;
  }
  return `${text}\n${lines}`;
}

/**
 * Splits a signed note into its text and signature lines without verifying anything (the text
 * must not be trusted until `openNote` says so). Throws NoteError "malformed".
 */
export function parseNote(note: string | Uint8Array): ParsedNote {
  const message = typeof note === "string" ? note : decodeUtf8(note);
  if (FORBIDDEN_IN_NOTE.test(message)) throw malformed("control character or invalid Unicode");
  const split = message.lastIndexOf("\n\n");
  if (split < 0) throw malformed("no blank line before the signatures");
  const text = message.slice(0, split + 1);
  const block = message.slice(split + 2);
  if (block === "" || !block.endsWith("\n")) throw malformed("the signature block must end in a newline");
  const lines = block.slice(0, -1).split("\n");
  if (lines.length > MAX_NOTE_SIGNATURES) throw malformed(`more than ${MAX_NOTE_SIGNATURES} signatures`);
  return { text, signatures: lines.map(parseSignatureLine) };
}

/**
 * Verifies a signed note against known keys, as Go's note.Open and the C2SP rules do: signatures
 * from unknown keys are ignored; a known key's signature that does not verify rejects the note
 * ("bad-signature"); a note without a verified signature is rejected ("unverified").
 */
export function openNote(note: string | Uint8Array, verifiers: readonly NoteVerifier[]): OpenedNote {
  const { text, signatures } = parseNote(note);
  const known = indexVerifiers(verifiers);
  const message = Buffer.from(text, "utf8");
  const verifiedBy: NoteKeyRef[] = [];
  const unverified: NoteKeyRef[] = [];
  const seen = new Set<string>();
  for (const { name, keyId, signature } of signatures) {
    const id = `${name}+${hexKeyId(keyId)}`;
    const verifier = known.get(id);
    if (verifier === undefined) {
      // Repeated identical unknown signatures are listed once (as Go does).
      const line = `${id} ${signature.toString("base64")}`;
      if (!seen.has(line)) unverified.push({ name, keyId });
      seen.add(line);
      continue;
    }
    if (verifier === "ambiguous") throw new NoteError("ambiguous-key", `ambiguous key ${id}`);
    if (seen.has(id)) continue;
    seen.add(id);
    if (!verifier.verify(message, signature))
      throw new NoteError("bad-signature", `invalid signature for key ${id}`);
    verifiedBy.push({ name, keyId });
  }
  if (verifiedBy.length === 0) throw new NoteError("unverified", "note has no signature from a known key");
  return { text, verifiedBy, unverified };
}

export function hexKeyId(keyId: number): string {
  return keyId.toString(16).padStart(8, "0");
}

function parseSignatureLine(line: string): NoteSignature {
  if (!line.startsWith(SIGNATURE_PREFIX))
    throw malformed("a signature line must start with an em dash and a space");
  const rest = line.slice(SIGNATURE_PREFIX.length);
  const space = rest.indexOf(" ");
  const name = space < 0 ? rest : rest.slice(0, space);
  const encoded = space < 0 ? "" : rest.slice(space + 1);
  if (!isValidKeyName(name)) throw malformed("invalid key name in a signature line");
  const blob = decodeBase64(encoded);
  if (blob === undefined || blob.length < 5) throw malformed("invalid signature encoding");
  return { name, keyId: blob.readUInt32BE(0), signature: blob.subarray(4) };
}

function indexVerifiers(verifiers: readonly NoteVerifier[]): Map<string, NoteVerifier | "ambiguous"> {
  const known = new Map<string, NoteVerifier | "ambiguous">();
  for (const verifier of verifiers) {
    const id = `${verifier.name}+${hexKeyId(verifier.keyId)}`;
    const existing = known.get(id);
    const same =
      existing !== undefined && existing !== "ambiguous" && existing.publicKey.equals(verifier.publicKey);
    known.set(id, existing === undefined || same ? verifier : "ambiguous");
  }
  return known;
}

function assertNoteText(text: string): void {
  if (text === "" || !text.endsWith("\n")) throw malformed("the text must end in a newline");
  if (FORBIDDEN_IN_NOTE.test(text)) throw malformed("control character or invalid Unicode in the text");
}

function assertKeyName(name: string): void {
  if (!isValidKeyName(name)) throw new NoteError("bad-key", `invalid key name ${JSON.stringify(name)}`);
}

function chopKey(encoded: string, parts: number, kind: string): string[] {
  // Split at the first parts-1 pluses only: the base64 tail may contain more.
  const result: string[] = [];
  let rest = encoded;
  for (let index = 1; index < parts; index++) {
    const plus = rest.indexOf("+");
    if (plus < 0) throw badKey(kind, "too few fields");
    result.push(rest.slice(0, plus));
    rest = rest.slice(plus + 1);
  }
  result.push(rest);
  return result;
}

function decodeKey(
  name: string,
  keyIdHex: string,
  material: string,
  kind: string,
): { key: Buffer; keyId: number } {
  if (!isValidKeyName(name)) throw badKey(kind, "invalid name");
  if (!HEX_KEY_ID.test(keyIdHex)) throw badKey(kind, "the key ID is not 8 hex digits");
  const bytes = decodeBase64(material);
  if (bytes === undefined || bytes.length === 0) throw badKey(kind, "the key is not base64");
  if (bytes[0] !== ALG_ED25519) throw badKey(kind, "unknown algorithm");
  if (bytes.length !== 1 + ED25519_KEY_BYTES) throw badKey(kind, "wrong key length");
  return { key: bytes.subarray(1), keyId: Number.parseInt(keyIdHex, 16) };
}

function badKey(kind: string, problem: string): NoteError {
  return new NoteError("bad-key", `malformed ${kind} key: ${problem}`);
}

function malformed(problem: string): NoteError {
  return new NoteError("malformed", `malformed note: ${problem}`);
}

/** Strict standard base64 (RFC 4648 §4, padded, canonical); undefined otherwise. */
export function decodeBase64(encoded: string): Buffer | undefined {
  if (!BASE64.test(encoded)) return undefined;
  const bytes = Buffer.from(encoded, "base64");
  return bytes.toString("base64") === encoded ? bytes : undefined;
}

function decodeUtf8(bytes: Uint8Array): string {
  try {
    return new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch {
    throw malformed("not valid UTF-8");
  }
}

function ed25519PublicKey(raw: Uint8Array): KeyObject {
  if (raw.length !== ED25519_KEY_BYTES) throw new NoteError("bad-key", "an Ed25519 public key is 32 bytes");
  return createPublicKey({
    key: { kty: "OKP", crv: "Ed25519", x: Buffer.from(raw).toString("base64url") },
    format: "jwk",
  });
}

function rawPublicKey(key: KeyObject): Buffer {
  const { x } = key.export({ format: "jwk" });
  return Buffer.from(x ?? "", "base64url");
}
