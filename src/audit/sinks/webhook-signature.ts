import { createHmac } from "node:crypto";
import type { SigningSecret } from "./sink-transport.ts";

/** The signature scheme's version, the first part of each entry of `PB-Signature`. */
export const WEBHOOK_SIGNATURE_VERSION = "v1";

/**
 * The `PB-Signature` value: for every active secret, `v1,<keyId>,<base64 HMAC-SHA256>` over
 * `<timestamp>.<body>` (the secret's UTF-8 bytes are the key), entries separated by a space.
 * During a rotation the old and the new secret both sign, so a receiver that knows either accepts.
 */
export function webhookSignature(secrets: readonly SigningSecret[], timestamp: number, body: string): string {
  return secrets
    .map(({ keyId, secret }) => {
      const mac = createHmac("sha256", secret).update(`${timestamp}.${body}`, "utf8").digest("base64");
      return `${WEBHOOK_SIGNATURE_VERSION},${keyId},${mac}`;
    })
    .join(" ");
}
