import { describe, expect, it } from "vitest";
import { decodeTarHeader, encodeTarHeader, TAR_BLOCK, tarPadding } from "./tar-header.ts";

describe("tar headers", () => {
  it("round-trips a name and a size, octal below 8 GiB and base-256 above", () => {
    for (const size of [0, 1, 511, 512, 8 ** 11 - 1, 8 ** 11, 3 * 2 ** 40]) {
      const header = encodeTarHeader("blobs/abc", size, 1_700_000_000);
      expect(header).toHaveLength(TAR_BLOCK);
      expect(decodeTarHeader(header)).toEqual({ name: "blobs/abc", size });
    }
  });

  it("reads the end-of-archive block as null", () => {
    expect(decodeTarHeader(Buffer.alloc(TAR_BLOCK))).toBeNull();
  });

  it("pads members to whole blocks", () => {
    expect([0, 1, 511, 512, 513].map(tarPadding)).toEqual([0, 511, 1, 0, 511]);
  });

  it("refuses names it cannot write", () => {
    expect(() => encodeTarHeader("", 1, 0)).toThrow(/must be 1 to 100 bytes/);
    expect(() => encodeTarHeader("x".repeat(101), 1, 0)).toThrow(/must be 1 to 100 bytes/);
    expect(() => encodeTarHeader("x", -1, 0)).toThrow(/is not a size/);
  });

  it.each([
    ["a flipped byte", (header: Buffer) => (header[3] = 0x41), /checksum does not match/],
    ["no ustar magic", (header: Buffer) => header.write("xxxxx", 257, "latin1"), /not a ustar header/],
    [
      "a symlink",
      (header: Buffer) => {
        rechecksum(header, () => header.write("2", 156, "latin1"));
      },
      /member type "2"/,
    ],
    [
      "a name prefix",
      (header: Buffer) => {
        rechecksum(header, () => (header[345] = 0x61));
      },
      /uses a name prefix/,
    ],
    [
      "a malformed size",
      (header: Buffer) => {
        rechecksum(header, () => header.write("9", 124, "latin1"));
      },
      /malformed number/,
    ],
    ["a short block", (header: Buffer) => header, /cut short/, 100],
  ])("refuses a header with %s", (_, spoil, message, length = TAR_BLOCK) => {
    const header = encodeTarHeader("database/tokens/000001.jsonl", 42, 0);
    spoil(header);
    expect(() => decodeTarHeader(header.subarray(0, length))).toThrow(message);
  });
});

/** Applies `change` and writes a valid checksum again, so that the check under test is the next one. */
function rechecksum(header: Buffer, change: () => unknown): void {
  change();
  header.write("        ", 148, "latin1");
  let sum = 0;
  for (const byte of header) sum += byte;
  header.write(`${sum.toString(8).padStart(6, "0")}\0 `, 148, "latin1");
}
