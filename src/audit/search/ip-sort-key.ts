import { AuditQueryError, quoteForMessage, type IpRange } from "./audit-query.ts";

/**
 * IP addresses as sortable text, so that an `ip:` CIDR query is a range comparison on an indexed
 * column (neither SQLite nor our PostgreSQL schema parses IPv6). Written by hand rather than with
 * node:net so the search module stays pure and so the accepted syntax is exactly the one
 * documented: no zone ids, no leading zeros in IPv4, no shorthand like `127.1`.
 */

/** Where character `index` of a parsed value sits in the query text (for error positions). */
export type PositionOf = (index: number) => number;

const identity: PositionOf = (index) => index;

/**
 * The sort key of an address: the 16 bytes of its IPv6 form as 32 lowercase hex digits, IPv4 as
 * `::ffff:a.b.c.d` (so `1.2.3.4` and `::ffff:1.2.3.4` share `00000000000000000000ffff01020304`).
 * Null for anything else: a truncated network, an `hmac:` pseudonym, a zone id, the empty string.
 */
export function ipSortKey(address: string): string | null {
  const bytes = parseIpAddress(address);
  return bytes === null ? null : toHex(bytes);
}

/**
 * An address or a CIDR block as an inclusive range of sort keys. Throws AuditQueryError with
 * positions through `positionOf` (the parser maps them into the whole query). A CIDR with host
 * bits set is refused rather than silently widened: `203.0.113.5/24` is more likely a typo for
 * one address than a request for the whole block.
 */
export function parseIpRange(text: string, positionOf: PositionOf = identity): IpRange {
  const zone = text.indexOf("%");
  if (zone !== -1) {
    throw AuditQueryError.at(positionOf(zone), "IPv6 zone ids are not supported", "leave out the %…");
  }
  const slash = text.indexOf("/");
  const addressText = slash === -1 ? text : text.slice(0, slash);
  const address = parseIpAddress(addressText);
  if (address === null) {
    throw AuditQueryError.at(
      positionOf(0),
      `invalid IP address ${quoteForMessage(addressText)}`,
      "expected an IPv4 or IPv6 address, or a CIDR block such as 203.0.113.0/24 or 2001:db8::/32",
    );
  }
  const isV4 = !addressText.includes(":");
  if (slash === -1) {
    const key = toHex(address);
    return { first: key, last: key, text: formatAddress(address) };
  }
  const prefixText = text.slice(slash + 1);
  const maximum = isV4 ? 32 : 128;
  const prefix = /^(?:0|[1-9]\d{0,2})$/.test(prefixText) ? Number(prefixText) : Number.NaN;
  if (!(prefix <= maximum)) {
    throw AuditQueryError.at(
      positionOf(slash + 1),
      `invalid prefix length ${quoteForMessage(prefixText)}`,
      `an ${isV4 ? "IPv4" : "IPv6"} block takes /0 to /${maximum}`,
    );
  }
  // IPv4 blocks live inside ::ffff:0:0/96, so their prefix counts the 96 bits before them.
  const bits = isV4 ? prefix + 96 : prefix;
  const first = new Uint8Array(16);
  const last = new Uint8Array(16);
  let hostBitsSet = false;
  for (let i = 0; i < 16; i++) {
    const networkBits = Math.min(8, Math.max(0, bits - i * 8));
    const mask = (0xff << (8 - networkBits)) & 0xff;
    const byte = address[i] ?? 0;
    first[i] = byte & mask;
    last[i] = (byte & mask) | (~mask & 0xff);
    if ((byte & ~mask & 0xff) !== 0) hostBitsSet = true;
  }
  const normalised = formatBlock(first, bits);
  if (hostBitsSet) {
    throw AuditQueryError.at(positionOf(0), `host bits set in ${text}`, `did you mean ${normalised}?`);
  }
  return { first: toHex(first), last: toHex(last), text: normalised };
}

/** The 16 bytes of an IPv4 or IPv6 address (IPv4 mapped), or null. */
function parseIpAddress(text: string): Uint8Array | null {
  if (!text.includes(":")) {
    const v4 = parseIpv4(text);
    return v4 === null ? null : new Uint8Array([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, ...v4]);
  }
  return parseIpv6(text);
}

