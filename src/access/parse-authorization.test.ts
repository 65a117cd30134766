import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parseAuthorization } from "./parse-authorization.ts";

const token = "pb_0123456789ABCDEFGHIJKLMNOPQRSTUV0a1B2c";
const basic = (credentials: string): string => `Basic ${Buffer.from(credentials, "utf8").toString("base64")}`;

describe("parseAuthorization", () => {
  it("returns null without a header", () => {
    expect(parseAuthorization(undefined)).toBeNull();
  });

  it.each([
    ["Composer http-basic", basic(`token:${token}`)],
    ["any username", basic(`ci-bot:${token}`)],
    ["empty username", basic(`:${token}`)],
    ["lower-case scheme", basic(`token:${token}`).replace("Basic", "basic")],
    ["upper-case scheme", basic(`token:${token}`).replace("Basic", "BASIC")],
    ["extra spaces", `  Basic    ${Buffer.from(`token:${token}`).toString("base64")}  `],
    ["tabs", `Basic\t${Buffer.from(`token:${token}`).toString("base64")}\t`],
    [
      "base64 without padding",
      `Basic ${Buffer.from(`token:${token}`).toString("base64").replace(/=+$/, "")}`,
    ],
    ["Bearer", `Bearer ${token}`],
    ["bearer in lower case", `bearer ${token}`],
    ["Bearer with extra spaces", `   BEARER     ${token}   `],
  ])("reads the token from %s", (_label, header) => {
    expect(parseAuthorization(header)).toBe(token);
  });

  it("keeps colons after the first one in the password", () => {
    expect(parseAuthorization(basic("user:pa:ss"))).toBe("pa:ss");
  });

  it("passes a non-token password through (authentication refuses it later)", () => {
    expect(parseAuthorization(basic("user:hunter2"))).toBe("hunter2");
    expect(parseAuthorization("Bearer abc.def-ghi_jkl~mno+pqr/stu==")).toBe("abc.def-ghi_jkl~mno+pqr/stu==");
  });

  it.each([
    ["empty", ""],
    ["blank", "   "],
    ["scheme only", "Basic"],
    ["scheme and spaces", "Bearer   "],
    ["no scheme", token],
    ["other scheme", `Token ${token}`],
    ["Digest", 'Digest username="token", realm="x"'],
    ["Negotiate", "Negotiate YIIB"],
    ["scheme glued to credentials", `Bearer${token}`],
    ["two credentials", `Bearer ${token} ${token}`],
    ["two headers joined", `Bearer ${token}, Bearer ${token}`],
    ["comma-separated Basic", `${basic(`token:${token}`)}, ${basic(`token:${token}`)}`],
    ["Bearer with a quote", `Bearer "${token}"`],
    ["Bearer with a comma", `Bearer ${token},x`],
    ["Bearer with padding inside", `Bearer ab=cd`],
    ["bad base64 characters", "Basic dG9rZW4*cGJf"],
    ["base64url alphabet", `Basic ${Buffer.from(`t:${"?".repeat(30)}>>`).toString("base64url")}`],
    ["base64 with a lone trailing character", "Basic dG9rZW4Ad"],
    ["base64 with too much padding", "Basic dG9r===="],
    ["base64 padding in the middle", "Basic dG9y=ZW4="],
    ["no colon", basic(`token${token}`)],
    ["empty password", basic("token:")],
    ["blank password", basic("token:   ")],
    ["empty credentials", basic("")],
    ["colon only", basic(":")],
    ["NUL in the password", basic(`token:${token}\u0000`)],
    ["newline in the password", basic(`token:${token}\nX-Evil: 1`)],
    ["DEL in the password", basic(`token:${token}\u007f`)],
    ["C1 control in the password", basic(`token:${token}\u0085`)],
    [
      "invalid UTF-8 in the credentials",
      `Basic ${Buffer.from([0x74, 0x3a, 0xff, 0xfe, 0x41]).toString("base64")}`,
    ],
    ["NUL in the header", `Bearer ${token}\u0000`],
    ["CRLF in the header", `Bearer ${token}\r\nX-Evil: 1`],
    ["vertical tab", `Bearer\u000b${token}`],
    ["non-breaking space", `Bearer\u00a0${token}`],
    ["non-ASCII in the header", `Bearer ${token}é`],
    ["emoji scheme", `🔑 ${token}`],
    ["over 4 KiB", `Bearer ${"a".repeat(4096)}`],
    ["huge Basic", `Basic ${"QUFB".repeat(5000)}`],
  ])("refuses %s", (_label, header) => {
    expect(parseAuthorization(header)).toBe("malformed");
  });

  it("accepts a header of exactly 4 KiB", () => {
    const header = `Bearer ${"a".repeat(4096 - 7)}`;
    expect(header).toHaveLength(4096);
    expect(parseAuthorization(header)).toBe("a".repeat(4089));
  });

  it("accepts a UTF-8 password (refused later as a token, but readable)", () => {
    expect(parseAuthorization(basic("user:pässwörd"))).toBe("pässwörd");
  });

  it("never throws and only returns null for an absent header", () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string({ unit: "binary", maxLength: 200 }),
          fc.string({ unit: "binary", maxLength: 60 }).map((s) => `Basic ${s}`),
          fc.uint8Array({ maxLength: 60 }).map((bytes) => `Basic ${Buffer.from(bytes).toString("base64")}`),
          fc.string({ maxLength: 60 }).map((s) => `Bearer ${s}`),
        ),
        (header) => {
          const result = parseAuthorization(header);
          expect(result).not.toBeNull();
          if (result !== null && result !== "malformed") {
            expect(result.length).toBeGreaterThan(0);
            expect(result).not.toMatch(/\p{Cc}/u);
          }
        },
      ),
      { numRuns: 2000 },
    );
  });

  it("is fast on hostile input", () => {
    const started = performance.now();
    for (let i = 0; i < 200; i++) {
      parseAuthorization(`Basic ${"A".repeat(4089)}`);
      parseAuthorization(`Basic ${"AAA=".repeat(1022)}`);
      parseAuthorization(`${" ".repeat(2000)}Bearer${" ".repeat(2000)}x!`);
    }
    expect(performance.now() - started).toBeLessThan(2000);
  });
});
