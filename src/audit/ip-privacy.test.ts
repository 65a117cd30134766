import { createHmac } from "node:crypto";
import { describe, expect, it } from "vitest";
import { canonicalIp, reduceIpAddress } from "./ip-privacy.ts";

const key = Buffer.alloc(32, 7);
const otherKey = Buffer.alloc(32, 8);

describe("reduceIpAddress", () => {
  it("full keeps the address, in its canonical form", () => {
    expect(reduceIpAddress("192.0.2.33", "full", key)).toBe("192.0.2.33");
    expect(reduceIpAddress("::ffff:192.0.2.33", "full", key)).toBe("192.0.2.33");
    expect(reduceIpAddress("::FFFF:192.0.2.33", "full", key)).toBe("192.0.2.33");
    expect(reduceIpAddress("::ffff:c000:221", "full", key)).toBe("192.0.2.33");
    expect(reduceIpAddress("2001:db8::1", "full", key)).toBe("2001:db8::1");
    expect(reduceIpAddress("2001:DB8:0:0:0:0:0:1", "full", key)).toBe("2001:db8::1");
    expect(reduceIpAddress("fe80::1%eth0", "full", key)).toBe("fe80::1");
  });

  it("truncate keeps the /24 of IPv4, IPv4-mapped IPv6 included", () => {
    expect(reduceIpAddress("192.0.2.33", "truncate", key)).toBe("192.0.2.0/24");
    expect(reduceIpAddress("203.0.113.255", "truncate", key)).toBe("203.0.113.0/24");
    expect(reduceIpAddress("::ffff:192.0.2.33", "truncate", key)).toBe("192.0.2.0/24");
    expect(reduceIpAddress("::ffff:c000:221", "truncate", key)).toBe("192.0.2.0/24");
  });

  it("truncate keeps the /48 of IPv6, written in RFC 5952 form whatever the input", () => {
    expect(reduceIpAddress("2001:db8::1", "truncate", key)).toBe("2001:db8::/48");
    expect(reduceIpAddress("2001:0DB8:0000:0000:0000:0000:0000:0001", "truncate", key)).toBe("2001:db8::/48");
    expect(reduceIpAddress("2001:db8:1234:5678:9abc::1", "truncate", key)).toBe("2001:db8:1234::/48");
    expect(reduceIpAddress("2001:db8:0:5678::1", "truncate", key)).toBe("2001:db8::/48");
    expect(reduceIpAddress("::1", "truncate", key)).toBe("::/48");
    expect(reduceIpAddress("fe80::1%eth0", "truncate", key)).toBe("fe80::/48");
    // An embedded dotted quad takes two groups: the network is 1:0:2, not 1:0:0.
    expect(reduceIpAddress("1::2:3:4:5:1.2.3.4", "truncate", key)).toBe("1:0:2::/48");
  });

  it("hash is a keyed HMAC-SHA-256 pseudonym: stable, spelling-independent, key-dependent", () => {
    const hashed = reduceIpAddress("192.0.2.33", "hash", key);
    expect(hashed).toMatch(/^hmac:[0-9a-f]{32}$/);
    expect(hashed).toBe(`hmac:${createHmac("sha256", key).update("192.0.2.33").digest("hex").slice(0, 32)}`);
    expect(reduceIpAddress("192.0.2.33", "hash", key)).toBe(hashed);
    expect(reduceIpAddress("::ffff:192.0.2.33", "hash", key)).toBe(hashed);
    expect(reduceIpAddress("192.0.2.34", "hash", key)).not.toBe(hashed);
    expect(reduceIpAddress("192.0.2.33", "hash", otherKey)).not.toBe(hashed);
    expect(hashed).not.toContain("192.0.2");

    const v6 = reduceIpAddress("2001:db8::1", "hash", key);
    expect(reduceIpAddress("2001:DB8:0:0:0:0:0:1", "hash", key)).toBe(v6);
    expect(reduceIpAddress("2001:db8::2", "hash", key)).not.toBe(v6);
  });

  it("none keeps nothing", () => {
    expect(reduceIpAddress("192.0.2.33", "none", key)).toBeNull();
    expect(reduceIpAddress("2001:db8::1", "none", key)).toBeNull();
  });

  it("no address, or something that is not an IP address, is null in every mode", () => {
    for (const mode of ["full", "truncate", "hash", "none"] as const) {
      expect(reduceIpAddress(null, mode, key)).toBeNull();
      for (const garbage of [
        "",
        "unknown",
        "192.0.2",
        "192.0.2.300",
        "010.0.0.1",
        " 192.0.2.1",
        "[::1]",
        "::ffff:999.1.1.1",
      ]) {
        expect(reduceIpAddress(garbage, mode, key), `${mode} ${JSON.stringify(garbage)}`).toBeNull();
      }
    }
  });
});

describe("canonicalIp", () => {
  it.each([
    ["192.0.2.1", "192.0.2.1"],
    ["::ffff:192.0.2.1", "192.0.2.1"],
    ["::ffff:c000:201", "192.0.2.1"],
    ["2001:DB8::0:1", "2001:db8::1"],
    ["2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1"],
    ["0:0:0:0:0:0:0:0", "::"],
    ["64:ff9b::192.0.2.1", "64:ff9b::c000:201"],
    ["not an address", null],
  ])("%s -> %s", (input, expected) => {
    expect(canonicalIp(input)).toBe(expected);
  });
});
