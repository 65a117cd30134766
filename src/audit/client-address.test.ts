import { describe, expect, it } from "vitest";
import { ClientAddressResolver } from "./client-address.ts";

describe("ClientAddressResolver", () => {
  it("without trusted proxies the socket's peer is the client, X-Forwarded-For ignored", () => {
    const resolver = new ClientAddressResolver([]);
    expect(resolver.resolve("198.51.100.7", undefined)).toBe("198.51.100.7");
    expect(resolver.resolve("198.51.100.7", "203.0.113.9")).toBe("198.51.100.7");
    expect(resolver.resolve("::ffff:198.51.100.7", "203.0.113.9")).toBe("198.51.100.7");
    expect(resolver.resolve("2001:DB8::7", "203.0.113.9")).toBe("2001:db8::7");
  });

  it("no peer (an in-process request) or an unreadable one is no address", () => {
    const resolver = new ClientAddressResolver(["10.0.0.0/8"]);
    expect(resolver.resolve(undefined, "203.0.113.9")).toBeNull();
    expect(resolver.resolve("", "203.0.113.9")).toBeNull();
    expect(resolver.resolve("not-an-ip", "203.0.113.9")).toBeNull();
  });

  it("believes X-Forwarded-For only from a trusted peer", () => {
    const resolver = new ClientAddressResolver(["10.0.0.0/8", "2001:db8:ffff::/48"]);
    expect(resolver.resolve("10.1.2.3", "203.0.113.9")).toBe("203.0.113.9");
    expect(resolver.resolve("::ffff:10.1.2.3", "203.0.113.9")).toBe("203.0.113.9");
    expect(resolver.resolve("2001:db8:ffff::1", "203.0.113.9")).toBe("203.0.113.9");
    // A client talking to the server directly cannot choose its address.
    expect(resolver.resolve("198.51.100.7", "203.0.113.9")).toBe("198.51.100.7");
    expect(resolver.resolve("2001:db8:fffe::1", "203.0.113.9")).toBe("2001:db8:fffe::1");
    // A trusted peer without the header is the client.
    expect(resolver.resolve("10.1.2.3", undefined)).toBe("10.1.2.3");
  });

  it("takes the rightmost hop that is not a trusted proxy", () => {
    const resolver = new ClientAddressResolver(["10.0.0.1", "10.0.0.2", "192.168.0.0/16"]);
    // The client forged a first entry; the proxies appended the real hops.
    expect(resolver.resolve("10.0.0.1", "6.6.6.6, 203.0.113.9, 10.0.0.2")).toBe("203.0.113.9");
    expect(resolver.resolve("10.0.0.1", "6.6.6.6,203.0.113.9,192.168.4.4,10.0.0.2")).toBe("203.0.113.9");
    expect(resolver.resolve("10.0.0.1", "2001:DB8::9, 10.0.0.2")).toBe("2001:db8::9");
    expect(resolver.resolve("10.0.0.1", "::ffff:203.0.113.9")).toBe("203.0.113.9");
    // Every hop is a trusted proxy: the leftmost (the first proxy's client) is the best known.
    expect(resolver.resolve("10.0.0.1", "192.168.4.4, 10.0.0.2")).toBe("192.168.4.4");
  });

  it("stops at a hop that is not an address: the last trusted hop is the client", () => {
    const resolver = new ClientAddressResolver(["10.0.0.1", "10.0.0.2"]);
    expect(resolver.resolve("10.0.0.1", "garbage")).toBe("10.0.0.1");
    expect(resolver.resolve("10.0.0.1", "")).toBe("10.0.0.1");
    expect(resolver.resolve("10.0.0.1", "203.0.113.9, <script>, 10.0.0.2")).toBe("10.0.0.2");
    expect(resolver.resolve("10.0.0.1", "203.0.113.9,,10.0.0.2")).toBe("10.0.0.2");
    expect(resolver.resolve("10.0.0.1", "203.0.113.9:4711")).toBe("10.0.0.1");
    expect(resolver.resolve("10.0.0.1", "unknown, 203.0.113.9")).toBe("203.0.113.9");
    expect(resolver.resolve("10.0.0.1", `${"1.".repeat(5000)}1`)).toBe("10.0.0.1");
  });
});
