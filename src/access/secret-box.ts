import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";
import { DomainError } from "../errors/domain-error.ts";

const VERSION = "v1";
const IV_BYTES = 12;
const TAG_BYTES = 16;
const KEY_BYTES = 32;
const BASE64URL = /^[A-Za-z0-9_-]+$/;

/**
 * Encrypts small secrets (repository credentials) for storage: AES-256-GCM with a random 12-byte
 * IV, written as `v1.<base64url iv>.<base64url ciphertext+tag>`. The tag makes tampering, and a
 * value sealed with another key, fail loudly in `open` (code "SecretUnreadable").
 */
export class SecretBox {
  readonly #key: Buffer;

  constructor(key: Buffer) {
    if (key.length !== KEY_BYTES)
      throw new Error(`a secret key must be ${KEY_BYTES} bytes, got ${key.length}`);
    this.#key = Buffer.from(key);
  }

  seal(plaintext: string): string {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv("aes-256-gcm", this.#key, iv);
    const body = Buffer.concat([cipher.update(plaintext, "utf8"), cipher.final(), cipher.getAuthTag()]);
    return `${VERSION}.${iv.toString("base64url")}.${body.toString("base64url")}`;
  }

  open(sealed: string): string {
    const parts = sealed.split(".");
    const [version, ivText, bodyText] = parts;
    if (parts.length !== 3 || version !== VERSION || ivText === undefined || bodyText === undefined) {
      throw unreadable("it is not a sealed value of a known format");
    }
    if (!BASE64URL.test(ivText) || !BASE64URL.test(bodyText)) throw unreadable("it is not valid base64url");
    const iv = Buffer.from(ivText, "base64url");
    const body = Buffer.from(bodyText, "base64url");
    if (iv.length !== IV_BYTES || body.length < TAG_BYTES) throw unreadable("it is truncated");
    try {
      const decipher = createDecipheriv("aes-256-gcm", this.#key, iv, { authTagLength: TAG_BYTES });
      decipher.setAuthTag(body.subarray(body.length - TAG_BYTES));
      const plain = Buffer.concat([
        decipher.update(body.subarray(0, body.length - TAG_BYTES)),
        decipher.final(),
      ]);
      return plain.toString("utf8");
    } catch {
      throw unreadable(
        "it was sealed with another key (did PB_SECRET_KEY or DATA_DIR/secret.key change?) or was altered",
      );
    }
  }
}

function unreadable(reason: string): DomainError {
  return new DomainError("unavailable", "SecretUnreadable", `a stored secret cannot be decrypted: ${reason}`);
}
