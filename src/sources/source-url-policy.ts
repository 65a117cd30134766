import { promises as dns } from "node:dns";
import { BlockList, isIP } from "node:net";
import path from "node:path";
import { DomainError, invalidInput } from "../errors/domain-error.ts";

export type SourceUrlKind = "https" | "http" | "ssh" | "file" | "local-path";

export interface ClassifiedSourceUrl {
  readonly kind: SourceUrlKind;
  /** The host to connect to (IP literals without brackets, IPv4 in dotted form); null for local sources. */
  readonly host: string | null;
  /** The URL as git is given it, canonicalised where that does not change its meaning. */
  readonly normalized: string;
}

export interface SourcePolicyOptions {
  readonly allowPrivate: boolean;
  /** Resolves a host name to its addresses; defaults to `dns.promises.lookup(host, { all: true })`. */
  readonly resolve?: (host: string) => Promise<string[]>;
}

const MAX_URL_LENGTH = 2048;
const HOST_NAME = /^[A-Za-z0-9_](?:[A-Za-z0-9_.-]*[A-Za-z0-9_])?\.?$/;
// user@host:path, where no slash comes before the colon (git's own rule for scp-like addresses).
const SCP_LIKE = /^(?:([^@/:\s]+)@)?([^@/:\s[\]]+|\[[0-9A-Fa-f:.]+\]):(?!\/\/)(.+)$/;
const TRANSPORT_HELPER = /^[A-Za-z][A-Za-z0-9+.-]*::/;

/**
 * What kind of git source a repository URL names. Everything git could treat as something else
 * (transport helpers such as `ext::` and `fd::`, relative paths, option-looking strings, control
 * characters) is refused with code "InvalidRepositoryUrl".
 */
export function classifySourceUrl(url: string): ClassifiedSourceUrl {
  if (url.length === 0) throw invalidUrl("the repository URL is empty");
  if (url.length > MAX_URL_LENGTH) {
    throw invalidUrl(`the repository URL is longer than ${MAX_URL_LENGTH} characters`);
  }
  if (/\p{Cc}/u.test(url)) throw invalidUrl("the repository URL contains control characters");
  if (url.startsWith("-")) throw invalidUrl("the repository URL must not start with '-'");
  if (TRANSPORT_HELPER.test(url)) {
    throw invalidUrl(
      "git transport helpers (such as ext:: or fd::) are not allowed; use https, ssh or a path",
    );
  }
  if (url.startsWith("/")) {
    return { kind: "local-path", host: null, normalized: path.posix.normalize(url) };
  }
  const scheme = /^([A-Za-z][A-Za-z0-9+.-]*):\/\//.exec(url)?.[1]?.toLowerCase();
  if (scheme !== undefined) return classifyUrlWithScheme(url, scheme);
  if (/\s/.test(url)) throw invalidUrl("the repository URL contains white space");
  const scp = SCP_LIKE.exec(url);
  if (scp !== null) {
    const [, user, rawHost = "", repositoryPath = ""] = scp;
    if (rawHost.length === 1 && /^[A-Za-z]$/.test(rawHost)) {
      throw invalidUrl("the repository URL looks like a Windows drive path; use an absolute path or a URL");
    }
    if (/^(https?|ssh|git|file)$/i.test(rawHost)) {
      throw invalidUrl(`the repository URL looks like a malformed ${rawHost}:// URL`);
    }
    const host = checkedHost(rawHost);
    if (user?.startsWith("-") === true || repositoryPath.startsWith("-")) {
      throw invalidUrl("the user and path of an ssh address must not start with '-'");
    }
    return { kind: "ssh", host, normalized: url };
  }
  throw invalidUrl(
    "the repository URL must be https://, http://, ssh://, user@host:path, file:/// or an absolute path",
  );
}

