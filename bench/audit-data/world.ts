import { canonicalIp } from "../../src/audit/ip-privacy.ts";
import { Random, Zipf } from "./random.ts";

/**
 * The population the synthetic audit log is drawn from: token fingerprints, packages and their
 * versions, repositories, client addresses, user agents. Everything is derived from the seed, and
 * nothing depends on how many events are generated, so `bench/audit-search/run.ts` rebuilds the
 * same world to pick its query values (the hottest token, a cold one, a vendor, a /16, ...).
 *
 * Popularity is Zipf-skewed over a shuffled order, so the hottest package is not simply the first
 * one created: rank r (0 = hottest) of a population is `xByRank(r)`.
 */
export interface WorldOptions {
  readonly seed: number;
  readonly tokens: number;
  readonly packages: number;
  readonly addresses: number;
}

export const DEFAULT_WORLD: WorldOptions = {
  seed: 20261127,
  tokens: 3000,
  packages: 20_000,
  addresses: 50_000,
};

const BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
const CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

export interface WorldToken {
  /** `pb_Ab3d…x9Yz`, as `tokenFingerprint` writes it. */
  readonly fingerprint: string;
  /** The token's row id (`target.id` of token events). */
  readonly id: string;
  readonly description: string;
  readonly scopes: readonly string[];
  readonly packages: readonly string[];
  /** The addresses it usually comes from (CI runners, an office), by address rank. */
  readonly homes: readonly number[];
  /** Its usual user agent, by rank. */
  readonly userAgent: number;
  readonly authMethod: "basic" | "bearer";
}

export interface WorldPackage {
  readonly name: string;
  /** Normalised versions, oldest first (`1.4.2.0`, and `dev-main` last). */
  readonly versions: readonly string[];
  /** The repository it is synced from, by index. */
  readonly repository: number;
}

export interface WorldRepository {
  readonly id: string;
  readonly name: string;
  readonly url: string;
  readonly type: "vcs" | "artifact";
  /** Its packages, by index into `packages`. */
  readonly packages: readonly number[];
}

export class World {
  readonly options: WorldOptions;
  readonly tokens: readonly WorldToken[];
  /** In creation order; `packageByRank` gives popularity. */
  readonly packages: readonly WorldPackage[];
  readonly repositories: readonly WorldRepository[];
  /** Canonical addresses (what PB_AUDIT_IP_MODE=full stores). */
  readonly addresses: readonly string[];
  readonly userAgents: readonly string[];
  /** Non-Composer clients (scanners, curl, scripts). */
  readonly otherAgents: readonly string[];
  /** Vendors, largest first: `[vendor, package count]`. */
  readonly vendors: readonly (readonly [string, number])[];
  readonly tokenZipf: Zipf;
  readonly packageZipf: Zipf;
  readonly addressZipf: Zipf;
  readonly userAgentZipf: Zipf;
  readonly #packageOrder: readonly number[];

  constructor(options: WorldOptions = DEFAULT_WORLD) {
    this.options = options;
    const random = new Random(options.seed);
    this.addresses = makeAddresses(random.fork(), options.addresses);
    this.userAgents = makeUserAgents(random.fork());
    this.otherAgents = [
      "curl/8.5.0",
      "curl/7.88.1",
      "python-requests/2.31.0",
      "Go-http-client/1.1",
      "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0",
      "Renovate/37.440.7",
      "Dependabot/1.0",
    ];
    const { packages, vendors, repositories } = makePackages(random.fork(), options.packages);
    this.packages = packages;
    this.vendors = vendors;
    this.repositories = repositories;
    this.tokens = makeTokens(random.fork(), options.tokens, options.addresses, vendors);
    this.#packageOrder = random.fork().shuffled(packages.map((_, i) => i));
    this.tokenZipf = new Zipf(options.tokens, 1.0);
    this.packageZipf = new Zipf(options.packages, 0.9);
    this.addressZipf = new Zipf(options.addresses, 1.0);
    this.userAgentZipf = new Zipf(this.userAgents.length, 1.2);
  }

  tokenByRank(rank: number): WorldToken {
    return at(this.tokens, rank);
  }

