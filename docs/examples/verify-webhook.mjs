#!/usr/bin/env node
// A receiver for PACKAGE.broker audit webhooks that checks every delivery before trusting it.
//
//   PB_WEBHOOK_SECRETS="key-2026-06:<secret> key-2026-01:<old secret>" node verify-webhook.mjs
//
// Environment: PB_WEBHOOK_SECRETS (space-separated keyId:secret pairs, the ones you accept),
// PORT (default 8080; 0 picks a free one), PB_WEBHOOK_TOLERANCE_SECONDS (default 300).
// It answers 204 to a delivery whose signature and timestamp check out, 401 otherwise, and
// prints one line per request. Only Node.js is needed; `verifyWebhook` can be imported.
/* global console */
import { Buffer } from "node:buffer";
import { createHmac, timingSafeEqual } from "node:crypto";
import { createServer } from "node:http";
import process from "node:process";
import { pathToFileURL } from "node:url";

const MAX_BODY_BYTES = 16 * 1024 * 1024;

/**
 * Checks a delivery: `PB-Timestamp` within the tolerance of now, and at least one `v1` entry of
 * `PB-Signature` made with a secret we know. `body` must be the raw bytes as received.
 * Returns { ok: true, keyId } or { ok: false, reason }.
 */
export function verifyWebhook({ headers, body, secrets, nowSeconds, toleranceSeconds = 300 }) {
  const timestamp = headers["pb-timestamp"];
  if (typeof timestamp !== "string" || !/^\d{1,12}$/.test(timestamp))
    return { ok: false, reason: "no timestamp" };
  if (Math.abs(nowSeconds - Number(timestamp)) > toleranceSeconds)
    return { ok: false, reason: "timestamp too old or too new" };
  const signed = Buffer.concat([Buffer.from(`${timestamp}.`), body]);
  for (const entry of String(headers["pb-signature"] ?? "").split(" ")) {
    const [version, keyId, signature] = entry.split(",");
    const secret = secrets.get(keyId);
    if (version !== "v1" || secret === undefined || signature === undefined) continue;
    const expected = createHmac("sha256", secret).update(signed).digest();
    const given = Buffer.from(signature, "base64");
    // Equal lengths first: timingSafeEqual throws on different ones.
    if (given.length === expected.length && timingSafeEqual(given, expected)) return { ok: true, keyId };
  }
  return { ok: false, reason: "no valid signature" };
}

/** `keyId:secret keyId:secret` into a Map. */
export function parseSecrets(text) {
  return new Map(
    text
      .split(/\s+/)
      .filter((pair) => pair.includes(":"))
      .map((pair) => [pair.slice(0, pair.indexOf(":")), pair.slice(pair.indexOf(":") + 1)]),
  );
}

function serve() {
  const secrets = parseSecrets(process.env.PB_WEBHOOK_SECRETS ?? "");
  const toleranceSeconds = Number(process.env.PB_WEBHOOK_TOLERANCE_SECONDS ?? 300);
  const server = createServer((request, response) => {
    const chunks = [];
    let size = 0;
    request.on("data", (chunk) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) request.destroy();
      else chunks.push(chunk);
    });
    request.on("end", () => {
      const body = Buffer.concat(chunks);
      const nowSeconds = Math.floor(Date.now() / 1000);
      const result = verifyWebhook({ headers: request.headers, body, secrets, nowSeconds, toleranceSeconds });
      if (!result.ok) {
        console.log(`refused ${request.headers["pb-delivery-id"] ?? "-"}: ${result.reason}`);
        response.writeHead(401, { "content-type": "text/plain" }).end(result.reason);
        return;
      }
      // Only now is the body trusted. Deliveries are at least once: skip a delivery_id (or a
      // record id) you have already stored.
      const delivery = JSON.parse(body.toString("utf8"));
      console.log(
        `verified ${delivery.delivery_id} (${delivery.records.length} records, key ${result.keyId})`,
      );
      response.writeHead(204).end();
    });
  });
  server.listen(Number(process.env.PORT ?? 8080), () => {
    console.log(`listening on ${server.address().port}`);
  });
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) serve();
