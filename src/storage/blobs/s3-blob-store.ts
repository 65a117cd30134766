import { createHash, randomUUID } from "node:crypto";
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  PutObjectCommand,
  UploadPartCommand,
  type CompletedPart,
  type S3Client,
} from "@aws-sdk/client-s3";
import {
  assertBlobKey,
  type BlobRange,
  type BlobRead,
  type BlobStore,
  type StoredBlob,
} from "./blob-store.ts";
import { errorCode, httpStatus, S3BlobStoreError } from "./s3-blob-store-error.ts";

/** S3's smallest part (all but the last); also the most a streamed put buffers before it uploads. */
export const MIN_PART_SIZE = 5 * 1024 * 1024;
const DEFAULT_PART_SIZE = 8 * 1024 * 1024;
const TEMP_FOLDER = "tmp";
const CONTENT_TYPE = "application/octet-stream";

export interface S3BlobStoreOptions {
  readonly client: S3Client;
  readonly bucket: string;
  /** Key prefix without leading or trailing slash (`dists/prod`), or "" for the bucket's root. */
  readonly prefix: string;
  /** Bytes of each multipart part, at least MIN_PART_SIZE; bodies smaller than this are one PUT. */
  readonly partSize?: number;
}

/**
 * Content-addressed blobs in an S3 bucket (AWS, MinIO, R2, Ceph, ...): only standard S3 calls.
 *
 * Layout: `<prefix>/<sha256[0..2]>/<sha256>`; uploads in progress live at `<prefix>/tmp/<uuid>`.
 * A body smaller than one part is hashed in memory and written with one PutObject to its content
 * address, with its SHA-256 as the checksum S3 verifies. A larger body cannot be named before it is
 * read through, so it is streamed as a multipart upload (MD5 per part) to a temp key, then copied
 * onto its content address (when not already there) and the temp object deleted. PutObject,
 * CompleteMultipartUpload and CopyObject each make an object appear whole or not at all, so a
 * reader never sees a partial blob. A failed put aborts its multipart upload and deletes its temp
 * object. CopyObject copies up to 5 GiB in one call: that is the largest blob.
 */
export class S3BlobStore implements BlobStore {
  readonly #client: S3Client;
  readonly #bucket: string;
  readonly #prefix: string;
  readonly #partSize: number;

  constructor(options: S3BlobStoreOptions) {
    const partSize = options.partSize ?? DEFAULT_PART_SIZE;
    if (!Number.isInteger(partSize) || partSize < MIN_PART_SIZE) {
      throw new RangeError(`partSize must be a whole number of at least ${MIN_PART_SIZE} bytes`);
    }
    this.#client = options.client;
    this.#bucket = options.bucket;
    this.#prefix = options.prefix === "" ? "" : `${options.prefix.replace(/^\/+|\/+$/g, "")}/`;
    this.#partSize = partSize;
  }

