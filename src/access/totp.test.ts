import fc from "fast-check";
import { Secret, TOTP, URI } from "otpauth";
import { describe, expect, it } from "vitest";
import { newTotpSecret, totpStep, totpUri, verifyTotp } from "./totp.ts";

/** RFC 6238 Appendix B: the SHA1 seed is the ASCII string "12345678901234567890". */
const RFC_SECRET = Secret.fromLatin1("12345678901234567890");

const SECRET = newTotpSecret();
const NOW = new Date("2026-03-14T15:09:26.535Z");
const STEP = totpStep(NOW);

/** The 6-digit code of a step, computed by the library on its own. */
function codeAt(step: number, secret = SECRET): string {
  return TOTP.generate({ secret: Secret.fromBase32(secret), timestamp: step * 30_000 });
}

describe("the otpauth library against RFC 6238 Appendix B (SHA1, 8 digits)", () => {
  it.each([
    [59, "94287082"],
    [1111111109, "07081804"],
    [1111111111, "14050471"],
    [1234567890, "89005924"],
    [2000000000, "69279037"],
    [20000000000, "65353130"],
  ])("at %i s gives %s", (seconds, expected) => {
    expect(
      TOTP.generate({ secret: RFC_SECRET, algorithm: "SHA1", digits: 8, timestamp: seconds * 1000 }),
    ).toBe(expected);
    // The 6-digit code is the same truncation, modulo 10^6.
    expect(TOTP.generate({ secret: RFC_SECRET, timestamp: seconds * 1000 })).toBe(expected.slice(2));
  });

  it("the wrapper accepts the RFC codes (6-digit form) at their times", () => {
    const secret = RFC_SECRET.base32;
    expect(secret).toBe("GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ");
    const result = verifyTotp({ secret, code: "081804", now: new Date(1111111109_000), lastUsedStep: null });
    expect(result).toEqual({ ok: true, step: 37037036 });
    expect(verifyTotp({ secret, code: "287082", now: new Date(59_000), lastUsedStep: null })).toEqual({
      ok: true,
      step: 1,
    });
  });
});

describe("totpStep", () => {
  it("is the number of whole 30-second periods since the epoch", () => {
    expect(totpStep(new Date(0))).toBe(0);
    expect(totpStep(new Date(29_999))).toBe(0);
    expect(totpStep(new Date(30_000))).toBe(1);
    expect(totpStep(new Date(1111111109_000))).toBe(0x23523ec);
  });

  it("refuses an invalid date", () => {
    expect(() => totpStep(new Date(Number.NaN))).toThrow(RangeError);
  });
});

