import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { DomainError } from "../errors/domain-error.ts";
import { SecretBox } from "./secret-box.ts";

const box = new SecretBox(randomBytes(32));

function openError(target: SecretBox, sealed: string): DomainError {
  try {
    target.open(sealed);
  } catch (error) {
    if (error instanceof DomainError) return error;
    throw error;
  }
  throw new Error("open succeeded");
}

describe("SecretBox", () => {
  it("opens what it sealed, including unicode and empty strings", () => {
    for (const text of ["", "hunter2", '{"username":"u","password":"p"}', "ключ 🔑", "x".repeat(20_000)]) {
      expect(box.open(box.seal(text))).toBe(text);
    }
  });

  it("writes v1.<iv>.<ciphertext+tag> with a 12-byte random IV", () => {
    const sealed = box.seal("secret");
    const [version, iv, body] = sealed.split(".");
    expect(version).toBe("v1");
    expect(Buffer.from(iv!, "base64url")).toHaveLength(12);
    expect(Buffer.from(body!, "base64url")).toHaveLength("secret".length + 16);
    expect(sealed).toMatch(/^v1\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/);
    expect(sealed).not.toContain("secret");
    expect(box.seal("secret")).not.toBe(sealed);
  });

  it("refuses a value sealed with another key", () => {
    const other = new SecretBox(randomBytes(32));
    const error = openError(other, box.seal("secret"));
    expect(error.code).toBe("SecretUnreadable");
    expect(error.message).toMatch(/another key/);
  });

  it("refuses tampered values", () => {
    const sealed = box.seal("secret value");
    const [version, iv, body] = sealed.split(".") as [string, string, string];
    const flip = (text: string, index: number): string => {
      const bytes = Buffer.from(text, "base64url");
      bytes[index] = bytes[index]! ^ 1;
      return bytes.toString("base64url");
    };
    const tampered = [
      `${version}.${flip(iv, 0)}.${body}`,
      `${version}.${iv}.${flip(body, 0)}`,
      `${version}.${iv}.${flip(body, Buffer.from(body, "base64url").length - 1)}`,
      `${version}.${iv}.${body.slice(0, -4)}`,
      `v2.${iv}.${body}`,
      `${version}.${iv}`,
      `${version}.${iv}.${body}.x`,
      `${version}.${iv}.${body}!`,
      "",
      "plain text",
      `${version}.${Buffer.alloc(11).toString("base64url")}.${body}`,
    ];
    for (const value of tampered) {
      expect(openError(box, value).code).toBe("SecretUnreadable");
    }
  });

  it("requires a 32-byte key", () => {
    expect(() => new SecretBox(randomBytes(16))).toThrow(/32 bytes/);
  });
});