  async put(data: Uint8Array | AsyncIterable<Uint8Array>): Promise<StoredBlob> {
    if (data instanceof Uint8Array) {
      return this.#putWhole(Buffer.from(data.buffer, data.byteOffset, data.byteLength));
    }
    const hash = createHash("sha256");
    const pending = new PendingBytes();
    let upload: MultipartUpload | null = null;
    try {
      for await (const chunk of data) {
        if (!(chunk instanceof Uint8Array)) {
          throw new TypeError(`blob data must be Uint8Array chunks, got ${typeof chunk}`);
        }
        hash.update(chunk);
        pending.add(chunk);
        while (pending.length >= this.#partSize) {
          upload ??= await this.#startUpload();
          await upload.send(pending.take(this.#partSize));
        }
      }
      if (upload === null) return await this.#putWhole(pending.take(pending.length));
      if (pending.length > 0) await upload.send(pending.take(pending.length));
      const blob = { sha256: hash.digest("hex"), size: upload.size };
      await upload.complete();
      await this.#publish(upload.key, blob);
      return blob;
    } catch (error) {
      await upload?.discard();
      throw error;
    }
  }

  async get(sha256: string, range?: BlobRange): Promise<BlobRead | null> {
    assertBlobKey(sha256);
    const key = this.#keyOf(sha256);
    try {
      const object = await this.#client.send(
        new GetObjectCommand({
          Bucket: this.#bucket,
          Key: key,
          ...(range === undefined ? {} : { Range: `bytes=${range.first}-${range.last}` }),
        }),
      );
      if (object.Body === undefined) throw new Error("the answer has no body");
      const stream = object.Body.transformToWebStream() as ReadableStream<Uint8Array>;
      const size = wholeSize(object.ContentRange) ?? object.ContentLength ?? 0;
      if (range === undefined) return { size, stream };
      const wanted = range.last - range.first + 1;
      if (object.ContentLength === wanted) return { size, stream };
      // Some S3-compatible servers (s3rver) take `bytes=0-0` for "from 0 to the end".
      if (rangeStart(object.ContentRange) !== range.first) {
        await stream.cancel();
        throw new Error(
          `the object store answered ${object.ContentRange ?? "the whole object"} to a range request`,
        );
      }
      return { size, stream: firstBytes(stream, wanted) };
    } catch (error) {
      if (isNotFound(error)) return null;
      throw new S3BlobStoreError("GetObject", this.#bucket, key, error);
    }
  }

  async head(sha256: string): Promise<StoredBlob | null> {
    assertBlobKey(sha256);
    const size = await this.#sizeOf(this.#keyOf(sha256));
    return size === null ? null : { sha256, size };
  }

  async delete(sha256: string): Promise<void> {
    assertBlobKey(sha256);
    await this.#deleteObject(this.#keyOf(sha256));
  }

  /** `<prefix>/ab/<sha256>`; `sha256` must have passed assertBlobKey. */
  #keyOf(sha256: string): string {
    return `${this.#prefix}${sha256.slice(0, 2)}/${sha256}`;
  }

  /** Bytes already in memory: one PutObject to their content address, unless they are there. */
  async #putWhole(bytes: Buffer): Promise<StoredBlob> {
    const digest = createHash("sha256").update(bytes).digest();
    const sha256 = digest.toString("hex");
    const key = this.#keyOf(sha256);
    if ((await this.#sizeOf(key)) === bytes.byteLength) return { sha256, size: bytes.byteLength };
    await this.#call("PutObject", key, () =>
      this.#client.send(
        new PutObjectCommand({
          Bucket: this.#bucket,
          Key: key,
          Body: bytes,
          ContentLength: bytes.byteLength,
          ContentType: CONTENT_TYPE,
          ChecksumSHA256: digest.toString("base64"),
        }),
      ),
    );
    return { sha256, size: bytes.byteLength };
  }

  async #startUpload(): Promise<MultipartUpload> {
    const key = `${this.#prefix}${TEMP_FOLDER}/${randomUUID()}`;
    const created = await this.#call("CreateMultipartUpload", key, () =>
      this.#client.send(
        new CreateMultipartUploadCommand({ Bucket: this.#bucket, Key: key, ContentType: CONTENT_TYPE }),
      ),
    );
    if (created.UploadId === undefined) {
      throw new S3BlobStoreError("CreateMultipartUpload", this.#bucket, key, new Error("no UploadId"));
    }
    return new MultipartUpload(this.#client, this.#bucket, key, created.UploadId);
  }

  /** Copies a completed temp object onto the blob's address (unless it is there) and removes it. */
  async #publish(tempKey: string, blob: StoredBlob): Promise<void> {
    const key = this.#keyOf(blob.sha256);
    if ((await this.#sizeOf(key)) !== blob.size) {
      await this.#call("CopyObject", key, () =>
        this.#client.send(
          new CopyObjectCommand({
            Bucket: this.#bucket,
            Key: key,
            CopySource: copySource(this.#bucket, tempKey),
            ContentType: CONTENT_TYPE,
            MetadataDirective: "REPLACE",
          }),
        ),
      );
    }
    await this.#deleteObject(tempKey);
  }

  /** The object's size, or null when there is none. */
  async #sizeOf(key: string): Promise<number | null> {
    try {
      const head = await this.#client.send(new HeadObjectCommand({ Bucket: this.#bucket, Key: key }));
      return head.ContentLength ?? 0;
    } catch (error) {
      if (isNotFound(error)) return null;
      throw new S3BlobStoreError("HeadObject", this.#bucket, key, error);
    }
  }

  async #deleteObject(key: string): Promise<void> {
    await this.#call("DeleteObject", key, () =>
      this.#client.send(new DeleteObjectCommand({ Bucket: this.#bucket, Key: key })),
    );
  }

  async #call<T>(operation: string, key: string, run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (error) {
      throw new S3BlobStoreError(operation, this.#bucket, key, error);
    }
  }
}