  packageByRank(rank: number): WorldPackage {
    return at(this.packages, at(this.#packageOrder, rank));
  }

  addressByRank(rank: number): string {
    return at(this.addresses, rank);
  }
}

export function at<T>(items: readonly T[], index: number): T {
  const item = items[index];
  if (item === undefined) throw new RangeError(`index ${index} out of ${items.length}`);
  return item;
}

/**
 * Client addresses: IPv4 in a few /16s (an office LAN, CI runners, two cloud ranges, home
 * offices) and about 10 % IPv6, shuffled so popularity does not follow the ranges.
 */
function makeAddresses(random: Random, count: number): string[] {
  const ranges: [weight: number, make: () => string][] = [
    [0.3, () => `10.20.${random.int(256)}.${1 + random.int(254)}`],
    [0.2, () => `10.21.${random.int(64)}.${1 + random.int(254)}`],
    [0.15, () => `172.16.${random.int(256)}.${1 + random.int(254)}`],
    [0.1, () => `198.51.${random.int(256)}.${1 + random.int(254)}`],
    [0.08, () => `203.0.${random.int(256)}.${1 + random.int(254)}`],
    [0.07, () => `192.168.${random.int(16)}.${1 + random.int(254)}`],
    [
      0.06,
      () =>
        `2001:db8:${(0x100 + random.int(16)).toString(16)}:${random.int(0x10000).toString(16)}::${random.int(0x10000).toString(16)}`,
    ],
    [
      0.04,
      () =>
        `2a01:4f8:${random.int(0x10000).toString(16)}:${random.int(0x10000).toString(16)}:${random.int(0x10000).toString(16)}:${random.int(0x10000).toString(16)}:${random.int(0x10000).toString(16)}:${random.int(0x10000).toString(16)}`,
    ],
  ];
  const seen = new Set<string>();
  while (seen.size < count) {
    let u = random.next();
    let make = ranges[0]![1];
    for (const [weight, candidate] of ranges) {
      make = candidate;
      if (u < weight) break;
      u -= weight;
    }
    const ip = canonicalIp(make());
    if (ip !== null) seen.add(ip);
  }
  return random.shuffled([...seen]);
}

function makeUserAgents(random: Random): string[] {
  const composer = [
    "2.2.24",
    "2.5.8",
    "2.6.6",
    "2.7.1",
    "2.7.7",
    "2.7.9",
    "2.8.1",
    "2.8.4",
    "2.8.5",
    "2.8.8",
  ];
  const php = ["8.1.29", "8.2.7", "8.2.20", "8.3.9", "8.3.14", "8.4.1", "8.4.5"];
  const systems = [
    "Linux; 6.1.0-18-amd64",
    "Linux; 5.15.0-105-generic",
    "Linux; 6.8.0-1014-azure",
    "Linux; 6.5.0-1020-aws",
    "Darwin; 23.5.0",
    "Darwin; 24.1.0",
    "Windows NT; 10.0",
  ];
  const curl = ["7.88.1", "8.5.0", "8.7.1"];
  const agents = new Set<string>();
  while (agents.size < 150) {
    const p = random.pick(php);
    const ci = random.chance(0.3) ? "; CI" : "";
    agents.add(
      `Composer/${random.pick(composer)} (${random.pick(systems)}; PHP ${p}; cURL ${random.pick(curl)}; Platform-PHP ${p}${ci})`,
    );
  }
  return random.shuffled([...agents]);
}

const SYLLABLES = [
  "ka",
  "lo",
  "mi",
  "ra",
  "ven",
  "tor",
  "bel",
  "sun",
  "dar",
  "qu",
  "ix",
  "no",
  "pe",
  "sa",
  "ti",
  "vo",
  "zen",
  "ar",
  "el",
  "un",
  "gra",
  "fly",
  "mor",
  "lin",
  "cas",
  "dor",
  "fen",
  "hal",
  "jin",
];
const WORDS = [
  "api",
  "auth",
  "billing",
  "bridge",
  "bundle",
  "cache",
  "cli",
  "client",
  "config",
  "console",
  "core",
  "crypto",
  "data",
  "debug",
  "di",
  "dto",
  "events",
  "forms",
  "framework",
  "geo",
  "http",
  "i18n",
  "image",
  "kernel",
  "log",
  "mail",
  "messenger",
  "money",
  "orm",
  "pdf",
  "queue",
  "router",
  "sdk",
  "search",
  "security",
  "serializer",
  "storage",
  "string",
  "support",
  "test",
  "uuid",
  "validator",
  "view",
  "worker",
  "yaml",
  "zip",
  "admin",
  "audit",
  "sso",
  "webhook",
];

function name(random: Random, syllables: number): string {
  let out = "";
  for (let i = 0; i < syllables; i++) out += random.pick(SYLLABLES);
  return out;
}

/**
 * Packages of about 1,200 vendors with Zipf-sized catalogs; the largest is `acme` (the
 * organisation's own packages), the rest public and third-party vendors.
 */
function makePackages(
  random: Random,
  count: number,
): { packages: WorldPackage[]; vendors: [string, number][]; repositories: WorldRepository[] } {
  const vendorCount = Math.max(1, Math.round(count / 16));
  const vendorZipf = new Zipf(vendorCount, 1.1);
  const vendorNames: string[] = ["acme"];
  const taken = new Set(vendorNames);
  while (vendorNames.length < vendorCount) {
    const candidate = name(random, 2 + random.int(2));
    if (!taken.has(candidate)) {
      taken.add(candidate);
      vendorNames.push(candidate);
    }
  }
  const names = new Set<string>();
  const perVendor = new Map<string, number>();
  const packages: { name: string; vendor: number }[] = [];
  while (packages.length < count) {
    const vendor = vendorZipf.sample(random);
    const vendorName = at(vendorNames, vendor);
    const base = random.chance(0.5) ? random.pick(WORDS) : name(random, 2);
    const candidate = random.chance(0.6)
      ? `${vendorName}/${base}`
      : `${vendorName}/${base}-${random.pick(WORDS)}`;
    if (names.has(candidate)) continue;
    names.add(candidate);
    packages.push({ name: candidate, vendor });
    perVendor.set(vendorName, (perVendor.get(vendorName) ?? 0) + 1);
  }
  // One repository per vendor and kind of source, so a repository holds a vendor's packages.
  const repositories: WorldRepository[] = [];
  const repositoryOf = new Map<number, number>();
  const members: number[][] = [];
  packages.forEach((pkg, index) => {
    let repository = repositoryOf.get(pkg.vendor);
    if (repository === undefined) {
      repository = repositories.length;
      repositoryOf.set(pkg.vendor, repository);
      const vendorName = at(vendorNames, pkg.vendor);
      const artifact = random.chance(0.1);
      repositories.push({
        id: ulidLike(random, 1_700_000_000_000 + repository * 1000),
        name: `${vendorName}-${artifact ? "artifacts" : "git"}`,
        url: artifact
          ? `file:///srv/artifacts/${vendorName}`
          : `https://git.example.com/${vendorName}/packages.git`,
        type: artifact ? "artifact" : "vcs",
        packages: [],
      });
      members.push([]);
    }
    members[repository]?.push(index);
  });
  const withVersions: WorldPackage[] = packages.map((pkg) => {
    const versions: string[] = [];
    const n = Math.min(60, random.geometric(8));
    let major = random.int(3);
    let minor = random.int(4);
    let patch = random.int(3);
    for (let i = 0; i < n; i++) {
      versions.push(`${major}.${minor}.${patch}.0`);
      const step = random.next();
      if (step < 0.65) patch++;
      else if (step < 0.95) {
        minor++;
        patch = 0;
      } else {
        major++;
        minor = 0;
        patch = 0;
      }
    }
    versions.push("dev-main");
    return { name: pkg.name, versions, repository: repositoryOf.get(pkg.vendor) ?? 0 };
  });
  return {
    packages: withVersions,
    vendors: [...perVendor.entries()].sort((a, b) => b[1] - a[1]),
    repositories: repositories.map((repository, index) => ({
      ...repository,
      packages: members[index] ?? [],
    })),
  };
}

function makeTokens(
  random: Random,
  count: number,
  addresses: number,
  vendors: readonly (readonly [string, number])[],
): WorldToken[] {
  const fingerprints = new Set<string>();
  const tokens: WorldToken[] = [];
  const homeZipf = new Zipf(addresses, 0.8);
  while (tokens.length < count) {
    const fingerprint = `pb_${random.string(BASE62, 4)}…${random.string(BASE62, 4)}`;
    if (fingerprints.has(fingerprint)) continue;
    fingerprints.add(fingerprint);
    const index = tokens.length;
    const kind = random.next();
    const scopes = kind < 0.85 ? ["read"] : kind < 0.97 ? ["read", "write"] : ["read", "write", "admin"];
    const homes = Array.from({ length: 1 + random.int(4) }, () => homeZipf.sample(random));
    tokens.push({
      fingerprint,
      id: ulidLike(random, 1_700_000_000_000 + index * 60_000),
      description: kind < 0.6 ? `ci ${name(random, 2)}` : `${name(random, 2)}@example.com laptop`,
      scopes,
      packages: random.chance(0.8) ? ["*"] : [`${at(vendors, random.int(Math.min(5, vendors.length)))[0]}/*`],
      homes,
      userAgent: random.int(150),
      authMethod: random.chance(0.7) ? "basic" : "bearer",
    });
  }
  return tokens;
}

/** A ULID-shaped id for a given time, from the seeded generator (no dependency on ulid's API). */
export function ulidLike(random: Random, ms: number): string {
  let time = "";
  let rest = Math.floor(ms);
  for (let i = 0; i < 10; i++) {
    time = CROCKFORD.charAt(rest % 32) + time;
    rest = Math.floor(rest / 32);
  }
  return time + random.string(CROCKFORD, 16);
}
