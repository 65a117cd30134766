/**
 * The 512-byte header of a POSIX ustar member, as backups write and read them: regular files only,
 * names of at most 100 bytes (no prefix field), sizes in octal or, from 8 GiB, in the base-256 form
 * GNU tar and bsdtar also read. Any `tar` lists and extracts a backup.
 */
export const TAR_BLOCK = 512;
const NAME_BYTES = 100;
const OCTAL_SIZE_LIMIT = 8 ** 11;

export interface TarMemberHeader {
  readonly name: string;
  readonly size: number;
}

/** The header of a regular file `name` of `size` bytes, mode 0600, modified at `mtime` (seconds). */
export function encodeTarHeader(name: string, size: number, mtime: number): Buffer {
  const nameBytes = Buffer.from(name, "utf8");
  if (nameBytes.length === 0 || nameBytes.length > NAME_BYTES) {
    throw new Error(`tar member name ${JSON.stringify(name)} must be 1 to ${NAME_BYTES} bytes`);
  }
  if (!Number.isSafeInteger(size) || size < 0) throw new Error(`tar member size ${size} is not a size`);
  const header = Buffer.alloc(TAR_BLOCK);
  nameBytes.copy(header, 0);
  header.write("0000600\0", 100, "latin1");
  header.write("0000000\0", 108, "latin1");
  header.write("0000000\0", 116, "latin1");
  writeSize(header, size);
  header.write(`${Math.max(0, Math.floor(mtime)).toString(8).padStart(11, "0")}\0`, 136, "latin1");
  header.write("        ", 148, "latin1");
  header.write("0", 156, "latin1");
  header.write("ustar\0", 257, "latin1");
  header.write("00", 263, "latin1");
  header.write(`${checksum(header).toString(8).padStart(6, "0")}\0 `, 148, "latin1");
  return header;
}

/**
 * Reads a header block: null for an all-zero block (the end of the archive); throws an Error
 * naming the problem for anything that is not a ustar regular file with a valid checksum.
 */
export function decodeTarHeader(block: Buffer): TarMemberHeader | null {
  if (block.length !== TAR_BLOCK) throw new Error("a tar header is cut short");
  if (block.every((byte) => byte === 0)) return null;
  if (block.toString("latin1", 257, 262) !== "ustar") throw new Error("not a ustar header");
  const stored = parseOctal(block.subarray(148, 156));
  if (stored !== checksum(block)) throw new Error("a tar header's checksum does not match");
  const type = block.toString("latin1", 156, 157);
  if (type !== "0" && type !== "\0") throw new Error(`unsupported tar member type ${JSON.stringify(type)}`);
  const nameEnd = block.indexOf(0, 0);
  const name = block.toString("utf8", 0, nameEnd === -1 || nameEnd > NAME_BYTES ? NAME_BYTES : nameEnd);
  if (block[345] !== 0) throw new Error(`tar member ${JSON.stringify(name)} uses a name prefix`);
  return { name, size: readSize(block.subarray(124, 136)) };
}

/** How many bytes of padding follow a member of `size` bytes. */
export function tarPadding(size: number): number {
  const rest = size % TAR_BLOCK;
  return rest === 0 ? 0 : TAR_BLOCK - rest;
}

function writeSize(header: Buffer, size: number): void {
  if (size < OCTAL_SIZE_LIMIT) {
    header.write(`${size.toString(8).padStart(11, "0")}\0`, 124, "latin1");
    return;
  }
  // Base-256: the high bit of the first byte set, then the size big-endian.
  header[124] = 0x80;
  let rest = BigInt(size);
  for (let index = 135; index > 124; index -= 1) {
    header[index] = Number(rest & 0xffn);
    rest >>= 8n;
  }
}

function readSize(field: Buffer): number {
  if (((field[0] ?? 0) & 0x80) !== 0) {
    let value = BigInt((field[0] ?? 0) & 0x7f);
    for (let index = 1; index < field.length; index += 1) value = (value << 8n) | BigInt(field[index] ?? 0);
    if (value > BigInt(Number.MAX_SAFE_INTEGER)) throw new Error("a tar member is too large");
    return Number(value);
  }
  return parseOctal(field);
}

function parseOctal(field: Buffer): number {
  const text = field
    .toString("latin1")
    .replace(/[\0 ]+$/, "")
    .replace(/^[ ]+/, "");
  if (!/^[0-7]{1,12}$/.test(text)) throw new Error("a tar header holds a malformed number");
  return Number.parseInt(text, 8);
}

function checksum(header: Buffer): number {
  let sum = 0;
  for (let index = 0; index < TAR_BLOCK; index += 1) {
    sum += index >= 148 && index < 156 ? 0x20 : (header[index] ?? 0);
  }
  return sum;
}
