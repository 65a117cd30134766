import { createHmac } from "node:crypto";
import net from "node:net";
import { auditIpKey } from "./search/audit-ip-key.ts";

export type IpMode = "full" | "truncate" | "hash" | "none";

/**
 * What of a client IP address enters the audit log (raw addresses are personal data):
 * `full` keeps it, `truncate` keeps the network (/24 IPv4, /48 IPv6), `hash` keeps a keyed
 * HMAC-SHA-256 pseudonym (same address, same value; not reversible without the key), `none`
 * keeps nothing. Every mode works on the canonical form of the address (see `canonicalIp`), so
 * one address always gives one value whichever way a client or proxy spelled it.
 */
export function reduceIpAddress(address: string | null, mode: IpMode, hashKey: Buffer): string | null {
  if (address === null || mode === "none") return null;
  const ip = canonicalIp(address);
  if (ip === null) return null;
  switch (mode) {
    case "full":
      return ip;
    case "truncate":
      return net.isIPv4(ip) ? truncateIpv4(ip) : truncateIpv6(ip);
    case "hash":
      return `hmac:${createHmac("sha256", hashKey).update(ip).digest("hex").slice(0, 32)}`;
  }
}

const MAPPED_DOTTED = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i;
const MAPPED_HEX = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/;

/**
 * One spelling per address, or null when `address` is not an IP address: IPv4 as is (Node
 * refuses leading zeros), IPv4-mapped IPv6 (`::ffff:192.0.2.1`, `::ffff:c000:201`, an IPv4
 * client on a dual-stack socket) as the IPv4 address, other IPv6 in the RFC 5952 form
 * (lowercase, longest run of zero groups compressed, embedded dotted quads as hex), without a
 * zone index.
 */
export function canonicalIp(address: string): string | null {
  const family = net.isIP(address);
  if (family === 4) return address;
  if (family !== 6) return null;
  const dotted = MAPPED_DOTTED.exec(address)?.[1];
  if (dotted !== undefined) return net.isIPv4(dotted) ? dotted : null;
  const ip = compressIpv6(address.replace(/%.*$/, ""));
  const mapped = MAPPED_HEX.exec(ip);
  if (mapped === null) return ip;
  const high = Number.parseInt(mapped[1] ?? "0", 16);
  const low = Number.parseInt(mapped[2] ?? "0", 16);
  return [high >> 8, high & 0xff, low >> 8, low & 0xff].join(".");
}

function truncateIpv4(ip: string): string {
  const [a, b, c] = ip.split(".");
  return `${a ?? "0"}.${b ?? "0"}.${c ?? "0"}.0/24`;
}

function truncateIpv6(ip: string): string {
  const network = expandIpv6(ip).slice(0, 3);
  return `${compressIpv6(`${network.join(":")}::`)}/48`;
}

/** RFC 5952 text of a valid IPv6 address (the WHATWG URL serializer implements it). */
function compressIpv6(ip: string): string {
  return new URL(`http://[${ip}]/`).hostname.slice(1, -1);
}

/** The eight 16-bit groups of an IPv6 address in `compressIpv6` form (no dotted quad). */
function expandIpv6(ip: string): string[] {
  const [head = "", tail] = ip.split("::");
  const left = head === "" ? [] : head.split(":");
  const right = tail === undefined || tail === "" ? [] : tail.split(":");
  const missing = 8 - left.length - right.length;
  return [...left, ...Array<string>(Math.max(0, missing)).fill("0"), ...right];
}

/** The key of the `hash` mode's pseudonyms, derived from the server's secret key. */
export function ipPseudonymKey(secretKey: Buffer): Buffer {
  return createHmac("sha256", secretKey).update("audit-ip-pseudonyms").digest();
}

/**
 * Every search key under which an exact address may be stored, whatever IP mode was in force
 * when an event was written: the address itself, its truncated network, its pseudonym. An exact
 * `ip:` search therefore also finds the events that only kept the address's network.
 */
export function ipSearchKeys(hashKey: Buffer): (address: string) => string[] {
  const modes: IpMode[] = ["full", "truncate", "hash"];
  return (address) =>
    modes
      .map((mode) => auditIpKey(reduceIpAddress(address, mode, hashKey)))
      .filter((key): key is string => key !== null);
}
