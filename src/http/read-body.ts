import type { Context } from "hono";
import type { z } from "zod";
import { DomainError, invalidInput } from "../errors/domain-error.ts";

/**
 * Reads the request body as bytes, refusing (413) more than `maxBytes` without buffering more
 * than that: the declared Content-Length is checked first, then the stream is counted.
 */
export async function readBodyBytes(c: Context, maxBytes: number): Promise<Uint8Array> {
  const declared = c.req.header("content-length");
  if (declared !== undefined && Number(declared) > maxBytes) throw tooLarge(maxBytes);
  const body = c.req.raw.body;
  if (body === null) return new Uint8Array();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for await (const chunk of body as AsyncIterable<Uint8Array>) {
    total += chunk.byteLength;
    if (total > maxBytes) throw tooLarge(maxBytes);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks, total);
}

/** Reads and validates a JSON body: 415 for another media type, 400 for bad JSON or a bad shape. */
export async function readJsonBody<T extends z.ZodType>(
  c: Context,
  schema: T,
  maxBytes: number,
): Promise<z.output<T>> {
  return schema.parse(await readJsonValue(c, maxBytes));
}

/** Reads a JSON body, not validated yet: 415 for another media type, 413 when too large, 400 for bad JSON. */
export async function readJsonValue(c: Context, maxBytes: number): Promise<unknown> {
  const type = c.req.header("content-type") ?? "";
  if (!/^application\/(.+\+)?json\s*(;|$)/i.test(type)) {
    throw new DomainError(
      "unsupported-media-type",
      "UnsupportedMediaType",
      "the body must be application/json",
    );
  }
  const bytes = await readBodyBytes(c, maxBytes);
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes));
  } catch (error) {
    const reason = error instanceof Error ? error.message : "unreadable";
    throw invalidInput("InvalidJson", `the body is not valid JSON: ${reason}`);
  }
  return value;
}

function tooLarge(maxBytes: number): DomainError {
  return new DomainError("too-large", "BodyTooLarge", `the request body is larger than ${maxBytes} bytes`);
}