describe("verifyTotp", () => {
  it.each([-1, 0, 1])("accepts the code of the step at offset %i and returns that step", (offset) => {
    expect(verifyTotp({ secret: SECRET, code: codeAt(STEP + offset), now: NOW, lastUsedStep: null })).toEqual(
      {
        ok: true,
        step: STEP + offset,
      },
    );
  });

  it.each([-3, -2, 2, 3, -1000])("refuses the code of the step at offset %i as wrong", (offset) => {
    const code = codeAt(STEP + offset);
    const inWindow = [-1, 0, 1].some((near) => codeAt(STEP + near) === code);
    expect(inWindow).toBe(false); // not a chance collision with a code in the window
    expect(verifyTotp({ secret: SECRET, code, now: NOW, lastUsedStep: null })).toEqual({
      ok: false,
      reason: "wrong",
    });
  });

  it("accepts a code at both edges of the current step", () => {
    const start = new Date(STEP * 30_000);
    const end = new Date(STEP * 30_000 + 29_999);
    for (const now of [start, end]) {
      expect(verifyTotp({ secret: SECRET, code: codeAt(STEP), now, lastUsedStep: null })).toEqual({
        ok: true,
        step: STEP,
      });
    }
    // One millisecond later the step that was "previous" falls out of the window.
    const later = new Date(STEP * 30_000 + 30_000);
    expect(verifyTotp({ secret: SECRET, code: codeAt(STEP - 1), now: later, lastUsedStep: null }).ok).toBe(
      false,
    );
  });

  it("refuses a code of another secret", () => {
    const other = newTotpSecret();
    expect(verifyTotp({ secret: SECRET, code: codeAt(STEP, other), now: NOW, lastUsedStep: null })).toEqual({
      ok: false,
      reason: "wrong",
    });
  });

  describe("replay", () => {
    it("refuses the code that was just accepted", () => {
      const code = codeAt(STEP);
      const first = verifyTotp({ secret: SECRET, code, now: NOW, lastUsedStep: null });
      expect(first).toEqual({ ok: true, step: STEP });
      const second = verifyTotp({ secret: SECRET, code, now: NOW, lastUsedStep: STEP });
      expect(second).toEqual({ ok: false, reason: "replayed" });
    });

    it("refuses a code of any step at or before the last one used", () => {
      const lastUsedStep = STEP + 1; // the user logged in with the "next" code a moment ago
      for (const offset of [-1, 0, 1]) {
        expect(verifyTotp({ secret: SECRET, code: codeAt(STEP + offset), now: NOW, lastUsedStep })).toEqual({
          ok: false,
          reason: "replayed",
        });
      }
    });

    it("accepts a later step after an earlier one was used", () => {
      expect(
        verifyTotp({ secret: SECRET, code: codeAt(STEP + 1), now: NOW, lastUsedStep: STEP - 1 }),
      ).toEqual({
        ok: true,
        step: STEP + 1,
      });
      expect(verifyTotp({ secret: SECRET, code: codeAt(STEP), now: NOW, lastUsedStep: STEP - 1 })).toEqual({
        ok: true,
        step: STEP,
      });
    });

    it("calls a wrong code wrong, not replayed", () => {
      expect(verifyTotp({ secret: SECRET, code: codeAt(STEP - 5), now: NOW, lastUsedStep: STEP })).toEqual({
        ok: false,
        reason: "wrong",
      });
    });

    it("accepts step 0 when nothing was used yet and refuses it after lastUsedStep 0", () => {
      const now = new Date(10_000);
      const code = codeAt(0);
      expect(verifyTotp({ secret: SECRET, code, now, lastUsedStep: null })).toEqual({ ok: true, step: 0 });
      expect(verifyTotp({ secret: SECRET, code, now, lastUsedStep: 0 })).toEqual({
        ok: false,
        reason: "replayed",
      });
    });
  });

  describe("input", () => {
    it.each([
      ["leading and trailing spaces", (code: string) => `  ${code}  `],
      ["a trailing newline", (code: string) => `${code}\n`],
      ["tabs", (code: string) => `\t${code}\t`],
    ])("trims %s", (_label, wrap) => {
      expect(verifyTotp({ secret: SECRET, code: wrap(codeAt(STEP)), now: NOW, lastUsedStep: null }).ok).toBe(
        true,
      );
    });

    const code = codeAt(STEP);
    it.each([
      ["empty", ""],
      ["spaces only", "      "],
      ["five digits", code.slice(0, 5)],
      ["seven digits", `${code}0`],
      ["eight digits (RFC length)", `${code}00`],
      ["a space inside", `${code.slice(0, 3)} ${code.slice(3)}`],
      ["a dash inside", `${code.slice(0, 3)}-${code.slice(3)}`],
      ["a letter", `${code.slice(0, 5)}a`],
      ["a sign", `+${code.slice(1)}`],
      ["a decimal point", `${code.slice(0, 5)}.`],
      ["full-width digits", code.replace(/[0-9]/g, (d) => String.fromCharCode(0xff10 + Number(d)))],
      ["Arabic-Indic digits", code.replace(/[0-9]/g, (d) => String.fromCharCode(0x0660 + Number(d)))],
      ["a NUL byte", `${code}\u0000`],
      ["a NUL byte inside", `${code.slice(0, 3)}\u0000${code.slice(3)}`],
      ["a lone surrogate", `${code.slice(0, 5)}\ud800`],
      ["1 MB", code.repeat(174_763)],
      ["1 MB of spaces around a code", `${" ".repeat(512 * 1024)}${code}${" ".repeat(512 * 1024)}`],
    ])("calls %s malformed without throwing", (_label, candidate) => {
      expect(verifyTotp({ secret: SECRET, code: candidate, now: NOW, lastUsedStep: null })).toEqual({
        ok: false,
        reason: "malformed",
      });
    });

    const nonStrings: unknown[] = [undefined, null, 123456, {}, ["123456"]];
    it.each(nonStrings)("calls the non-string %o malformed", (candidate) => {
      expect(verifyTotp({ secret: SECRET, code: candidate as string, now: NOW, lastUsedStep: null })).toEqual(
        { ok: false, reason: "malformed" },
      );
    });

    it("calls malformed input malformed even when it would be a replay", () => {
      expect(verifyTotp({ secret: SECRET, code: `${codeAt(STEP)}x`, now: NOW, lastUsedStep: STEP })).toEqual({
        ok: false,
        reason: "malformed",
      });
    });

    it("throws for a secret that is not base32 (a bug, not user input)", () => {
      expect(() =>
        verifyTotp({ secret: "not base32!", code: "123456", now: NOW, lastUsedStep: null }),
      ).toThrow();
    });
  });

  describe("properties", () => {
    it("never throws and never accepts anything but six digits", () => {
      fc.assert(
        fc.property(fc.string({ unit: "binary", maxLength: 80 }), (candidate) => {
          const result = verifyTotp({ secret: SECRET, code: candidate, now: NOW, lastUsedStep: null });
          if (result.ok) expect(candidate.trim()).toMatch(/^[0-9]{6}$/);
          if (!/^[0-9]{6}$/.test(candidate.trim()))
            expect(result).toEqual({ ok: false, reason: "malformed" });
        }),
      );
    });

    it("accepts any window code once, at any time, and then refuses it", () => {
      fc.assert(
        fc.property(
          fc.integer({ min: 60_000, max: 2 ** 42 }),
          fc.constantFrom(-1, 0, 1),
          (millis, offset) => {
            const now = new Date(millis);
            const step = totpStep(now) + offset;
            const code = codeAt(step);
            const first = verifyTotp({ secret: SECRET, code, now, lastUsedStep: null });
            expect(first.ok).toBe(true);
            if (!first.ok) return;
            expect(first.step).toBeGreaterThanOrEqual(step);
            expect(verifyTotp({ secret: SECRET, code, now, lastUsedStep: first.step })).toEqual({
              ok: false,
              reason: "replayed",
            });
          },
        ),
      );
    });
  });
});

