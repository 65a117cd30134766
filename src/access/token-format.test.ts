import { crc32 } from "node:zlib";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  TOKEN_LENGTH,
  generateToken,
  hasValidTokenShape,
  hashToken,
  tokenFingerprint,
} from "./token-format.ts";

const BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

function base62(value: number, width: number): string {
  let out = "";
  for (let i = 0; i < width; i++) {
    out = BASE62.charAt(value % 62) + out;
    value = Math.floor(value / 62);
  }
  return out;
}

describe("generateToken", () => {
  it("has the pb_ + 32 base62 + 6 checksum shape", () => {
    const token = generateToken();
    expect(token).toMatch(/^pb_[0-9A-Za-z]{38}$/);
    expect(token).toHaveLength(TOKEN_LENGTH);
    expect(TOKEN_LENGTH).toBe(41);
    const random = token.slice(3, 35);
    expect(token.slice(35)).toBe(base62(crc32(random), 6));
    expect(hasValidTokenShape(token)).toBe(true);
  });

  it("does not repeat and uses the whole alphabet", () => {
    const tokens = new Set(Array.from({ length: 2000 }, () => generateToken()));
    expect(tokens.size).toBe(2000);
    const seen = new Set([...tokens].flatMap((token) => token.slice(3, 35).split("")));
    expect(seen.size).toBe(62);
  });
});

describe("hasValidTokenShape", () => {
  const token = generateToken();

  it.each([
    ["empty", ""],
    ["prefix only", "pb_"],
    ["other prefix", `gh_${token.slice(3)}`],
    ["upper-case prefix", `PB_${token.slice(3)}`],
    ["one character short", token.slice(0, -1)],
    ["one character long", `${token}0`],
    ["surrounding space", ` ${token}`],
    ["trailing newline", `${token}\n`],
    ["non-base62 character", `${token.slice(0, 10)}-${token.slice(11)}`],
    ["non-ASCII character", `${token.slice(0, 10)}é${token.slice(11)}`],
  ])("refuses %s", (_label, candidate) => {
    expect(hasValidTokenShape(candidate)).toBe(false);
  });

  it("refuses any single-character change (the checksum catches typos)", () => {
    for (let i = 3; i < token.length; i++) {
      const original = token.charAt(i);
      const replacement = original === "a" ? "b" : "a";
      expect(hasValidTokenShape(token.slice(0, i) + replacement + token.slice(i + 1))).toBe(false);
    }
  });

  it("refuses two adjacent characters swapped", () => {
    for (let i = 3; i < token.length - 1; i++) {
      if (token.charAt(i) === token.charAt(i + 1)) continue;
      const swapped = token.slice(0, i) + token.charAt(i + 1) + token.charAt(i) + token.slice(i + 2);
      expect(hasValidTokenShape(swapped)).toBe(false);
    }
  });

  it("accepts a well-formed token that was never issued (existence is the database's business)", () => {
    const random = "A".repeat(32);
    expect(hasValidTokenShape(`pb_${random}${base62(crc32(random), 6)}`)).toBe(true);
  });

  it("never throws on arbitrary input", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary", maxLength: 80 }), (candidate) => {
        expect(typeof hasValidTokenShape(candidate)).toBe("boolean");
      }),
    );
  });
});

describe("hashToken", () => {
  it("is the SHA-256 hex of the whole token", () => {
    expect(hashToken("abc")).toBe("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    const token = generateToken();
    expect(hashToken(token)).toMatch(/^[0-9a-f]{64}$/);
    expect(hashToken(token)).toBe(hashToken(token));
  });
});

describe("tokenFingerprint", () => {
  it("shows pb_, the first 4 random characters and the last 4", () => {
    const token = generateToken();
    expect(tokenFingerprint(token)).toBe(`pb_${token.slice(3, 7)}…${token.slice(-4)}`);
    expect(tokenFingerprint(token)).not.toContain(token.slice(7, 37));
  });

  it("does not echo what is not a token", () => {
    expect(tokenFingerprint("my-secret-password")).toBe("pb_????…????");
    expect(tokenFingerprint("")).toBe("pb_????…????");
  });
});
