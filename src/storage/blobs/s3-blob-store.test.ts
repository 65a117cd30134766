import { randomBytes, randomUUID } from "node:crypto";
import {
  AbortMultipartUploadCommand,
  CreateMultipartUploadCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  type S3Client,
} from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort } from "../../../test/support/free-port.ts";
import { startS3Server, type S3TestServer } from "../../../test/support/s3-server.ts";
import { blobStoreContract, chunked, present, readAll, sha256Of } from "./blob-store.contract.ts";
import { createS3Client } from "./create-s3-client.ts";
import { MIN_PART_SIZE, S3BlobStore } from "./s3-blob-store.ts";
import { S3BlobStoreError } from "./s3-blob-store-error.ts";

let server: S3TestServer;
let client: S3Client;

beforeAll(async () => {
  server = await startS3Server();
  client = clientFor(server.endpoint);
});

afterAll(async () => {
  client.destroy();
  await server.stop();
});

function clientFor(endpoint: string, credentials = server.credentials, maxAttempts = 3): S3Client {
  return createS3Client({
    endpoint,
    region: "us-east-1",
    forcePathStyle: true,
    credentials,
    maxAttempts,
    connectionTimeoutMs: 2_000,
    requestTimeoutMs: 10_000,
  });
}

/** Every key in the test bucket under `prefix`. */
async function keysUnder(prefix: string): Promise<string[]> {
  const listed = await client.send(new ListObjectsV2Command({ Bucket: server.bucket, Prefix: prefix }));
  return (listed.Contents ?? []).map((object) => object.Key ?? "").sort();
}

/** Multipart uploads begun under `prefix` and neither completed nor aborted. */
async function uploadsUnder(prefix: string): Promise<string[]> {
  const listed = await client.send(
    new ListMultipartUploadsCommand({ Bucket: server.bucket, Prefix: prefix }),
  );
  return (listed.Uploads ?? []).map((upload) => upload.Key ?? "");
}

blobStoreContract("S3BlobStore", () =>
  Promise.resolve({
    // A fresh prefix per test keeps the tests apart in the one bucket.
    store: new S3BlobStore({ client, bucket: server.bucket, prefix: `contract/${randomUUID()}` }),
    cleanup: () => Promise.resolve(),
  }),
);

