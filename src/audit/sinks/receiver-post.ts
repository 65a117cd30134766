import type { Clock } from "../../clock/clock.ts";
import { retryAfterMs } from "./retry-after.ts";
import type { DeliveryResult } from "./sink-transport.ts";

/** One HTTP request to a receiver. */
export interface ReceiverRequest {
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string | Uint8Array;
  readonly signal: AbortSignal;
}

/** What a receiver answered (the body read up to MAX_RESPONSE_BYTES), or why it answered nothing. */
export type ReceiverReply =
  | {
      readonly kind: "response";
      readonly status: number;
      readonly headers: Headers;
      readonly text: string;
      /** The body was longer than MAX_RESPONSE_BYTES and was cut there. */
      readonly truncated: boolean;
    }
  | { readonly kind: "unreachable"; readonly error: string };

/** Enough for an Elasticsearch answer about 1,000 items; a hostile receiver cannot fill memory. */
export const MAX_RESPONSE_BYTES = 8 * 1024 * 1024;

/** How much of a receiver's body an error message quotes. */
const QUOTED_BODY_CHARS = 300;

/**
 * POSTs to a receiver. Redirects are not followed (a redirect would carry the credentials to
 * another place; the configured URL must be the final one). Network errors, timeouts and aborts
 * become `unreachable`, never exceptions.
 */
export async function postToReceiver(request: ReceiverRequest): Promise<ReceiverReply> {
  try {
    const response = await fetch(request.url, {
      method: "POST",
      headers: request.headers,
      body: request.body,
      redirect: "manual",
      signal: request.signal,
    });
    const { text, truncated } = await readBounded(response);
    return { kind: "response", status: response.status, headers: response.headers, text, truncated };
  } catch (error) {
    return { kind: "unreachable", error: unreachableReason(error, request.signal) };
  }
}

async function readBounded(response: Response): Promise<{ text: string; truncated: boolean }> {
  if (response.body === null) return { text: "", truncated: false };
  // The DOM typings of fetch leave the chunk type open; fetch's body always yields bytes.
  const reader = (response.body as ReadableStream<Uint8Array>).getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    size += value.byteLength;
    if (size > MAX_RESPONSE_BYTES) {
      await reader.cancel();
      return {
        text: Buffer.concat(chunks).subarray(0, MAX_RESPONSE_BYTES).toString("utf8"),
        truncated: true,
      };
    }
  }
  return { text: Buffer.concat(chunks).toString("utf8"), truncated: false };
}

/** Why a request got no answer, without the URL (it may hold credentials). */
export function unreachableReason(error: unknown, signal: AbortSignal): string {
  if (signal.aborted) return `no answer before the attempt was aborted (${describe(signal.reason)})`;
  const cause = error instanceof Error && error.cause !== undefined ? error.cause : error;
  return `receiver unreachable: ${describe(cause)}`;
}

function describe(reason: unknown): string {
  if (reason instanceof Error) {
    const code = (reason as Error & { code?: unknown }).code;
    return typeof code === "string" ? `${code} ${reason.message}` : `${reason.name}: ${reason.message}`;
  }
  return String(reason);
}

/** 408, 429 and every 5xx are worth another attempt (with the receiver's Retry-After). */
export function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 429 || status >= 500;
}

/** A short, single-line quote of what the receiver said. */
export function quoteBody(text: string): string {
  const line = text.replace(/\s+/g, " ").trim();
  return line.length > QUOTED_BODY_CHARS ? `${line.slice(0, QUOTED_BODY_CHARS)}…` : line;
}

/**
 * The result of a reply that the transport has no more specific reading for: 2xx delivered,
 * 408/429/5xx and no answer at all retry (with Retry-After), anything else (3xx, 4xx) rejected.
 */
export function replyResult(reply: ReceiverReply, receiver: string, clock: Clock): DeliveryResult {
  if (reply.kind === "unreachable") return { kind: "retry", error: `${receiver}: ${reply.error}` };
  const { status } = reply;
  if (status >= 200 && status < 300) return { kind: "delivered" };
  const said = quoteBody(reply.text);
  const error = `${receiver} answered HTTP ${status}${said === "" ? "" : `: ${said}`}`;
  if (isRetryableStatus(status)) {
    const wait = retryAfterMs(reply.headers.get("retry-after"), clock);
    return wait === undefined ? { kind: "retry", error } : { kind: "retry", error, retryAfterMs: wait };
  }
  if (status >= 300 && status < 400) {
    return { kind: "rejected", error: `${error} (a redirect is not followed: configure the final URL)` };
  }
  return { kind: "rejected", error };
}

/** Whether a reply is a 2xx response. */
export function isSuccessReply(reply: ReceiverReply): reply is Extract<ReceiverReply, { kind: "response" }> {
  return reply.kind === "response" && reply.status >= 200 && reply.status < 300;
}

/** A receiver's body as JSON, or undefined when it is not JSON (a hostile or broken receiver). */
export function replyJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}
