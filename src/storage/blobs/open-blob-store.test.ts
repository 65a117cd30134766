import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { loadConfig } from "../../config/load-config.ts";
import { startS3Server } from "../../../test/support/s3-server.ts";
import { present, readAll } from "./blob-store.contract.ts";
import { FsBlobStore } from "./fs-blob-store.ts";
import { openBlobStore } from "./open-blob-store.ts";
import { S3BlobStore } from "./s3-blob-store.ts";

describe("openBlobStore", () => {
  it("opens DATA_DIR/dists by default, and the folder of a file URL", async () => {
    const root = await fs.mkdtemp(path.join(os.tmpdir(), "package-broker-open-"));
    try {
      const byDefault = openBlobStore(loadConfig({ PB_DATA_DIR: root }).blobs);
      expect(byDefault).toBeInstanceOf(FsBlobStore);
      const blob = await byDefault.put(Buffer.from("abc"));
      await expect(fs.stat(path.join(root, "dists", "ba", "78", blob.sha256))).resolves.toBeDefined();
      const other = path.join(root, "elsewhere");
      const byUrl = openBlobStore(loadConfig({ PB_DATA_DIR: root, PB_BLOB_URL: `file://${other}` }).blobs);
      await byUrl.put(Buffer.from("abc"));
      await expect(fs.stat(path.join(other, "ba", "78", blob.sha256))).resolves.toBeDefined();
    } finally {
      await fs.rm(root, { recursive: true, force: true });
    }
  });

  it("opens the bucket and prefix of an s3 URL with the PB_S3_* settings", async () => {
    const server = await startS3Server("configured-bucket");
    try {
      const config = loadConfig({
        PB_BLOB_URL: "s3://configured-bucket/broker/dists",
        PB_S3_ENDPOINT: server.endpoint,
        PB_S3_FORCE_PATH_STYLE: "true",
        PB_S3_ACCESS_KEY_ID: server.credentials.accessKeyId,
        PB_S3_SECRET_ACCESS_KEY: server.credentials.secretAccessKey,
      });
      const store = openBlobStore(config.blobs);
      expect(store).toBeInstanceOf(S3BlobStore);
      const blob = await store.put(Buffer.from("from the configuration"));
      const got = present(await store.get(blob.sha256));
      expect(Buffer.from(await readAll(got.stream)).toString("utf8")).toBe("from the configuration");
    } finally {
      await server.stop();
    }
  });
});
