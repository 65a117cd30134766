import type { Context } from "hono";
import { constants, brotliCompressSync, gzipSync } from "node:zlib";
import type { MetadataDocument } from "../catalog/metadata-document.ts";

const compressed = new WeakMap<MetadataDocument, { gzip?: Buffer; br?: Buffer }>();

/**
 * Sends a metadata document the way Composer revalidates it: Last-Modified and an answer of 304
 * to a matching If-Modified-Since (Composer never uses ETag; CDNs do, so ETag is sent and
 * If-None-Match honoured too). Bodies are compressed once per document and reused.
 */
export function sendMetadata(c: Context, document: MetadataDocument): Response {
  const headers: Record<string, string> = {
    "last-modified": document.lastModified.toUTCString(),
    etag: document.etag,
    "cache-control": "private, no-cache",
    vary: "Accept-Encoding, Authorization",
  };
  if (isNotModified(c, document)) return new Response(null, { status: 304, headers });
  headers["content-type"] = "application/json";
  const encoding = pickEncoding(c.req.header("accept-encoding"));
  if (encoding === undefined) return new Response(document.body, { status: 200, headers });
  headers["content-encoding"] = encoding;
  return new Response(new Uint8Array(compress(document, encoding)), { status: 200, headers });
}

function isNotModified(c: Context, document: MetadataDocument): boolean {
  const ifNoneMatch = c.req.header("if-none-match");
  if (ifNoneMatch !== undefined) {
    return ifNoneMatch.split(",").some((tag) => tag.trim().replace(/^W\//, "") === document.etag);
  }
  const ifModifiedSince = c.req.header("if-modified-since");
  if (ifModifiedSince === undefined) return false;
  const since = Date.parse(ifModifiedSince);
  return !Number.isNaN(since) && document.lastModified.getTime() <= since;
}

function pickEncoding(acceptEncoding: string | undefined): "br" | "gzip" | undefined {
  if (acceptEncoding === undefined) return undefined;
  const offered = new Map(
    acceptEncoding.split(",").map((part) => {
      const [name = "", ...params] = part.trim().toLowerCase().split(";");
      const q = params.map((p) => p.trim()).find((p) => p.startsWith("q="));
      return [name.trim(), q === undefined ? 1 : Number(q.slice(2))] as const;
    }),
  );
  const accepts = (name: string): boolean => (offered.get(name) ?? offered.get("*") ?? 0) > 0;
  if (accepts("br")) return "br";
  if (accepts("gzip")) return "gzip";
  return undefined;
}

function compress(document: MetadataDocument, encoding: "br" | "gzip"): Buffer {
  let variants = compressed.get(document);
  if (variants === undefined) {
    variants = {};
    compressed.set(document, variants);
  }
  const cached = variants[encoding];
  if (cached !== undefined) return cached;
  const body =
    encoding === "br"
      ? brotliCompressSync(document.body, { params: { [constants.BROTLI_PARAM_QUALITY]: 5 } })
      : gzipSync(document.body, { level: 6 });
  variants[encoding] = body;
  return body;
}
