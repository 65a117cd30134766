import { describe, expect, it } from "vitest";
import { storedAddress } from "./stored-address.ts";

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
