import { createHash } from "node:crypto";

/** A rendered metadata document and its validators. */
export interface MetadataDocument {
  readonly body: string;
  /** Whole seconds: what Last-Modified says and If-Modified-Since is compared with. */
  readonly lastModified: Date;
  readonly etag: string;
}

export function metadataDocument(body: string, changedAt: string): MetadataDocument {
  const hash = createHash("sha256").update(body).digest("base64url").slice(0, 27);
  return { body, lastModified: new Date(Math.floor(Date.parse(changedAt) / 1000) * 1000), etag: `"${hash}"` };
}