function classifyUrlWithScheme(url: string, scheme: string): ClassifiedSourceUrl {
  if (/\s/.test(url)) throw invalidUrl("the repository URL contains white space");
  // Backslashes and several @ are read differently by URL parsers (WHATWG, curl, ssh): refused.
  if (url.includes("\\")) throw invalidUrl("the repository URL must not contain backslashes");
  const authority = url.slice(scheme.length + 3).split("/", 1)[0] ?? "";
  if ((authority.match(/@/g) ?? []).length > 1) throw invalidUrl("the repository URL has more than one '@'");
  if (scheme !== "file" && /^@?$/.test(authority.replace(/^.*@/, "@"))) {
    throw invalidUrl("the repository URL has no host");
  }
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw invalidUrl("the repository URL is not a valid URL");
  }
  switch (scheme) {
    case "https":
    case "http": {
      const host = checkedHost(parsed.hostname);
      return { kind: scheme, host, normalized: parsed.href };
    }
    case "ssh":
    case "git+ssh":
    case "ssh+git": {
      const host = checkedHost(parsed.hostname);
      if (decodeURIComponent(parsed.username).startsWith("-")) {
        throw invalidUrl("the user of an ssh URL must not start with '-'");
      }
      if (parsed.password !== "") throw invalidUrl("an ssh URL must not contain a password; use a key");
      return { kind: "ssh", host, normalized: url };
    }
    case "file": {
      if (parsed.hostname !== "" && parsed.hostname !== "localhost") {
        throw invalidUrl("a file:// URL must not name a host (use file:///absolute/path)");
      }
      if (parsed.pathname === "" || parsed.pathname === "/") throw invalidUrl("the file:// URL has no path");
      return { kind: "file", host: null, normalized: `file://${parsed.pathname}` };
    }
    default:
      throw invalidUrl(`the URL scheme "${scheme}" is not supported; use https, http, ssh or file`);
  }
}

/** The host as it will be connected to: brackets removed, numeric IPv4 forms made dotted. */
function checkedHost(rawHost: string): string {
  if (rawHost === "") throw invalidUrl("the repository URL has no host");
  if (rawHost.startsWith("-")) throw invalidUrl("the host of the repository URL must not start with '-'");
  const bare = rawHost.startsWith("[") && rawHost.endsWith("]") ? rawHost.slice(1, -1) : rawHost;
  if (isIP(bare) === 6) return canonicalIpv6(bare) ?? bare;
  if (!HOST_NAME.test(bare)) throw invalidUrl(`"${bare}" is not a valid host name`);
  // WHATWG URL parsing turns 2130706433, 0x7f.1 and 0177.0.0.1 into 127.0.0.1, as the resolver would.
  try {
    return new URL(`http://${bare}/`).hostname;
  } catch {
    throw invalidUrl(`"${bare}" is not a valid host name`);
  }
}

function canonicalIpv6(address: string): string | null {
  try {
    return new URL(`http://[${address}]/`).hostname.slice(1, -1);
  } catch {
    return null;
  }
}

function invalidUrl(message: string): DomainError {
  // The URL itself is not echoed: it may carry credentials.
  return invalidInput("InvalidRepositoryUrl", `${message}.`);
}

const blocked = new BlockList();
for (const [network, prefix] of [
  ["0.0.0.0", 8], // "this network", includes the unspecified address
  ["10.0.0.0", 8],
  ["100.64.0.0", 10], // carrier-grade NAT
  ["127.0.0.0", 8],
  ["169.254.0.0", 16],
  ["172.16.0.0", 12],
  ["192.0.0.0", 24],
  ["192.168.0.0", 16],
  ["198.18.0.0", 15],
  ["224.0.0.0", 4], // multicast
  ["240.0.0.0", 4], // reserved, broadcast
] as const) {
  blocked.addSubnet(network, prefix, "ipv4");
}
for (const [network, prefix] of [
  ["::", 96], // unspecified, loopback, IPv4-compatible
  ["100::", 64], // discard
  ["fc00::", 7], // unique local
  ["fe80::", 10], // link-local
  ["fec0::", 10], // site-local (deprecated)
  ["ff00::", 8], // multicast
] as const) {
  blocked.addSubnet(network, prefix, "ipv6");
}

/**
 * Whether an address is loopback, link-local, private, CGNAT, unspecified, multicast or
 * reserved, also when an IPv4 address is written inside IPv6 (mapped, NAT64, 6to4).
 */
