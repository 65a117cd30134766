import type { BlobsConfig } from "../../config/load-config.ts";
import type { BlobStore } from "./blob-store.ts";
import { createS3Client } from "./create-s3-client.ts";
import { FsBlobStore } from "./fs-blob-store.ts";
import { S3BlobStore } from "./s3-blob-store.ts";

/**
 * The blob store the configuration names: a folder (the default, DATA_DIR/dists) or an S3 bucket
 * under a key prefix. Nothing is contacted here; the first put or get is.
 */
export function openBlobStore(config: BlobsConfig): BlobStore {
  if (config.kind === "fs") return new FsBlobStore({ directory: config.directory });
  const client = createS3Client({
    endpoint: config.endpoint,
    region: config.region,
    forcePathStyle: config.forcePathStyle,
    credentials: config.credentials,
  });
  return new S3BlobStore({ client, bucket: config.bucket, prefix: config.prefix });
}
