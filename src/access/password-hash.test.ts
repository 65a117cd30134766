import * as crypto from "node:crypto";
import fc from "fast-check";
import { beforeEach, describe, expect, it, vi } from "vitest";
import { DomainError } from "../errors/domain-error.ts";
import {
  MAX_PASSWORD_INPUT_LENGTH,
  PASSWORD_HASH_PARAMETERS,
  dummyPasswordVerify,
  hashPassword,
  parsePasswordHash,
  passwordHashNeedsRehash,
  verifyPassword,
} from "./password-hash.ts";

// A pass-through spy, so tests can tell whether scrypt ran at all and with what cost.
vi.mock("node:crypto", async (importOriginal) => {
  const actual = await importOriginal<typeof crypto>();
  return { ...actual, scrypt: vi.fn(actual.scrypt) };
});
const scryptSpy = vi.mocked(crypto.scrypt);

/** Cheap parameters, so that property tests can hash hundreds of passwords. */
const CHEAP = { ln: 4, r: 1, p: 1 } as const;
const cheapHash = (password: string): Promise<string> => hashPassword(password, { parameters: CHEAP });

const SHAPE = /^\$scrypt\$ln=(\d+),r=(\d+),p=(\d+)\$([A-Za-z0-9+/]{22})\$([A-Za-z0-9+/]{43})$/;
const SALT_16 = Buffer.alloc(16, 7).toString("base64").replace(/=+$/, "");
const HASH_32 = Buffer.alloc(32, 9).toString("base64").replace(/=+$/, "");

/** The N that scrypt was last called with, or undefined when it was not called. */
function lastScryptCost(): number | undefined {
  const call = scryptSpy.mock.calls.at(-1) as unknown[] | undefined;
  return (call?.[3] as { N?: number } | undefined)?.N;
}

beforeEach(() => {
  scryptSpy.mockClear();
});

describe("hashPassword and verifyPassword with the real parameters", () => {
  it("produce a self-describing scrypt string that verifies", async () => {
    const encoded = await hashPassword("correct horse battery staple");
    const match = SHAPE.exec(encoded);
    expect(match).not.toBeNull();
    expect(match?.slice(1, 4)).toEqual(["15", "8", "1"]);
    expect(PASSWORD_HASH_PARAMETERS).toEqual({ ln: 15, r: 8, p: 1 });
    expect(Buffer.from(match?.[4] ?? "", "base64")).toHaveLength(16);
    expect(Buffer.from(match?.[5] ?? "", "base64")).toHaveLength(32);
    expect(lastScryptCost()).toBe(2 ** 15);

    expect(await verifyPassword("correct horse battery staple", encoded)).toBe(true);
    expect(await verifyPassword("correct horse battery staplE", encoded)).toBe(false);
    expect(passwordHashNeedsRehash(encoded)).toBe(false);
  });

  it("salts: the same password hashes differently each time", async () => {
    const [a, b] = await Promise.all([hashPassword("same password"), hashPassword("same password")]);
    expect(a).not.toBe(b);
    expect(a.split("$")[3]).not.toBe(b.split("$")[3]);
  });
});

describe("dummyPasswordVerify", () => {
  it("runs scrypt with the current parameters and answers false", async () => {
    expect(await dummyPasswordVerify("anything at all")).toBe(false);
    expect(scryptSpy).toHaveBeenCalledTimes(1);
    expect(lastScryptCost()).toBe(2 ** PASSWORD_HASH_PARAMETERS.ln);
  });

  it("answers false, after the same work, for input that could never be a password", async () => {
    expect(await dummyPasswordVerify("x".repeat(MAX_PASSWORD_INPUT_LENGTH + 1))).toBe(false);
    expect(await dummyPasswordVerify("\ud800")).toBe(false);
    expect(scryptSpy).toHaveBeenCalledTimes(2);
  });
});

describe("Unicode normalisation", () => {
  it("verifies a password typed in another normalisation form", async () => {
    const composed = "caf\u00e9 cr\u00e8me br\u00fbl\u00e9e";
    const decomposed = composed.normalize("NFD");
    expect(decomposed).not.toBe(composed);
    expect(await verifyPassword(decomposed, await cheapHash(composed))).toBe(true);
    expect(await verifyPassword(composed, await cheapHash(decomposed))).toBe(true);
  });

  it("does not fold compatibility characters (NFC, not NFKC)", async () => {
    // U+FB01 LATIN SMALL LIGATURE FI is "fi" under NFKC but stays itself under NFC.
    expect(await verifyPassword("fi", await cheapHash("\ufb01"))).toBe(false);
  });

  it("keeps NUL bytes and everything after them", async () => {
    const encoded = await cheapHash("a\u0000b");
    expect(await verifyPassword("a\u0000b", encoded)).toBe(true);
    expect(await verifyPassword("a\u0000c", encoded)).toBe(false);
    expect(await verifyPassword("a", encoded)).toBe(false);
  });

  it("refuses lone surrogates, which would all encode as U+FFFD and collide", async () => {
    await expect(hashPassword("abc\ud800")).rejects.toMatchObject({ code: "InvalidPassword" });
    await expect(hashPassword("abc\udc00")).rejects.toBeInstanceOf(DomainError);
    const replacement = await cheapHash("abc\ufffd");
    expect(await verifyPassword("abc\ud800", replacement)).toBe(false);
    expect(scryptSpy).toHaveBeenCalledTimes(1);
  });

  it("accepts astral characters (well-formed surrogate pairs)", async () => {
    expect(await verifyPassword("🔑 key 🗝️", await cheapHash("🔑 key 🗝️"))).toBe(true);
  });
});

