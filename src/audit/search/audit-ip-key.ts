import { ipSortKey } from "./ip-sort-key.ts";

const TRUNCATED = /^(.+)\/(\d{1,3})$/;

/**
 * The search key of a stored `ip_address`, whatever the IP mode was when the event was written
 * (the mode may change over a log's life):
 * - a full address → its sort key (32 hex digits), so CIDR queries are range scans;
 * - a truncated network (`203.0.113.0/24`) → the network's sort key + `/24`, which sorts right
 *   after the network address: inside every CIDR range that contains the network's first address,
 *   never equal to a full address;
 * - a keyed hash (`hmac:…`) → itself: only an exact address, hashed the same way, finds it.
 */
export function auditIpKey(stored: string | null): string | null {
  if (stored === null) return null;
  if (stored.startsWith("hmac:")) return stored;
  const truncated = TRUNCATED.exec(stored);
  if (truncated !== null) {
    const key = ipSortKey(truncated[1] ?? "");
    return key === null ? null : `${key}/${truncated[2] ?? ""}`;
  }
  return ipSortKey(stored);
}
