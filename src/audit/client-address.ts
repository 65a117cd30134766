import { BlockList, isIP } from "node:net";
import { canonicalIp } from "./ip-privacy.ts";

/**
 * The client's address: the socket's peer, or, when that peer is a trusted reverse proxy, the
 * rightmost address of X-Forwarded-For that is not itself a trusted proxy. A hop that is not an
 * IP address stops the walk: what lies left of it cannot be believed, so the last trusted hop is
 * the client as far as this server knows. Addresses come back in `canonicalIp` form.
 */
export class ClientAddressResolver {
  readonly #trusted = new BlockList();
  readonly #hasTrusted: boolean;

  constructor(trustedProxies: readonly string[]) {
    for (const entry of trustedProxies) {
      const [address = "", prefix] = entry.split("/");
      const type = isIP(address) === 6 ? "ipv6" : "ipv4";
      if (prefix === undefined) this.#trusted.addAddress(address, type);
      else this.#trusted.addSubnet(address, Number(prefix), type);
    }
    this.#hasTrusted = trustedProxies.length > 0;
  }

  resolve(peer: string | undefined, forwardedFor: string | undefined): string | null {
    let client = peer === undefined ? null : canonicalIp(peer);
    if (client === null) return null;
    if (!this.#hasTrusted || forwardedFor === undefined || !this.#isTrusted(client)) return client;
    const hops = forwardedFor
      .split(",")
      .map((hop) => canonicalIp(hop.trim()))
      .reverse();
    for (const hop of hops) {
      if (hop === null) return client;
      client = hop;
      if (!this.#isTrusted(hop)) return hop;
    }
    return client;
  }

  #isTrusted(address: string): boolean {
    return this.#trusted.check(address, isIP(address) === 6 ? "ipv6" : "ipv4");
  }
}