export function isPrivateAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 4) return blocked.check(address, "ipv4");
  if (family !== 6) return true;
  const canonical = canonicalIpv6(address.replace(/%.*$/, ""));
  if (canonical === null) return true;
  if (blocked.check(canonical, "ipv6")) return true;
  const embedded = embeddedIpv4(canonical);
  return embedded !== null && blocked.check(embedded, "ipv4");
}

/** The IPv4 address inside an IPv4-mapped, NAT64 (64:ff9b::/96) or 6to4 (2002::/16) address. */
function embeddedIpv4(address: string): string | null {
  const groups = expandIpv6(address);
  if (groups === null) return null;
  const dotted = (high: number, low: number): string => `${high >> 8}.${high & 255}.${low >> 8}.${low & 255}`;
  const zeros = (from: number, to: number): boolean => groups.slice(from, to).every((group) => group === 0);
  if (zeros(0, 5) && groups[5] === 0xffff) return dotted(groups[6] ?? 0, groups[7] ?? 0);
  if (groups[0] === 0x64 && groups[1] === 0xff9b && zeros(2, 6))
    return dotted(groups[6] ?? 0, groups[7] ?? 0);
  if (groups[0] === 0x2002) return dotted(groups[1] ?? 0, groups[2] ?? 0);
  return null;
}

function expandIpv6(address: string): number[] | null {
  let text = address;
  const dottedTail = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (dottedTail !== null) {
    const [a, b, c, d] = dottedTail.slice(1).map(Number) as [number, number, number, number];
    text = `${text.slice(0, dottedTail.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head = "", tail, ...rest] = text.split("::");
  if (rest.length > 0) return null;
  const parse = (part: string): number[] =>
    part === "" ? [] : part.split(":").map((group) => parseInt(group, 16));
  const left = parse(head);
  const right = tail === undefined ? [] : parse(tail);
  const missing = 8 - left.length - right.length;
  if (missing < 0 || (tail === undefined && missing !== 0)) return null;
  const groups = [...left, ...Array<number>(missing).fill(0), ...right];
  return groups.every((group) => Number.isInteger(group) && group >= 0 && group <= 0xffff) ? groups : null;
}

/**
 * Refuses sources that would let a user of the API reach the server's own network: local paths
 * and file:// URLs, and hosts that are, or resolve to, loopback, link-local, private, CGNAT,
 * unspecified, multicast or reserved addresses. PB_ALLOW_PRIVATE_SOURCES=true lifts the rule.
 */
export async function assertSourceAllowed(url: string, options: SourcePolicyOptions): Promise<void> {
  const source = classifySourceUrl(url);
  if (options.allowPrivate) return;
  if (source.host === null) {
    throw privateRefused(
      `local ${source.kind === "file" ? "file:// URLs" : "paths"} are not allowed as sources`,
    );
  }
  const host = source.host;
  if (/^localhost\.?$|\.localhost\.?$/i.test(host)) {
    throw privateRefused(`the repository host "${host}" is a loopback address`);
  }
  const addresses = isIP(host) === 0 ? await resolveHost(host, options.resolve ?? lookupAll) : [host];
  const hidden = addresses.filter(isPrivateAddress);
  if (hidden.length > 0) {
    const shown = host === hidden[0] ? `"${host}"` : `"${host}" (${hidden.join(", ")})`;
    throw privateRefused(
      `the repository host ${shown} is a loopback, link-local, private or reserved address`,
    );
  }
}

async function resolveHost(host: string, resolve: (host: string) => Promise<string[]>): Promise<string[]> {
  let addresses: string[];
  try {
    addresses = await resolve(host);
  } catch {
    addresses = [];
  }
  if (addresses.length === 0) {
    throw invalidInput("RepositoryHostNotFound", `the repository host "${host}" cannot be resolved.`, {
      host,
    });
  }
  return addresses;
}

async function lookupAll(host: string): Promise<string[]> {
  const found = await dns.lookup(host, { all: true, order: "verbatim" });
  return found.map((entry) => entry.address);
}

function privateRefused(reason: string): DomainError {
  return invalidInput(
    "PrivateSourceRefused",
    `${reason}; the server refuses them unless its operator sets PB_ALLOW_PRIVATE_SOURCES=true.`,
  );
}
