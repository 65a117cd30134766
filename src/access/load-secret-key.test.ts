import { randomBytes } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { loadSecretKey } from "./load-secret-key.ts";

describe("loadSecretKey", () => {
  let root: string;

  beforeEach(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), "package-broker-key-"));
  });

  afterEach(() => {
    fs.rmSync(root, { recursive: true, force: true });
  });

  it("uses a configured base64 or hex key and touches no file", () => {
    const key = randomBytes(32);
    const dataDir = path.join(root, "data");
    expect(loadSecretKey({ dataDir, configured: key.toString("base64") })).toEqual({
      key,
      generated: false,
      insecurePermissions: false,
    });
    expect(loadSecretKey({ dataDir, configured: key.toString("hex") }).key).toEqual(key);
    expect(loadSecretKey({ dataDir, configured: key.toString("hex").toUpperCase() }).key).toEqual(key);
    expect(fs.existsSync(dataDir)).toBe(false);
  });

  it("refuses a configured key of the wrong shape", () => {
    for (const configured of [
      "short",
      randomBytes(16).toString("base64"),
      "z".repeat(64),
      randomBytes(33).toString("hex"),
    ]) {
      expect(() => loadSecretKey({ dataDir: root, configured })).toThrow(
        expect.objectContaining({ code: "InvalidSecretKey" }),
      );
    }
  });

  it("generates a 0600 key file (creating the data dir) and reads it back later", () => {
    const dataDir = path.join(root, "nested", "data");
    const first = loadSecretKey({ dataDir, configured: undefined });
    expect(first.generated).toBe(true);
    expect(first.insecurePermissions).toBe(false);
    expect(first.key).toHaveLength(32);
    const file = path.join(dataDir, "secret.key");
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    expect(fs.readFileSync(file, "utf8")).toBe(`${first.key.toString("base64")}\n`);
    expect(fs.readdirSync(dataDir)).toEqual(["secret.key"]);

    const second = loadSecretKey({ dataDir, configured: undefined });
    expect(second).toEqual({ key: first.key, generated: false, insecurePermissions: false });
  });

  it("flags a key file readable by group or others", () => {
    const file = path.join(root, "secret.key");
    const key = randomBytes(32);
    fs.writeFileSync(file, key.toString("hex"), { mode: 0o644 });
    fs.chmodSync(file, 0o644);
    expect(loadSecretKey({ dataDir: root, configured: undefined })).toEqual({
      key,
      generated: false,
      insecurePermissions: true,
    });
  });

  it("refuses a damaged key file rather than replacing it", () => {
    const file = path.join(root, "secret.key");
    fs.writeFileSync(file, "not a key", { mode: 0o600 });
    expect(() => loadSecretKey({ dataDir: root, configured: undefined })).toThrow(
      expect.objectContaining({ code: "InvalidSecretKey" }),
    );
    expect(fs.readFileSync(file, "utf8")).toBe("not a key");
  });

  it("accepts a raw 32-byte key file", () => {
    const key = randomBytes(32);
    fs.writeFileSync(path.join(root, "secret.key"), key, { mode: 0o600 });
    expect(loadSecretKey({ dataDir: root, configured: undefined }).key).toEqual(key);
  });
});
