/**
 * What the `ip_address` member of an event holds. PB_AUDIT_IP_MODE decides it when the event is
 * recorded (docs/audit-log.md, Privacy): an address (`full`), a network in CIDR notation
 * (`truncate`, the default), `hmac:` + 32 hex digits (`hash`) or null (`none`, or no client).
 * Only a real address may go into a SIEM's IP field (ECS `source.ip`, OCSF `src_endpoint.ip`,
 * CEF `src`): those are typed as one address, and a network or a pseudonym there would either be
 * rejected at ingest or, worse, geolocated as if it were a client.
 */
export type StoredAddress =
  | { readonly kind: "ipv4" | "ipv6"; readonly value: string }
  | { readonly kind: "network"; readonly value: string }
  | { readonly kind: "hmac"; readonly value: string }
  | { readonly kind: "other"; readonly value: string };

const IPV4_OCTET = "(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])";
const IPV4 = new RegExp(`^${IPV4_OCTET}(?:\\.${IPV4_OCTET}){3}$`);
const IPV6_CHARACTERS = /^[0-9A-Fa-f:.]+$/;
const HMAC = /^hmac:[0-9a-f]{32}$/;

/** Classifies a stored `ip_address`; null stays null. Pure: no `node:net`, so it runs anywhere. */
export function storedAddress(ipAddress: string | null): StoredAddress | null {
  if (ipAddress === null || ipAddress === "") return null;
  if (IPV4.test(ipAddress)) return { kind: "ipv4", value: ipAddress };
  if (isIpv6(ipAddress)) return { kind: "ipv6", value: ipAddress };
  if (HMAC.test(ipAddress)) return { kind: "hmac", value: ipAddress };
  if (isNetwork(ipAddress)) return { kind: "network", value: ipAddress };
  return { kind: "other", value: ipAddress };
}

/** A CIDR prefix length: decimal, no leading zero, at most three digits (checked against 32/128). */
const PREFIX_LENGTH = /^(?:0|[1-9][0-9]{0,2})$/;

/**
 * What isIpv6 found for the texts it parsed lately. An export meets the same clients (and
 * networks) again and again, and the URL parse is by far the dearest step of a classification.
 * Cleared when full: memory stays bounded whatever the log holds.
 */
const ipv6Verdicts = new Map<string, boolean>();
const IPV6_VERDICTS_MAX = 4096;

function isIpv6(text: string): boolean {
  if (!text.includes(":") || !IPV6_CHARACTERS.test(text)) return false;
  let verdict = ipv6Verdicts.get(text);
  if (verdict === undefined) {
    verdict = parsesAsIpv6(text);
    if (ipv6Verdicts.size >= IPV6_VERDICTS_MAX) ipv6Verdicts.clear();
    ipv6Verdicts.set(text, verdict);
  }
  return verdict;
}

function parsesAsIpv6(text: string): boolean {
  // The WHATWG URL parser implements the full IPv6 grammar (with embedded dotted quads) and is a
  // global in Node: no import needed. The character check in isIpv6 keeps `]`, `/` or `@` out of it.
  try {
    new URL(`http://[${text}]/`);
    return true;
  } catch {
    return false;
  }
}

function isNetwork(text: string): boolean {
  const slash = text.lastIndexOf("/");
  if (slash < 0) return false;
  const address = text.slice(0, slash);
  const prefix = text.slice(slash + 1);
  if (!PREFIX_LENGTH.test(prefix)) return false;
  const bits = Number(prefix);
  if (IPV4.test(address)) return bits <= 32;
  return isIpv6(address) && bits <= 128;
}