describe("newTotpSecret", () => {
  it("is 20 random bytes in unpadded base32", () => {
    const secret = newTotpSecret();
    expect(secret).toMatch(/^[A-Z2-7]{32}$/);
    expect(Secret.fromBase32(secret).bytes).toHaveLength(20);
    expect(new Set(Array.from({ length: 100 }, () => newTotpSecret())).size).toBe(100);
  });
});

describe("totpUri", () => {
  it("describes SHA1, 6 digits, 30 s, with the issuer in the label and as a parameter", () => {
    const uri = totpUri({ secret: SECRET, account: "ada@example.com" });
    const url = new URL(uri);
    expect(url.protocol).toBe("otpauth:");
    expect(url.host).toBe("totp");
    expect(decodeURIComponent(url.pathname)).toBe("/PACKAGE.broker:ada@example.com");
    expect(Object.fromEntries(url.searchParams)).toEqual({
      issuer: "PACKAGE.broker",
      secret: SECRET,
      algorithm: "SHA1",
      digits: "6",
      period: "30",
    });
  });

  it("round-trips through the library's parser", () => {
    const parsed = URI.parse(
      totpUri({ secret: SECRET, account: "ci bot: nightly", issuer: "Acme Packages" }),
    );
    expect(parsed).toBeInstanceOf(TOTP);
    expect(parsed).toMatchObject({
      issuer: "Acme Packages",
      label: "ci bot: nightly",
      algorithm: "SHA1",
      digits: 6,
      period: 30,
    });
    expect(parsed.secret.base32).toBe(SECRET);
  });

  it("escapes characters that would change the URI's meaning", () => {
    const uri = totpUri({ secret: SECRET, account: "a:b?c&d#e/f", issuer: "x&y=z" });
    expect(uri).not.toMatch(/#|\?.*\?/);
    expect(new URL(uri).searchParams.get("issuer")).toBe("x&y=z");
  });
});
