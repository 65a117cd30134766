import { Buffer } from "node:buffer";
import { invalidInput } from "../../errors/domain-error.ts";
import { HASH_BYTES } from "./merkle-hash.ts";
import {
  decodeBase64,
  openNote,
  signNote,
  type NoteKeyRef,
  type NoteSigner,
  type NoteVerifier,
} from "./signed-note.ts";

/**
 * C2SP tlog-checkpoint (c2sp.org/tlog-checkpoint) note text:
 *
 *     <origin>\n<tree size, decimal, no leading zeros>\n<base64 RFC 6962 root>\n[<extension line>\n]...
 *
 * Extension lines are optional, opaque and not recommended; they are kept so that a checkpoint
 * from another log round-trips.
 */
export interface Checkpoint {
  readonly origin: string;
  readonly size: number;
  readonly rootHash: Buffer;
  readonly extensions: readonly string[];
}

export interface CheckpointInput {
  readonly origin: string;
  readonly size: number;
  readonly rootHash: Uint8Array;
  readonly extensions?: readonly string[];
}

export interface OpenedCheckpoint {
  readonly checkpoint: Checkpoint;
  readonly verifiedBy: readonly NoteKeyRef[];
}

const DECIMAL = /^(?:0|[1-9][0-9]*)$/;
// eslint-disable-next-line no-control-regex
const LINE_FORBIDDEN = /[\u0000-\u001f]|[\uD800-\uDFFF]/u;

export function formatCheckpoint(checkpoint: CheckpointInput): string {
  const { origin, size, rootHash, extensions = [] } = checkpoint;
  assertLine(origin, "the origin");
  if (!Number.isSafeInteger(size) || size < 0)
    throw malformed("the size must be a non-negative safe integer");
  if (rootHash.length !== HASH_BYTES) throw malformed(`the root hash must be ${HASH_BYTES} bytes`);
  for (const line of extensions) assertLine(line, "an extension line");
  const root = Buffer.from(rootHash).toString("base64");
  return [origin, String(size), root, ...extensions].map((line) => `${line}\n`).join("");
}

/** Strict: exactly the form formatCheckpoint writes, plus optional non-empty extension lines. */
export function parseCheckpoint(text: string): Checkpoint {
  if (!text.endsWith("\n")) throw malformed("the text must end in a newline");
  const lines = text.slice(0, -1).split("\n");
  const [origin, sizeText, rootText, ...extensions] = lines;
  if (origin === undefined || sizeText === undefined || rootText === undefined) {
    throw malformed("a checkpoint has at least three lines");
  }
  for (const line of lines) assertLine(line, "a line");
  if (!DECIMAL.test(sizeText)) throw malformed("the size must be decimal without leading zeros");
  const size = Number(sizeText);
  if (!Number.isSafeInteger(size)) throw malformed("the size is too large");
  const rootHash = decodeBase64(rootText);
  if (rootHash?.length !== HASH_BYTES)
    throw malformed(`the root hash must be the base64 of ${HASH_BYTES} bytes`);
  return { origin, size, rootHash, extensions };
}

export function signCheckpoint(
  checkpoint: CheckpointInput,
  signers: NoteSigner | readonly NoteSigner[],
): string {
  return signNote(formatCheckpoint(checkpoint), signers);
}

/**
 * Verifies a signed checkpoint (see openNote for the signature rules) and parses its text. With
 * `origin`, a checkpoint of another log is refused too.
 */
export function openCheckpoint(
  note: string | Uint8Array,
  verifiers: readonly NoteVerifier[],
  options: { readonly origin?: string } = {},
): OpenedCheckpoint {
  const { text, verifiedBy } = openNote(note, verifiers);
  const checkpoint = parseCheckpoint(text);
  if (options.origin !== undefined && checkpoint.origin !== options.origin) {
    throw invalidInput(
      "CheckpointOriginMismatch",
      `checkpoint origin ${JSON.stringify(checkpoint.origin)} is not ${JSON.stringify(options.origin)}`,
    );
  }
  return { checkpoint, verifiedBy };
}

function assertLine(line: string, what: string): void {
  if (line === "") throw malformed(`${what} must not be empty`);
  if (LINE_FORBIDDEN.test(line)) throw malformed(`${what} contains a control character or invalid Unicode`);
}

function malformed(problem: string): Error {
  return invalidInput("CheckpointMalformed", `malformed checkpoint: ${problem}`);
}