describe("hostile passwords", () => {
  it("refuses a 1 MB password without hashing it", async () => {
    const huge = "a".repeat(1024 * 1024);
    await expect(hashPassword(huge)).rejects.toMatchObject({ code: "InvalidPassword" });
    expect(await verifyPassword(huge, await cheapHash("a"))).toBe(false);
    expect(scryptSpy).toHaveBeenCalledTimes(1); // only the cheap hash
  });

  it("hashes the longest accepted input", async () => {
    const longest = "é".repeat(MAX_PASSWORD_INPUT_LENGTH);
    expect(await verifyPassword(longest, await cheapHash(longest))).toBe(true);
  });

  it("handles the empty password like any other", async () => {
    const encoded = await cheapHash("");
    expect(await verifyPassword("", encoded)).toBe(true);
    expect(await verifyPassword(" ", encoded)).toBe(false);
  });

  it("returns false for non-string passwords", async () => {
    const encoded = await cheapHash("x");
    const nonStrings: unknown[] = [undefined, null, 1, {}, Buffer.from("x")];
    for (const password of nonStrings) {
      expect(await verifyPassword(password as string, encoded)).toBe(false);
    }
  });
});

describe("hostile encoded hashes", () => {
  const valid = `$scrypt$ln=4,r=1,p=1$${SALT_16}$${HASH_32}`;

  it("accepts the well-formed reference string", () => {
    expect(parsePasswordHash(valid)).not.toBeNull();
  });

  it.each([
    ["empty", ""],
    ["white space", "   "],
    ["1 MB", `$scrypt$ln=4,r=1,p=1$${SALT_16}$${"A".repeat(1024 * 1024)}`],
    ["NUL bytes", `$scrypt$ln=4,r=1,p=1$${SALT_16}$${HASH_32}\u0000`],
    ["another algorithm", `$argon2id$v=19$m=65536,t=3,p=4$${SALT_16}$${HASH_32}`],
    ["bcrypt", "$2b$12$R9h/cIPz0gi.URNNX3kh2OPST9/PgBkqquzi.Ss7KIUgO2t0jWMUW"],
    ["plain text", "hunter2"],
    ["missing hash", `$scrypt$ln=4,r=1,p=1$${SALT_16}`],
    ["extra field", `${valid}$AAAA`],
    ["leading space", ` ${valid}`],
    ["trailing newline", `${valid}\n`],
    ["upper-case name", valid.replace("scrypt", "SCRYPT")],
    ["parameters out of order", valid.replace("ln=4,r=1,p=1", "r=1,ln=4,p=1")],
    ["missing parameter", valid.replace("ln=4,r=1,p=1", "ln=4,r=1")],
    ["leading zero", valid.replace("ln=4", "ln=04")],
    ["negative", valid.replace("ln=4", "ln=-4")],
    ["fraction", valid.replace("ln=4", "ln=4.5")],
    ["ln=0 (N=1)", valid.replace("ln=4", "ln=0")],
    ["r=0", valid.replace("r=1", "r=0")],
    ["p=0", valid.replace("p=1", "p=0")],
    ["huge ln", valid.replace("ln=4", "ln=99")],
    ["huge ln, many digits", valid.replace("ln=4", "ln=99999999999999999999")],
    ["ln just over the bound", valid.replace("ln=4", "ln=18")],
    ["huge r", valid.replace("r=1", "r=99")],
    ["huge p", valid.replace("p=1", "p=99")],
    ["work over the bound", valid.replace("ln=4,r=1,p=1", "ln=16,r=16,p=2")],
    ["memory over the bound", valid.replace("ln=4,r=1,p=1", "ln=17,r=16,p=1")],
    ["padded base64", `$scrypt$ln=4,r=1,p=1$${SALT_16}==$${HASH_32}=`],
    ["base64url", `$scrypt$ln=4,r=1,p=1$${"_".repeat(22)}$${HASH_32}`],
    ["non-canonical base64 (stray low bits)", `$scrypt$ln=4,r=1,p=1$${SALT_16.slice(0, -1)}B$${HASH_32}`],
    ["salt too short", `$scrypt$ln=4,r=1,p=1$AAAAAAAA$${HASH_32}`],
    ["hash too short", `$scrypt$ln=4,r=1,p=1$${SALT_16}$AAAAAAAA`],
    ["non-ASCII", valid.replace("scrypt", "scrÿpt")],
  ])("refuses %s without running scrypt", async (_label, encoded) => {
    expect(parsePasswordHash(encoded)).toBeNull();
    expect(await verifyPassword("password", encoded)).toBe(false);
    expect(scryptSpy).not.toHaveBeenCalled();
  });

  const nonStrings: unknown[] = [undefined, null, 42, {}, [], Buffer.from(valid), new String(valid)];
  it.each(nonStrings)("returns false for the non-string %o", async (encoded) => {
    expect(await verifyPassword("password", encoded as string)).toBe(false);
    expect(passwordHashNeedsRehash(encoded as string)).toBe(true);
    expect(scryptSpy).not.toHaveBeenCalled();
  });

  it("accepts parameters up to the bounds (ln=17, r=8)", () => {
    expect(parsePasswordHash(valid.replace("ln=4,r=1,p=1", "ln=17,r=8,p=1"))).not.toBeNull();
    expect(parsePasswordHash(valid.replace("ln=4,r=1,p=1", "ln=16,r=16,p=1"))).not.toBeNull();
  });

  it("refuses a tampered salt or hash", async () => {
    const encoded = await cheapHash("the password");
    const [, , parameters, salt = "", hash = ""] = encoded.split("$");
    const flip = (text: string): string => (text.startsWith("A") ? "B" : "A") + text.slice(1);
    expect(await verifyPassword("the password", encoded)).toBe(true);
    expect(await verifyPassword("the password", `$scrypt$${parameters}$${flip(salt)}$${hash}`)).toBe(false);
    expect(await verifyPassword("the password", `$scrypt$${parameters}$${salt}$${flip(hash)}`)).toBe(false);
    expect(await verifyPassword("the password", `$scrypt$${parameters}$${hash}$${salt}`)).toBe(false);
    const otherCost = encoded.replace("ln=4", "ln=5");
    expect(await verifyPassword("the password", otherCost)).toBe(false);
  });

  it("verifies hashes with another key length (the length comes from the stored hash)", async () => {
    const salt = crypto.randomBytes(16);
    const key = crypto.scryptSync("pw", salt, 64, { N: 16, r: 1, p: 1 });
    const encoded = `$scrypt$ln=4,r=1,p=1$${salt.toString("base64").replace(/=+$/, "")}$${key.toString("base64").replace(/=+$/, "")}`;
    expect(await verifyPassword("pw", encoded)).toBe(true);
    expect(passwordHashNeedsRehash(encoded)).toBe(true);
  });
});

