import { createPrivateKey, generateKeyPairSync, type KeyObject } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { invalidInput } from "../errors/domain-error.ts";

export const AUDIT_SIGNING_KEY_FILE = "audit-signing.key";

export interface LoadedSigningKey {
  readonly privateKey: KeyObject;
  /** True when this call created the key file (an `audit` event records it). */
  readonly generated: boolean;
  /** Where the key came from, for the event and the logs (never the key). */
  readonly source: "environment" | "file";
}

/**
 * The Ed25519 key that signs audit checkpoints: PB_AUDIT_SIGNING_KEY (PKCS#8 PEM, or the base64
 * of a 32-byte seed), or DATA_DIR/audit-signing.key, generated there with mode 0600 on first use.
 */
export function loadAuditSigningKey(options: {
  dataDir: string;
  configured: string | undefined;
}): LoadedSigningKey {
  if (options.configured !== undefined) {
    return { privateKey: parseSigningKey(options.configured), generated: false, source: "environment" };
  }
  const file = path.join(options.dataDir, AUDIT_SIGNING_KEY_FILE);
  if (fs.existsSync(file)) {
    return { privateKey: parseSigningKey(fs.readFileSync(file, "utf8")), generated: false, source: "file" };
  }
  fs.mkdirSync(options.dataDir, { recursive: true });
  const { privateKey } = generateKeyPairSync("ed25519");
  const pem = privateKey.export({ format: "pem", type: "pkcs8" });
  try {
    fs.writeFileSync(file, pem, { mode: 0o600, flag: "wx" });
  } catch (error) {
    // Another process created it first: use theirs.
    if ((error as NodeJS.ErrnoException).code === "EEXIST") {
      return { privateKey: parseSigningKey(fs.readFileSync(file, "utf8")), generated: false, source: "file" };
    }
    throw error;
  }
  return { privateKey, generated: true, source: "file" };
}

const PKCS8_ED25519_PREFIX = Buffer.from("302e020100300506032b657004220420", "hex");

function parseSigningKey(text: string): KeyObject {
  const trimmed = text.trim();
  let key: KeyObject;
  try {
    if (trimmed.startsWith("-----BEGIN")) {
      key = createPrivateKey({ key: trimmed, format: "pem" });
    } else {
      const seed = Buffer.from(trimmed, "base64");
      if (seed.length !== 32) throw new Error("not 32 bytes");
      key = createPrivateKey({
        key: Buffer.concat([PKCS8_ED25519_PREFIX, seed]),
        format: "der",
        type: "pkcs8",
      });
    }
  } catch {
    throw invalidInput(
      "InvalidAuditSigningKey",
      "the audit signing key must be an Ed25519 private key: PKCS#8 PEM, or the base64 of a 32-byte seed",
    );
  }
  if (key.asymmetricKeyType !== "ed25519") {
    throw invalidInput("InvalidAuditSigningKey", "the audit signing key must be an Ed25519 key");
  }
  return key;
}