describe("S3BlobStore in a bucket", () => {
  it("lays blobs out as <prefix>/ab/<sha256> and leaves no temp object", async () => {
    const prefix = `layout/${randomUUID()}`;
    const store = new S3BlobStore({ client, bucket: server.bucket, prefix });
    const blob = await store.put(Buffer.from("abc"));
    const streamed = await store.put(chunked(randomBytes(MIN_PART_SIZE + 1), 256 * 1024));
    expect(await keysUnder(`${prefix}/`)).toEqual(
      [blob, streamed].map((b) => `${prefix}/${b.sha256.slice(0, 2)}/${b.sha256}`).sort(),
    );
  });

  it("keeps two stores with different prefixes in one bucket apart", async () => {
    const first = new S3BlobStore({ client, bucket: server.bucket, prefix: `isolated/${randomUUID()}` });
    const second = new S3BlobStore({ client, bucket: server.bucket, prefix: `isolated/${randomUUID()}` });
    const blob = await first.put(Buffer.from("only in the first"));
    expect(await second.head(blob.sha256)).toBeNull();
    expect(await second.get(blob.sha256)).toBeNull();
    await second.put(Buffer.from("only in the first"));
    await second.delete(blob.sha256);
    expect(await first.head(blob.sha256)).toEqual(blob);
  });

  it("streams a body larger than a part through a multipart upload", async () => {
    const prefix = `multipart/${randomUUID()}`;
    const store = new S3BlobStore({ client, bucket: server.bucket, prefix, partSize: MIN_PART_SIZE });
    const bytes = randomBytes(12 * 1024 * 1024);
    const expected = { sha256: sha256Of(bytes), size: bytes.byteLength };
    expect(await store.put(chunked(bytes, 1024 * 1024 + 17))).toEqual(expected);
    const got = present(await store.get(expected.sha256));
    expect(got.size).toBe(bytes.byteLength);
    expect(sha256Of(await readAll(got.stream))).toBe(expected.sha256);
    expect(await store.put(chunked(bytes, 3 * 1024 * 1024))).toEqual(expected);
    expect(await keysUnder(`${prefix}/`)).toEqual([
      `${prefix}/${expected.sha256.slice(0, 2)}/${expected.sha256}`,
    ]);
    expect(await uploadsUnder(`${prefix}/`)).toEqual([]);
  });

  it("stores nothing, and leaves no upload behind, when the source fails part way", async () => {
    const prefix = `failing/${randomUUID()}`;
    const store = new S3BlobStore({ client, bucket: server.bucket, prefix, partSize: MIN_PART_SIZE });
    const failure = new Error("upstream connection reset");
    async function* failing(): AsyncGenerator<Uint8Array> {
      for (let i = 0; i < 7; i += 1) {
        await Promise.resolve();
        yield randomBytes(1024 * 1024);
      }
      throw failure;
    }
    await expect(store.put(failing())).rejects.toBe(failure);
    expect(await keysUnder(`${prefix}/`)).toEqual([]);
    expect(await uploadsUnder(`${prefix}/`)).toEqual([]);
  });

  it("can see an upload in progress (the check above is not vacuous)", async () => {
    const key = `probe/${randomUUID()}/tmp/x`;
    const created = await client.send(new CreateMultipartUploadCommand({ Bucket: server.bucket, Key: key }));
    expect(await uploadsUnder(key)).toEqual([key]);
    await client.send(
      new AbortMultipartUploadCommand({ Bucket: server.bucket, Key: key, UploadId: created.UploadId }),
    );
    expect(await uploadsUnder(key)).toEqual([]);
  });

  it("refuses chunks that are not bytes", async () => {
    const store = new S3BlobStore({ client, bucket: server.bucket, prefix: `strings/${randomUUID()}` });
    async function* strings(): AsyncGenerator {
      yield Buffer.from("ok");
      await Promise.resolve();
      yield "not bytes";
    }
    await expect(store.put(strings() as AsyncIterable<Uint8Array>)).rejects.toThrow(TypeError);
  });

  it("refuses a part size below S3's minimum", () => {
    expect(() => new S3BlobStore({ client, bucket: server.bucket, prefix: "", partSize: 1024 })).toThrow(
      RangeError,
    );
  });

  it("names the missing bucket in a clear error", async () => {
    const store = new S3BlobStore({ client, bucket: "no-such-bucket", prefix: "" });
    const error = await store.put(Buffer.from("x")).catch((thrown: unknown) => thrown);
    expect(error).toBeInstanceOf(S3BlobStoreError);
    expect(error).toMatchObject({ code: "NoSuchBucket" });
    expect((error as Error).message).toContain('bucket "no-such-bucket"');
    await expect(store.get(sha256Of(Buffer.from("x")))).rejects.toMatchObject({ code: "NoSuchBucket" });
  });

  it("reports an unknown access key without showing the secret", async () => {
    const secret = "wrong-secret-0123456789";
    const wrong = clientFor(server.endpoint, { accessKeyId: "NOT-A-KEY", secretAccessKey: secret });
    try {
      const store = new S3BlobStore({ client: wrong, bucket: server.bucket, prefix: "" });
      const error = await store.put(chunked(Buffer.from("x"), 1)).catch((thrown: unknown) => thrown);
      expect(error).toBeInstanceOf(S3BlobStoreError);
      expect(error).toMatchObject({ status: 403 });
      expect(["InvalidAccessKeyId", "AccessDenied"]).toContain((error as S3BlobStoreError).code);
      expect((error as Error).message).toContain("PB_S3_ACCESS_KEY_ID");
      expect(JSON.stringify(error) + (error as Error).message).not.toContain(secret);
    } finally {
      wrong.destroy();
    }
  });

  it("fails within its retries when nothing listens at the endpoint", async () => {
    const down = clientFor(`http://127.0.0.1:${await freePort()}`, server.credentials, 2);
    try {
      const store = new S3BlobStore({ client: down, bucket: server.bucket, prefix: "" });
      await expect(store.head(sha256Of(Buffer.from("x")))).rejects.toMatchObject({
        name: "S3BlobStoreError",
        code: "ECONNREFUSED",
      });
      await expect(store.put(Buffer.from("x"))).rejects.toThrow(/nothing listens at the endpoint/);
    } finally {
      down.destroy();
    }
  });
});