/**
 * One multipart upload to a temp key. Parts go one at a time, so a put holds at most one part (plus
 * one chunk) in memory.
 */
class MultipartUpload {
  readonly #client: S3Client;
  readonly #target: { readonly Bucket: string; readonly Key: string; readonly UploadId: string };
  readonly #parts: CompletedPart[] = [];
  #completed = false;
  readonly key: string;
  size = 0;

  constructor(client: S3Client, bucket: string, key: string, uploadId: string) {
    this.#client = client;
    this.#target = { Bucket: bucket, Key: key, UploadId: uploadId };
    this.key = key;
  }

  async send(part: Buffer): Promise<void> {
    const PartNumber = this.#parts.length + 1;
    const answer = await this.#call("UploadPart", () =>
      this.#client.send(
        new UploadPartCommand({
          ...this.#target,
          PartNumber,
          Body: part,
          ContentLength: part.byteLength,
          ContentMD5: createHash("md5").update(part).digest("base64"),
        }),
      ),
    );
    this.#parts.push({ PartNumber, ETag: answer.ETag });
    this.size += part.byteLength;
  }

  async complete(): Promise<void> {
    await this.#call("CompleteMultipartUpload", () =>
      this.#client.send(
        new CompleteMultipartUploadCommand({ ...this.#target, MultipartUpload: { Parts: this.#parts } }),
      ),
    );
    this.#completed = true;
  }

  /**
   * After a failure: aborts the upload (S3 then drops its parts) or, once completed, deletes the
   * temp object. Errors here are dropped so that the put's own error is the one reported; a
   * bucket lifecycle rule on `<prefix>/tmp/` and on incomplete uploads catches what remains.
   */
  async discard(): Promise<void> {
    const { Bucket, Key } = this.#target;
    const done = this.#completed
      ? this.#client.send(new DeleteObjectCommand({ Bucket, Key }))
      : this.#client.send(new AbortMultipartUploadCommand(this.#target));
    await done.catch(() => undefined);
  }

  async #call<T>(operation: string, run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (error) {
      throw new S3BlobStoreError(operation, this.#target.Bucket, this.key, error);
    }
  }
}

/** Chunks received and not yet uploaded, copied (the caller may reuse its buffers). */
class PendingBytes {
  #chunks: Buffer[] = [];
  length = 0;

  add(chunk: Uint8Array): void {
    this.#chunks.push(Buffer.from(chunk));
    this.length += chunk.byteLength;
  }

  /** The first `count` bytes, removed. */
  take(count: number): Buffer {
    const all = Buffer.concat(this.#chunks, this.length);
    this.#chunks = count < all.byteLength ? [all.subarray(count)] : [];
    this.length -= count;
    return all.subarray(0, count);
  }
}

/** `bucket/key` as CopyObject wants it: URL-encoded, slashes kept. */
function copySource(bucket: string, key: string): string {
  return `${bucket}/${key.split("/").map(encodeURIComponent).join("/")}`;
}

function isNotFound(error: unknown): boolean {
  const code = errorCode(error);
  return (
    code === "NoSuchKey" || code === "NotFound" || (code !== "NoSuchBucket" && httpStatus(error) === 404)
  );
}

/** The whole object's size from a `Content-Range: bytes 0-9/1234` answer to a ranged GET. */
function wholeSize(contentRange: string | undefined): number | undefined {
  const match = /\/(\d+)$/.exec(contentRange ?? "");
  return match === null ? undefined : Number(match[1]);
}

/** The first byte of a `Content-Range: bytes 0-9/1234` answer. */
function rangeStart(contentRange: string | undefined): number | undefined {
  const match = /^bytes (\d+)-/.exec(contentRange ?? "");
  return match === null ? undefined : Number(match[1]);
}

/** The first `count` bytes of `stream`, which is cancelled after them. */
function firstBytes(stream: ReadableStream<Uint8Array>, count: number): ReadableStream<Uint8Array> {
  const reader = stream.getReader();
  let left = count;
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      const { done, value } = await reader.read();
      if (done || left <= 0) {
        controller.close();
        return;
      }
      const chunk = value.byteLength > left ? value.subarray(0, left) : value;
      left -= chunk.byteLength;
      controller.enqueue(chunk);
      if (left === 0) {
        controller.close();
        await reader.cancel();
      }
    },
    cancel: (reason) => reader.cancel(reason),
  });
}
