import { Buffer } from "node:buffer";
import { Readable } from "node:stream";
import { buffer as collect } from "node:stream/consumers";
import { crc32, createDeflateRaw, deflateRawSync } from "node:zlib";

/**
 * A test-only ZIP writer that does what real tools refuse to: hostile names, symlinks, lying sizes,
 * duplicates, encryption flags. Everything is written by hand (local headers, central directory,
 * end of central directory record) so each field can be forged. No Zip64, no data descriptors.
 */
export interface ZipEntrySpec {
  /** The name exactly as stored; a Uint8Array is written byte for byte (for invalid UTF-8). */
  readonly name: string | Uint8Array;
  /** Entry content; strings are UTF-8. Defaults to empty. */
  readonly data?: Uint8Array | string;
  /** Defaults to "deflate" for files with content, "stored" otherwise. */
  readonly method?: "stored" | "deflate";
  /** Writes these bytes as the entry's (already compressed) data instead of compressing `data`. */
  readonly rawData?: Uint8Array;
  /** Forged header fields; default to the truth. */
  readonly uncompressedSize?: number;
  readonly compressedSize?: number;
  readonly crc32?: number;
  /** A raw compression method number (for example 12, bzip2), overriding `method`. */
  readonly compressionMethod?: number;
  /** A Unix mode (type and permissions), stored in the high 16 bits of the external attributes. */
  readonly unixMode?: number;
  /** The raw external attributes, overriding `unixMode`. */
  readonly externalAttributes?: number;
  /** Extra general purpose flag bits, for example 0x1 (traditional encryption). */
  readonly flags?: number;
  /** Set bit 11 (names are UTF-8). Defaults to true when the name is not ASCII. */
  readonly utf8?: boolean;
  /** The extra field, written in both the local and the central header. */
  readonly extraField?: Uint8Array;
  /** A different name for the local header only. */
  readonly localName?: string;
}

export const S_IFREG = 0o100000;
export const S_IFDIR = 0o040000;
export const S_IFLNK = 0o120000;

const METHOD_STORED = 0;
const METHOD_DEFLATE = 8;
const VERSION_MADE_BY_UNIX = (3 << 8) | 20;
const VERSION_NEEDED = 20;
/** 1980-01-01 00:00:00 in MS-DOS format, so archives are reproducible. */
const DOS_DATE = (1 << 5) | 1;
const DOS_TIME = 0;

export function buildZip(entries: readonly ZipEntrySpec[], options: { comment?: string } = {}): Buffer {
  const parts: Buffer[] = [];
  const central: Buffer[] = [];
  let offset = 0;

  for (const spec of entries) {
    const name = toBytes(spec.name);
    const localName = spec.localName === undefined ? name : toBytes(spec.localName);
    const data = toBytes(spec.data ?? "");
    const isDirectory = typeof spec.name === "string" && spec.name.endsWith("/");
    const method =
      spec.compressionMethod ??
      ((spec.method ?? (data.byteLength > 0 ? "deflate" : "stored")) === "deflate"
        ? METHOD_DEFLATE
        : METHOD_STORED);
    const payload = Buffer.from(spec.rawData ?? (method === METHOD_DEFLATE ? deflateRawSync(data) : data));
    const utf8 = spec.utf8 ?? !isAscii(name);
    const flags = (spec.flags ?? 0) | (utf8 ? 0x800 : 0);
    const checksum = spec.crc32 ?? crc32(data);
    const compressedSize = spec.compressedSize ?? payload.byteLength;
    const uncompressedSize = spec.uncompressedSize ?? data.byteLength;
    const extra = Buffer.from(spec.extraField ?? new Uint8Array(0));
    const defaultMode = isDirectory ? S_IFDIR | 0o755 : S_IFREG | 0o644;
    const externalAttributes =
      spec.externalAttributes ?? (((spec.unixMode ?? defaultMode) << 16) >>> 0) | (isDirectory ? 0x10 : 0);

    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(VERSION_NEEDED, 4);
    local.writeUInt16LE(flags, 6);
    local.writeUInt16LE(method, 8);
    local.writeUInt16LE(DOS_TIME, 10);
    local.writeUInt16LE(DOS_DATE, 12);
    local.writeUInt32LE(checksum >>> 0, 14);
    local.writeUInt32LE(compressedSize >>> 0, 18);
    local.writeUInt32LE(uncompressedSize >>> 0, 22);
    local.writeUInt16LE(localName.byteLength, 26);
    local.writeUInt16LE(extra.byteLength, 28);
    parts.push(local, localName, extra, payload);

    const header = Buffer.alloc(46);
    header.writeUInt32LE(0x02014b50, 0);
    header.writeUInt16LE(VERSION_MADE_BY_UNIX, 4);
    header.writeUInt16LE(VERSION_NEEDED, 6);
    header.writeUInt16LE(flags, 8);
    header.writeUInt16LE(method, 10);
    header.writeUInt16LE(DOS_TIME, 12);
    header.writeUInt16LE(DOS_DATE, 14);
    header.writeUInt32LE(checksum >>> 0, 16);
    header.writeUInt32LE(compressedSize >>> 0, 20);
    header.writeUInt32LE(uncompressedSize >>> 0, 24);
    header.writeUInt16LE(name.byteLength, 28);
    header.writeUInt16LE(extra.byteLength, 30);
    header.writeUInt16LE(0, 32); // comment length
    header.writeUInt16LE(0, 34); // disk number start
    header.writeUInt16LE(0, 36); // internal attributes
    header.writeUInt32LE(externalAttributes >>> 0, 38);
    header.writeUInt32LE(offset, 42);
    central.push(header, name, extra);

    offset += local.byteLength + localName.byteLength + extra.byteLength + payload.byteLength;
  }

  const centralDirectory = Buffer.concat(central);
  const comment = Buffer.from(options.comment ?? "", "latin1");
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(0, 4);
  end.writeUInt16LE(0, 6);
  end.writeUInt16LE(entries.length & 0xffff, 8);
  end.writeUInt16LE(entries.length & 0xffff, 10);
  end.writeUInt32LE(centralDirectory.byteLength, 12);
  end.writeUInt32LE(offset, 16);
  end.writeUInt16LE(comment.byteLength, 20);
  return Buffer.concat([...parts, centralDirectory, end, comment]);
}

/**
 * Raw DEFLATE of `chunk` repeated `times` times, compressed as a stream so a 200 MiB bomb costs
 * one chunk of memory plus the (tiny) output, never the whole inflated size.
 */
export async function deflateRepeated(chunk: Uint8Array, times: number): Promise<Buffer> {
  async function* repeat(): AsyncGenerator<Uint8Array> {
    for (let i = 0; i < times; i++) {
      await Promise.resolve();
      yield chunk;
    }
  }
  return collect(Readable.from(repeat()).pipe(createDeflateRaw({ level: 9 })));
}

function toBytes(value: string | Uint8Array): Buffer {
  return typeof value === "string" ? Buffer.from(value, "utf8") : Buffer.from(value);
}

function isAscii(bytes: Uint8Array): boolean {
  return bytes.every((byte) => byte < 0x80);
}