describe("passwordHashNeedsRehash", () => {
  const salt = SALT_16;
  it.each([
    ["cheaper ln", `$scrypt$ln=14,r=8,p=1$${salt}$${HASH_32}`, true],
    ["cheaper r", `$scrypt$ln=15,r=4,p=1$${salt}$${HASH_32}`, true],
    ["short salt", `$scrypt$ln=15,r=8,p=1$AAAAAAAAAAA$${HASH_32}`, true],
    ["current", `$scrypt$ln=15,r=8,p=1$${salt}$${HASH_32}`, false],
    ["stronger ln", `$scrypt$ln=16,r=8,p=1$${salt}$${HASH_32}`, false],
    ["stronger p", `$scrypt$ln=15,r=8,p=2$${salt}$${HASH_32}`, false],
    ["malformed", "not a hash", true],
    ["out of bounds", `$scrypt$ln=30,r=8,p=1$${salt}$${HASH_32}`, true],
  ])("%s: %s -> %s", (_label, encoded, expected) => {
    expect(passwordHashNeedsRehash(encoded)).toBe(expected);
  });
});

describe("hashPassword options", () => {
  it.each([
    { ln: 0, r: 1, p: 1 },
    { ln: 18, r: 8, p: 1 },
    { ln: 15, r: 0, p: 1 },
    { ln: 15, r: 8, p: 5 },
    { ln: 4.5, r: 1, p: 1 },
    { ln: Number.NaN, r: 1, p: 1 },
  ])("refuses parameters out of bounds: %o", async (parameters) => {
    await expect(hashPassword("pw", { parameters })).rejects.toBeInstanceOf(RangeError);
    expect(scryptSpy).not.toHaveBeenCalled();
  });
});

describe("properties", () => {
  it("every well-formed password verifies against its own hash and not against another", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.string({ unit: "binary", maxLength: 64 }),
        fc.string({ maxLength: 64 }),
        async (a, b) => {
          const encoded = await cheapHash(a);
          expect(await verifyPassword(a, encoded)).toBe(true);
          expect(await verifyPassword(b, encoded)).toBe(a.normalize("NFC") === b.normalize("NFC"));
        },
      ),
      { numRuns: 150 },
    );
  });

  it("verifyPassword never throws, whatever the encoded string", async () => {
    const encoded = await cheapHash("pw");
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.string({ unit: "binary", maxLength: 200 }),
          fc
            .tuple(fc.nat({ max: encoded.length }), fc.string({ maxLength: 3 }))
            .map(([at, text]) => encoded.slice(0, at) + text + encoded.slice(at + text.length)),
        ),
        async (candidate) => {
          const result = await verifyPassword("pw", candidate);
          expect(typeof result).toBe("boolean");
          if (candidate !== encoded) expect(result).toBe(false);
        },
      ),
      { numRuns: 300 },
    );
  });
});
