import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { storedAddress, type StoredAddress } from "./stored-address.ts";

describe("storedAddress", () => {
  it("recognises what each PB_AUDIT_IP_MODE stores", () => {
    expect(storedAddress("192.0.2.17")).toEqual({ kind: "ipv4", value: "192.0.2.17" });
    expect(storedAddress("2001:db8::1")).toEqual({ kind: "ipv6", value: "2001:db8::1" });
    expect(storedAddress("::ffff:192.0.2.1")).toEqual({ kind: "ipv6", value: "::ffff:192.0.2.1" });
    expect(storedAddress("192.0.2.0/24")).toEqual({ kind: "network", value: "192.0.2.0/24" });
    expect(storedAddress("2001:db8:1::/48")).toEqual({ kind: "network", value: "2001:db8:1::/48" });
    expect(storedAddress("hmac:0123456789abcdef0123456789abcdef")).toEqual({
      kind: "hmac",
      value: "hmac:0123456789abcdef0123456789abcdef",
    });
    expect(storedAddress(null)).toBeNull();
    expect(storedAddress("")).toBeNull();
  });

  it("never calls something an address that an IP field would reject", () => {
    for (const text of [
      "256.0.0.1",
      "01.2.3.4",
      "1.2.3",
      "1.2.3.4.5",
      "1.2.3.4 ",
      "2001:db8::1::2",
      "2001:db8::g",
      "fe80::1%eth0",
      "[::1]",
      "::1]/x@evil",
      "192.0.2.0/33",
      "192.0.2.0/024",
      "2001:db8::/129",
      "hmac:0123",
      "HMAC:0123456789ABCDEF0123456789ABCDEF",
      "localhost",
      "=1+1",
    ]) {
      expect(storedAddress(text)?.kind, text).toBe("other");
    }
  });
});

/** The classification as it was before isIpv6 remembered its verdicts: a URL parse every time. */
function referenceStoredAddress(ipAddress: string | null): StoredAddress | null {
  const octet = "(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])";
  const ipv4 = new RegExp(`^${octet}(?:\\.${octet}){3}$`);
  const isIpv6 = (text: string): boolean => {
    if (!text.includes(":") || !/^[0-9A-Fa-f:.]+$/.test(text)) return false;
    try {
      new URL(`http://[${text}]/`);
      return true;
    } catch {
      return false;
    }
  };
  const isNetwork = (text: string): boolean => {
    const slash = text.lastIndexOf("/");
    if (slash < 0) return false;
    const address = text.slice(0, slash);
    const prefix = text.slice(slash + 1);
    if (!/^(?:0|[1-9][0-9]{0,2})$/.test(prefix)) return false;
    const bits = Number(prefix);
    if (ipv4.test(address)) return bits <= 32;
    return isIpv6(address) && bits <= 128;
  };
  if (ipAddress === null || ipAddress === "") return null;
  if (ipv4.test(ipAddress)) return { kind: "ipv4", value: ipAddress };
  if (isIpv6(ipAddress)) return { kind: "ipv6", value: ipAddress };
  if (/^hmac:[0-9a-f]{32}$/.test(ipAddress)) return { kind: "hmac", value: ipAddress };
  if (isNetwork(ipAddress)) return { kind: "network", value: ipAddress };
  return { kind: "other", value: ipAddress };
}

describe("storedAddress against the reference without remembered verdicts", () => {
  const candidates = fc.oneof(
    fc.ipV4(),
    fc.ipV6(),
    fc.tuple(fc.oneof(fc.ipV4(), fc.ipV6()), fc.nat({ max: 300 })).map(([ip, bits]) => `${ip}/${bits}`),
    fc.string({ unit: fc.constantFrom(...Array.from("0123456789abcdefABCDEFG:./%[]")) }),
    fc.string(),
  );

  it("classifies any text alike, the first time and again (property)", () => {
    fc.assert(
      fc.property(fc.array(candidates, { maxLength: 20 }), (texts) => {
        // Twice over, so the second round reads the verdicts the first one remembered.
        for (const text of [...texts, ...texts])
          expect(storedAddress(text)).toEqual(referenceStoredAddress(text));
      }),
      { numRuns: 500 },
    );
  });

  it("stays right when more addresses come than it remembers", () => {
    const texts = Array.from(
      { length: 10_000 },
      (_, i) => `2001:db8:${(i % 5000).toString(16)}::${i % 7 === 0 ? "g" : "1"}`,
    );
    for (const text of [...texts, ...texts.toReversed()]) {
      expect(storedAddress(text)).toEqual(referenceStoredAddress(text));
      expect(storedAddress(`${text}/64`)).toEqual(referenceStoredAddress(`${text}/64`));
    }
  });
});
