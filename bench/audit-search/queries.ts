import { World } from "../audit-data/world.ts";

/**
 * The fixed queries of the search bench, with values picked from the world the generator used
 * (same seed): the hottest token and a cold one, the hottest package, the largest vendor, a /16,
 * the busiest address, and so on. `pages` > 1 follows next_cursor; `cursorAt` starts from a
 * cursor in the middle of the log (as a fraction of the newest seq).
 */
export interface BenchQuery {
  readonly id: string;
  readonly q: string;
  readonly why: string;
  readonly order?: "asc" | "desc";
  /** Pages to read, following next_cursor (default 1). */
  readonly pages?: number;
  /** Start from a cursor at this fraction of the log's size. */
  readonly cursorAt?: number;
}

export function benchQueries(world: World): BenchQuery[] {
  const hotToken = world.tokenByRank(0).fingerprint;
  const coldToken = world.tokenByRank(Math.floor(world.tokens.length * 0.9)).fingerprint;
  const hotPackage = world.packageByRank(0).name;
  const coldPackage = world.packageByRank(Math.floor(world.packages.length * 0.8)).name;
  const [bigVendor] = world.vendors[0] ?? ["acme"];
  const smallVendor = world.vendors.find(([, count]) => count === 3)?.[0] ?? world.vendors.at(-1)?.[0] ?? "x";
  const hotAddress = world.addressByRank(0);
  const coldAddress = world.addressByRank(Math.floor(world.addresses.length * 0.8));
  return [
    { id: "newest", q: "", why: "no filter: the newest events" },
    { id: "auth-failures", q: "event:authentication outcome:failure", why: "two columns, ~4 % of events" },
    { id: "actor-hot", q: `actor:${hotToken}`, why: "the busiest token (~10 % of events)" },
    { id: "actor-cold", q: `actor:${coldToken}`, why: "a rarely used token" },
    { id: "package-hot", q: `package:${hotPackage}`, why: "the most requested package" },
    { id: "package-cold", q: `package:${coldPackage}`, why: "a rarely requested package" },
    { id: "vendor-big", q: `package:${bigVendor}/*`, why: "prefix: the largest vendor" },
    { id: "vendor-small", q: `package:${smallVendor}/*`, why: "prefix: a vendor of 3 packages" },
    { id: "ip-16", q: "ip:10.21.0.0/16", why: "CIDR: one /16 of CI runners" },
    { id: "ip-v6-32", q: "ip:2001:db8::/32", why: "CIDR: an IPv6 /32" },
    { id: "ip-hot", q: `ip:${hotAddress}`, why: "the busiest address (exact: 3 search keys)" },
    { id: "ip-cold", q: `ip:${coldAddress}`, why: "a rare address" },
    { id: "created-week", q: "created:2026-03-01..2026-03-07", why: "a week, 9 months before the end" },
    { id: "created-old-day", q: "created:2025-01-15", why: "one day near the start of the log" },
    { id: "text-rare", q: "InvalidPackageZip", why: "free text: a word in ~0.01 % of events" },
    { id: "text-common", q: "Darwin", why: "free text: a word in ~1/4 of events (macOS user agents)" },
    { id: "text-phrase", q: '"Composer/2.7.1"', why: "free text: a quoted phrase" },
    {
      id: "combo",
      q: `event:package_access (action:download OR action:download_denied) -actor:${hotToken} -ip:10.20.0.0/16 package:${bigVendor}/*`,
      why: "AND, OR and negations",
    },
    {
      id: "json",
      q: '{"event":"authentication","action":"token_invalid"}',
      why: "the JSON form",
    },
    { id: "oldest-auth", q: "event:authentication", order: "asc", why: "oldest first" },
    {
      id: "deep-50-downloads",
      q: "action:download",
      pages: 51,
      why: "page 1, then next_cursor 50 times (every page timed)",
    },
    { id: "deep-50-all", q: "", pages: 51, why: "no filter, 51 pages" },
    { id: "mid-all", q: "", cursorAt: 0.5, why: "a cursor in the middle of the log" },
    { id: "mid-actor-cold", q: `actor:${coldToken}`, cursorAt: 0.5, why: "a rare actor, from the middle" },
    { id: "mid-vendor-big", q: `package:${bigVendor}/*`, cursorAt: 0.5, why: "prefix, from the middle" },
  ];
}
