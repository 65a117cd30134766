import net from "node:net";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { canonicalIp } from "../ip-privacy.ts";
import { AuditQueryError } from "./audit-query.ts";
import { ipSortKey, parseIpRange } from "./ip-sort-key.ts";

const MAPPED = "00000000000000000000ffff";

function errorOf(run: () => unknown): AuditQueryError {
  try {
    run();
  } catch (error) {
    if (error instanceof AuditQueryError) return error;
    throw error;
  }
  throw new Error("expected an AuditQueryError");
}

describe("ipSortKey", () => {
  it.each([
    ["1.2.3.4", `${MAPPED}01020304`],
    ["0.0.0.0", `${MAPPED}00000000`],
    ["255.255.255.255", `${MAPPED}ffffffff`],
    ["::ffff:1.2.3.4", `${MAPPED}01020304`],
    ["::FFFF:1.2.3.4", `${MAPPED}01020304`],
    ["::ffff:102:304", `${MAPPED}01020304`],
    ["0:0:0:0:0:ffff:0102:0304", `${MAPPED}01020304`],
    ["::", "00000000000000000000000000000000"],
    ["::1", "00000000000000000000000000000001"],
    ["::1.2.3.4", "00000000000000000000000001020304"],
    ["2001:db8::1", "20010db8000000000000000000000001"],
    ["2001:DB8:0:0:0:0:0:1", "20010db8000000000000000000000001"],
    ["2001:0db8:0000:0000:0000:0000:0000:0001", "20010db8000000000000000000000001"],
    ["1:2:3:4:5:6:7:8", "00010002000300040005000600070008"],
    ["1:2:3:4:5:6:7::", "00010002000300040005000600070000"],
    ["::2:3:4:5:6:7:8", "00000002000300040005000600070008"],
    ["1:2:3:4:5:6:1.2.3.4", "00010002000300040005000601020304"],
    ["ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "ffffffffffffffffffffffffffffffff"],
  ])("%s → %s", (address, key) => {
    expect(ipSortKey(address)).toBe(key);
  });

  it.each([
    "",
    " 1.2.3.4",
    "1.2.3.4 ",
    "1.2.3",
    "1.2.3.4.5",
    "01.2.3.4",
    "1.2.3.256",
    "1.2.3.-1",
    "127.1",
    "1.2.3.4/24",
    "203.0.113.0/24",
    "2001:db8::/48",
    "hmac:0123456789abcdef0123456789abcdef",
    "fe80::1%eth0",
    "fe80::1%1",
    ":",
    ":::",
    "1:::2",
    "1::2::3",
    ":1::",
    "1:2:3:4:5:6:7",
    "1:2:3:4:5:6:7:8:9",
    "1:2:3:4:5:6:7:8::",
    "::1:2:3:4:5:6:7:8",
    "12345::",
    "g::1",
    "1.2.3.4::",
    "::1.2.3.4:5",
    "::ffff:01.2.3.4",
    "[::1]",
    "0x1.2.3.4",
    "１.２.３.４",
  ])("%j is not an address", (value) => {
    expect(ipSortKey(value)).toBeNull();
  });

  it("accepts exactly what node:net accepts, except zone ids", () => {
    const hex = fc.constantFrom(..."0123456789abcdefABCDEF:.%/ 1".split(""));
    fc.assert(
      fc.property(fc.string({ unit: hex, maxLength: 45 }), (text) => {
        const expected = !text.includes("%") && net.isIP(text) !== 0;
        expect(ipSortKey(text) !== null).toBe(expected);
      }),
      { numRuns: 5000 },
    );
  });

  it("sorts like the addresses: the key order is the numeric order of the 128-bit values", () => {
    const bytes = fc.uint8Array({ minLength: 16, maxLength: 16 });
    fc.assert(
      fc.property(bytes, bytes, (a, b) => {
        const keyA = ipSortKey(spell(a))!;
        const keyB = ipSortKey(spell(b))!;
        expect(keyA).toBe(Buffer.from(a).toString("hex"));
        // Plain code-unit order, as SQLite's BINARY and PostgreSQL's "C" collations compare.
        expect(keyA < keyB ? -1 : keyA > keyB ? 1 : 0).toBe(Buffer.compare(a, b));
      }),
    );
  });
});

/** The uncompressed IPv6 text of 16 bytes. */
function spell(bytes: Uint8Array): string {
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((bytes[i]! << 8) | bytes[i + 1]!).toString(16));
  return groups.join(":");
}

