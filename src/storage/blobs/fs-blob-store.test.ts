import { randomBytes } from "node:crypto";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { blobStoreContract, chunked, readAll, sha256Of } from "./blob-store.contract.ts";
import { FS_BLOB_FILE_MODE, FsBlobStore } from "./fs-blob-store.ts";

async function makeTempDirectory(): Promise<string> {
  return fs.mkdtemp(path.join(os.tmpdir(), "package-broker-blobs-"));
}

blobStoreContract("FsBlobStore", async () => {
  const directory = await makeTempDirectory();
  return {
    store: new FsBlobStore({ directory: path.join(directory, "blobs") }),
    cleanup: () => fs.rm(directory, { recursive: true, force: true }),
  };
});

/** Every regular file under `directory`, relative to it, sorted. */
async function listFiles(directory: string): Promise<string[]> {
  const entries = await fs.readdir(directory, { recursive: true, withFileTypes: true });
  return entries
    .filter((entry) => entry.isFile())
    .map((entry) => path.relative(directory, path.join(entry.parentPath, entry.name)))
    .sort();
}

describe("FsBlobStore on disk", () => {
  let root: string;
  let directory: string;
  let store: FsBlobStore;

  beforeEach(async () => {
    root = await makeTempDirectory();
    directory = path.join(root, "blobs");
    store = new FsBlobStore({ directory });
  });

  afterEach(async () => {
    await fs.rm(root, { recursive: true, force: true });
  });

  it("creates its directory on first write and lays blobs out as ab/cd/<sha256>", async () => {
    await expect(fs.stat(directory)).rejects.toMatchObject({ code: "ENOENT" });
    const blob = await store.put(Buffer.from("abc"));
    const expectedPath = path.join("ba", "78", blob.sha256);
    expect(await listFiles(directory)).toEqual([expectedPath]);
    expect(await fs.readFile(path.join(directory, expectedPath), "utf8")).toBe("abc");
  });

  it("leaves no temp files behind after successful, repeated and concurrent puts", async () => {
    const bytes = randomBytes(64 * 1024);
    await store.put(bytes);
    await store.put(bytes);
    await store.put(chunked(bytes, 4_096));
    await Promise.all(Array.from({ length: 10 }, () => store.put(chunked(bytes, 8_192))));
    await Promise.all(Array.from({ length: 10 }, (_, i) => store.put(randomBytes(100 + i))));
    expect(await fs.readdir(path.join(directory, ".tmp"))).toEqual([]);
    expect(await listFiles(directory)).toHaveLength(11);
  });

  it("stores nothing, and leaves no temp file, when the source stream fails", async () => {
    const failure = new Error("upstream connection reset");
    async function* failing(): AsyncGenerator<Uint8Array> {
      yield randomBytes(10_000);
      await Promise.resolve();
      yield randomBytes(10_000);
      throw failure;
    }
    await expect(store.put(failing())).rejects.toBe(failure);
    expect(await listFiles(directory)).toEqual([]);
    expect(await fs.readdir(path.join(directory, ".tmp"))).toEqual([]);
  });

  it("refuses chunks that are not bytes and cleans up", async () => {
    async function* strings(): AsyncGenerator {
      yield Buffer.from("ok");
      await Promise.resolve();
      yield "not bytes";
    }
    await expect(store.put(strings() as AsyncIterable<Uint8Array>)).rejects.toThrow(TypeError);
    expect(await listFiles(directory)).toEqual([]);
  });

  it.skipIf(process.platform === "win32")("publishes blobs read-only, whatever the umask", async () => {
    const blob = await store.put(Buffer.from("mode"));
    const streamed = await store.put(chunked(Buffer.from("streamed mode"), 3));
    for (const sha256 of [blob.sha256, streamed.sha256]) {
      const stats = await fs.stat(path.join(directory, sha256.slice(0, 2), sha256.slice(2, 4), sha256));
      expect(stats.mode & 0o777).toBe(FS_BLOB_FILE_MODE);
    }
  });

  it("replaces a damaged blob of the wrong size when the bytes are stored again", async () => {
    const bytes = Buffer.from("the real content");
    const blob = await store.put(bytes);
    const blobPath = path.join(directory, blob.sha256.slice(0, 2), blob.sha256.slice(2, 4), blob.sha256);
    await fs.chmod(blobPath, 0o644);
    await fs.writeFile(blobPath, "trunc");
    expect(await store.head(blob.sha256)).toEqual({ sha256: blob.sha256, size: 5 });
    expect(await store.put(bytes)).toEqual(blob);
    expect(await fs.readFile(blobPath, "utf8")).toBe("the real content");
  });

  it("keeps serving an open download when the blob is deleted meanwhile", async () => {
    const bytes = randomBytes(2 * 1024 * 1024);
    const blob = await store.put(bytes);
    const got = await store.get(blob.sha256);
    await store.delete(blob.sha256);
    expect(await store.head(blob.sha256)).toBeNull();
    expect(sha256Of(await readAll(got!.stream))).toBe(blob.sha256);
  });

  it("never turns a malformed key into a path", async () => {
    const outside = path.join(root, "secret");
    await fs.writeFile(outside, "secret");
    const key = path.relative(path.join(directory, "aa", "bb"), outside).padEnd(64, "/");
    await expect(store.head(key)).rejects.toMatchObject({ code: "InvalidBlobKey" });
    await expect(store.delete(key)).rejects.toMatchObject({ code: "InvalidBlobKey" });
    expect(await fs.readFile(outside, "utf8")).toBe("secret");
    await expect(fs.stat(directory)).rejects.toMatchObject({ code: "ENOENT" });
  });
});
