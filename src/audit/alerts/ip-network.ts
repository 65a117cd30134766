import { auditIpKey } from "../search/audit-ip-key.ts";
import { AuditQueryError } from "../search/audit-query.ts";
import { ipSortKey, parseIpRange } from "../search/ip-sort-key.ts";

const IPV4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.\d{1,3}$/;
const NETWORK = /\/\d{1,3}$/;

/**
 * The `pb.ip_network` of a stored `ip_address`, the unit a password spray is counted by: an IPv4
 * address's /24, an IPv6 address's /48 (the same blocks PB_AUDIT_IP_MODE=truncate stores, so the
 * value is the same whatever the mode was), a stored network as it is, a keyed hash as it is (its
 * network is unknown), null for null.
 */
export function ipNetwork(stored: string | null): string | null {
  if (stored === null || stored === "") return null;
  if (NETWORK.test(stored) || stored.startsWith("hmac:")) return stored;
  const v4 = IPV4.exec(stored);
  if (v4 !== null) return `${v4[1] ?? ""}.${v4[2] ?? ""}.${v4[3] ?? ""}.0/24`;
  const key = ipSortKey(stored);
  if (key === null) return stored;
  const groups = [0, 4, 8].map((start) => Number.parseInt(key.slice(start, start + 4), 16).toString(16));
  while (groups.at(-1) === "0") groups.pop();
  return `${groups.join(":")}::/48`;
}

/**
 * A `|cidr` value as a test of stored addresses: a full address inside the block, or a stored
 * network (truncate mode) whose first address is inside it. Keyed hashes never match. Returns an
 * error message for an invalid block.
 */
export function cidrTest(block: string): ((stored: string) => boolean) | string {
  let range: { first: string; last: string };
  try {
    range = parseIpRange(block);
  } catch (error) {
    if (error instanceof AuditQueryError) return error.message.replace(/ at position \d+/, "");
    throw error;
  }
  return (stored) => {
    const key = auditIpKey(stored);
    return key !== null && !key.startsWith("hmac:") && range.first <= key && key <= range.last;
  };
}