describe("parseIpRange", () => {
  it.each([
    ["1.2.3.4", `${MAPPED}01020304`, `${MAPPED}01020304`, "1.2.3.4"],
    ["203.0.113.0/24", `${MAPPED}cb007100`, `${MAPPED}cb0071ff`, "203.0.113.0/24"],
    ["0.0.0.0/0", `${MAPPED}00000000`, `${MAPPED}ffffffff`, "0.0.0.0/0"],
    ["1.2.3.4/32", `${MAPPED}01020304`, `${MAPPED}01020304`, "1.2.3.4/32"],
    ["10.0.0.0/8", `${MAPPED}0a000000`, `${MAPPED}0affffff`, "10.0.0.0/8"],
    ["192.168.0.0/31", `${MAPPED}c0a80000`, `${MAPPED}c0a80001`, "192.168.0.0/31"],
    ["128.0.0.0/1", `${MAPPED}80000000`, `${MAPPED}ffffffff`, "128.0.0.0/1"],
    ["::ffff:1.2.3.4", `${MAPPED}01020304`, `${MAPPED}01020304`, "1.2.3.4"],
    ["::ffff:203.0.113.0/120", `${MAPPED}cb007100`, `${MAPPED}cb0071ff`, "203.0.113.0/24"],
    ["::ffff:0:0/96", `${MAPPED}00000000`, `${MAPPED}ffffffff`, "0.0.0.0/0"],
    ["::/0", "0".repeat(32), "f".repeat(32), "::/0"],
    ["::/128", "0".repeat(32), "0".repeat(32), "::/128"],
    ["::1/128", `${"0".repeat(31)}1`, `${"0".repeat(31)}1`, "::1/128"],
    [
      "2001:db8::/32",
      "20010db8000000000000000000000000",
      "20010db8ffffffffffffffffffffffff",
      "2001:db8::/32",
    ],
    [
      "2001:DB8:0:0::/48",
      "20010db8000000000000000000000000",
      "20010db80000ffffffffffffffffffff",
      "2001:db8::/48",
    ],
    [
      "2001:db8::/127",
      "20010db8000000000000000000000000",
      "20010db8000000000000000000000001",
      "2001:db8::/127",
    ],
    [
      "2001:db8::2/127",
      "20010db8000000000000000000000002",
      "20010db8000000000000000000000003",
      "2001:db8::2/127",
    ],
    ["8000::/1", `8${"0".repeat(31)}`, "f".repeat(32), "8000::/1"],
    [
      "2001:0DB8::0001",
      "20010db8000000000000000000000001",
      "20010db8000000000000000000000001",
      "2001:db8::1",
    ],
    [
      "2001:db8:0:0:1:0:0:1",
      "20010db8000000000001000000000001",
      "20010db8000000000001000000000001",
      "2001:db8::1:0:0:1",
    ],
    ["1:0:0:2:0:0:0:3", "00010000000000020000000000000003", "00010000000000020000000000000003", "1:0:0:2::3"],
    [
      "1:0:2:3:4:5:6:7",
      "00010000000200030004000500060007",
      "00010000000200030004000500060007",
      "1:0:2:3:4:5:6:7",
    ],
  ])("%s", (text, first, last, normalised) => {
    expect(parseIpRange(text)).toEqual({ first, last, text: normalised });
  });

  it.each([
    ["203.0.113.5/24", 0, "host bits set in 203.0.113.5/24 at position 0; did you mean 203.0.113.0/24?"],
    ["1.2.3.4/0", 0, "did you mean 0.0.0.0/0?"],
    ["2001:db8::1/32", 0, "did you mean 2001:db8::/32?"],
    ["2001:db8::1/127", 0, "did you mean 2001:db8::/127?"],
    ["::ffff:1.2.3.4/120", 0, "did you mean 1.2.3.0/24?"],
    ["1.2.3.4/33", 8, 'invalid prefix length "33" at position 8; an IPv4 block takes /0 to /32'],
    ["::/129", 3, "an IPv6 block takes /0 to /128"],
    ["1.2.3.0/", 8, 'invalid prefix length ""'],
    ["1.2.3.0/024", 8, 'invalid prefix length "024"'],
    ["1.2.3.0/+24", 8, "invalid prefix length"],
    ["1.2.3.0/24/24", 8, 'invalid prefix length "24/24"'],
    ["1.2.3.0/1e1", 8, "invalid prefix length"],
    ["1.2.3/24", 0, 'invalid IP address "1.2.3"'],
    ["", 0, 'invalid IP address ""'],
    ["hmac:ab12", 0, "invalid IP address"],
    ["fe80::1%eth0", 7, "IPv6 zone ids are not supported at position 7"],
  ])("%j fails at %i", (text, position, message) => {
    const error = errorOf(() => parseIpRange(text));
    expect(error.position).toBe(position);
    expect(error.message).toContain(message);
  });

  it("maps error positions through positionOf", () => {
    expect(errorOf(() => parseIpRange("1.2.3.4/40", (index) => index + 3)).position).toBe(11);
  });

  it("normalises an address to the form ip-privacy.ts stores (what `exact` is compared with)", () => {
    const bytes = fc.uint8Array({ minLength: 16, maxLength: 16 });
    const mapped = fc
      .uint8Array({ minLength: 4, maxLength: 4 })
      .map((v4) => Uint8Array.from([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, ...v4]));
    const sparse = fc
      .array(fc.constantFrom(0, 0, 0, 1, 0xffff), { minLength: 8, maxLength: 8 })
      .map((words) => Uint8Array.from(words.flatMap((word) => [word >> 8, word & 0xff])));
    fc.assert(
      fc.property(fc.oneof(bytes, mapped, sparse), fc.boolean(), (address, upper) => {
        const written = upper ? spell(address).toUpperCase() : spell(address);
        expect(parseIpRange(written).text).toBe(canonicalIp(written));
        expect(parseIpRange(canonicalIp(written)!).text).toBe(canonicalIp(written));
      }),
      { numRuns: 2000 },
    );
  });

  it("contains exactly the addresses of the block", () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 4, maxLength: 4 }),
        fc.integer({ min: 0, max: 32 }),
        fc.uint8Array({ minLength: 4, maxLength: 4 }),
        (network, prefix, probe) => {
          const value = (b: Uint8Array): number =>
            ((b[0]! << 24) | (b[1]! << 16) | (b[2]! << 8) | b[3]!) >>> 0;
          const mask = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
          const base = (value(network) & mask) >>> 0;
          const text = `${[base >>> 24, (base >>> 16) & 0xff, (base >>> 8) & 0xff, base & 0xff].join(".")}/${prefix}`;
          const range = parseIpRange(text);
          const key = ipSortKey(probe.join("."))!;
          const inside = (value(probe) & mask) >>> 0 === base;
          expect(range.first <= key && key <= range.last).toBe(inside);
        },
      ),
      { numRuns: 2000 },
    );
  });
});