const IPV4_PART = /^(?:0|[1-9]\d{0,2})$/;
const IPV6_GROUP = /^[0-9a-fA-F]{1,4}$/;

/** Four decimal parts 0-255 without leading zeros (which some parsers read as octal). */
function parseIpv4(text: string): number[] | null {
  const parts = text.split(".");
  if (parts.length !== 4) return null;
  const bytes: number[] = [];
  for (const part of parts) {
    if (!IPV4_PART.test(part)) return null;
    const value = Number(part);
    if (value > 255) return null;
    bytes.push(value);
  }
  return bytes;
}

/** RFC 4291 text: 8 groups, or fewer around one `::`, the last 32 bits optionally dotted. */
function parseIpv6(text: string): Uint8Array | null {
  const gap = text.indexOf("::");
  if (gap !== -1 && text.includes("::", gap + 1)) return null;
  const head = gap === -1 ? text : text.slice(0, gap);
  const tail = gap === -1 ? "" : text.slice(gap + 2);
  const headWords = parseGroups(head, gap === -1);
  const tailWords = parseGroups(tail, true);
  if (headWords === null || tailWords === null) return null;
  const count = headWords.length + tailWords.length;
  if (gap === -1 ? count !== 8 : count > 7) return null;
  const words = [...headWords, ...Array<number>(8 - count).fill(0), ...tailWords];
  const bytes = new Uint8Array(16);
  words.forEach((word, i) => {
    bytes[i * 2] = word >> 8;
    bytes[i * 2 + 1] = word & 0xff;
  });
  return bytes;
}

/** The 16-bit words of colon-separated groups; a dotted quad may only end the address. */
function parseGroups(text: string, mayEndDotted: boolean): number[] | null {
  if (text === "") return [];
  const groups = text.split(":");
  const words: number[] = [];
  for (const [index, group] of groups.entries()) {
    if (IPV6_GROUP.test(group)) {
      words.push(Number.parseInt(group, 16));
      continue;
    }
    if (!mayEndDotted || index !== groups.length - 1) return null;
    const v4 = parseIpv4(group);
    if (v4 === null) return null;
    const [a = 0, b = 0, c = 0, d = 0] = v4;
    words.push((a << 8) | b, (c << 8) | d);
  }
  return words;
}

/** Lowercase hex (every append computes one: Buffer's encoder, not a string per byte). */
function toHex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("hex");
}

function isMapped(bytes: Uint8Array): boolean {
  return bytes.subarray(0, 10).every((byte) => byte === 0) && bytes[10] === 0xff && bytes[11] === 0xff;
}

/**
 * The spelling the log stores (ip-privacy.ts `canonicalIp`): an IPv4-mapped address as IPv4,
 * other IPv6 in RFC 5952 form. `exact` must match it for equality and for `hmac:` lookups.
 */
function formatAddress(bytes: Uint8Array): string {
  return isMapped(bytes) ? bytes.subarray(12).join(".") : formatIpv6(bytes);
}

/** A network in the family the user would expect: an IPv4 block inside the mapped space as IPv4. */
function formatBlock(network: Uint8Array, bits: number): string {
  return isMapped(network) && bits >= 96
    ? `${network.subarray(12).join(".")}/${bits - 96}`
    : `${formatIpv6(network)}/${bits}`;
}

/** RFC 5952: lowercase, no leading zeros, the first longest run of 2+ zero groups as `::`. */
function formatIpv6(bytes: Uint8Array): string {
  const words = Array.from({ length: 8 }, (_, i) => ((bytes[i * 2] ?? 0) << 8) | (bytes[i * 2 + 1] ?? 0));
  let runStart = -1;
  let runLength = 1;
  for (let i = 0; i < 8;) {
    let end = i;
    while (end < 8 && words[end] === 0) end++;
    if (end - i > runLength) {
      runStart = i;
      runLength = end - i;
    }
    i = Math.max(end, i + 1);
  }
  const hex = (part: number[]): string => part.map((word) => word.toString(16)).join(":");
  if (runStart === -1) return hex(words);
  return `${hex(words.slice(0, runStart))}::${hex(words.slice(runStart + runLength))}`;
}
