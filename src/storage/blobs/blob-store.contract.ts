import { createHash, randomBytes } from "node:crypto";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { DomainError } from "../../errors/domain-error.ts";
import type { BlobStore } from "./blob-store.ts";

/** SHA-256 of the empty string and of "abc" (FIPS 180-2 test vector). */
const EMPTY_SHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
const ABC_SHA256 = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";

const INVALID_KEYS: readonly string[] = [
  "",
  "abc",
  EMPTY_SHA256.toUpperCase(),
  EMPTY_SHA256.slice(0, 63),
  `${EMPTY_SHA256}0`,
  `${EMPTY_SHA256}\n`,
  ` ${EMPTY_SHA256.slice(1)}`,
  "g".repeat(64),
  "../../../../etc/passwd".padEnd(64, "0"),
  `/${EMPTY_SHA256.slice(1)}`,
  `ab/cd/${EMPTY_SHA256.slice(6)}`,
  `${EMPTY_SHA256.slice(0, 63)}\u0000`,
];

export interface BlobStoreFixture {
  store: BlobStore;
  cleanup(): Promise<void>;
}

/**
 * The behaviour every BlobStore adapter must have. Call it at the top level of an adapter's test
 * file: `blobStoreContract("FsBlobStore", async () => ({ store, cleanup }))`; `create` is called
 * before each test and `cleanup` after it.
 */
export function blobStoreContract(name: string, create: () => Promise<BlobStoreFixture>): void {
  describe(`BlobStore contract: ${name}`, () => {
    let fixture: BlobStoreFixture | undefined;
    let store: BlobStore;

    beforeEach(async () => {
      fixture = await create();
      store = fixture.store;
    });

    afterEach(async () => {
      await fixture?.cleanup();
      fixture = undefined;
    });

    it("round-trips bytes and reports their SHA-256 and size", async () => {
      const blob = await store.put(new TextEncoder().encode("abc"));
      expect(blob).toEqual({ sha256: ABC_SHA256, size: 3 });
      expect(await store.head(ABC_SHA256)).toEqual({ sha256: ABC_SHA256, size: 3 });
      const got = await store.get(ABC_SHA256);
      expect(got?.size).toBe(3);
      expect(Buffer.from(await readAll(present(got).stream)).toString("utf8")).toBe("abc");
    });

    it("round-trips a stream of chunks to the same address as the bytes", async () => {
      const bytes = randomBytes(100_000);
      const streamed = await store.put(chunked(bytes, 7_919));
      expect(streamed).toEqual({ sha256: sha256Of(bytes), size: bytes.byteLength });
      const got = await store.get(streamed.sha256);
      expect(got?.size).toBe(bytes.byteLength);
      expect(Buffer.from(await readAll(present(got).stream)).equals(bytes)).toBe(true);
      expect(await store.put(bytes)).toEqual(streamed);
    });

    it("accepts a web ReadableStream as the source", async () => {
      const bytes = randomBytes(10_000);
      const source = new ReadableStream<Uint8Array>({
        start(controller) {
          controller.enqueue(bytes.subarray(0, 4_000));
          controller.enqueue(bytes.subarray(4_000));
          controller.close();
        },
      });
      expect(await store.put(source)).toEqual({ sha256: sha256Of(bytes), size: bytes.byteLength });
    });

    it("keeps the stored bytes when the caller's buffer changes afterwards", async () => {
      const bytes = Buffer.from("immutable content");
      const blob = await store.put(bytes);
      bytes.fill(0);
      const got = await store.get(blob.sha256);
      expect(Buffer.from(await readAll(present(got).stream)).toString("utf8")).toBe("immutable content");
    });

    it("is idempotent: storing the same bytes again returns the same blob", async () => {
      const bytes = randomBytes(4_096);
      const first = await store.put(bytes);
      const second = await store.put(bytes);
      const third = await store.put(chunked(bytes, 1_000));
      expect(second).toEqual(first);
      expect(third).toEqual(first);
      const got = await store.get(first.sha256);
      expect(Buffer.from(await readAll(present(got).stream)).equals(bytes)).toBe(true);
    });

    it("returns null from head and get for a blob that is not there", async () => {
      expect(await store.head(ABC_SHA256)).toBeNull();
      expect(await store.get(ABC_SHA256)).toBeNull();
    });

    it("deletes a blob; head and get then return null, and other blobs stay", async () => {
      const gone = await store.put(Buffer.from("delete me"));
      const kept = await store.put(Buffer.from("keep me"));
      await store.delete(gone.sha256);
      expect(await store.get(gone.sha256)).toBeNull();
      expect(await store.head(gone.sha256)).toBeNull();
      expect(await store.head(kept.sha256)).toEqual(kept);
    });

    it("can store a blob again after deleting it", async () => {
      const blob = await store.put(Buffer.from("phoenix"));
      await store.delete(blob.sha256);
      expect(await store.put(Buffer.from("phoenix"))).toEqual(blob);
      expect(await store.head(blob.sha256)).toEqual(blob);
    });

    it("treats deleting a missing blob as success", async () => {
      await expect(store.delete(ABC_SHA256)).resolves.toBeUndefined();
      const blob = await store.put(Buffer.from("twice"));
      await store.delete(blob.sha256);
      await expect(store.delete(blob.sha256)).resolves.toBeUndefined();
    });

    it.each(INVALID_KEYS.map((key) => [JSON.stringify(key), key]))(
      "rejects the malformed key %s in get, head and delete",
      async (_label, key) => {
        for (const operation of [() => store.get(key), () => store.head(key), () => store.delete(key)]) {
          const error = await operation().then(
            () => undefined,
            (thrown: unknown) => thrown,
          );
          expect(error).toBeInstanceOf(DomainError);
          expect(error).toMatchObject({ kind: "invalid", code: "InvalidBlobKey" });
        }
      },
    );

    it("stores a 5 MiB random blob from a stream and from bytes", async () => {
      const bytes = randomBytes(5 * 1024 * 1024);
      const expected = { sha256: sha256Of(bytes), size: bytes.byteLength };
      expect(await store.put(chunked(bytes, 64 * 1024))).toEqual(expected);
      const got = await store.get(expected.sha256);
      expect(got?.size).toBe(bytes.byteLength);
      const read = await readAll(present(got).stream);
      expect(read.byteLength).toBe(bytes.byteLength);
      expect(sha256Of(read)).toBe(expected.sha256);
      await store.delete(expected.sha256);
      expect(await store.put(bytes)).toEqual(expected);
    });

    it("survives 20 concurrent puts of identical content", async () => {
      const bytes = randomBytes(256 * 1024);
      const expected = { sha256: sha256Of(bytes), size: bytes.byteLength };
      const results = await Promise.all(
        Array.from({ length: 20 }, (_, i) => store.put(i % 2 === 0 ? bytes : chunked(bytes, 16 * 1024))),
      );
      for (const result of results) expect(result).toEqual(expected);
      const got = await store.get(expected.sha256);
      expect(sha256Of(await readAll(present(got).stream))).toBe(expected.sha256);
    });

    it("survives 20 concurrent puts of different content", async () => {
      const contents = Array.from({ length: 20 }, (_, i) => randomBytes(1_000 + i * 997));
      const results = await Promise.all(
        contents.map((bytes, i) => store.put(i % 2 === 0 ? bytes : chunked(bytes, 500))),
      );
      expect(new Set(results.map((r) => r.sha256)).size).toBe(20);
      await Promise.all(
        contents.map(async (bytes, i) => {
          expect(results[i]).toEqual({ sha256: sha256Of(bytes), size: bytes.byteLength });
          const got = await store.get(sha256Of(bytes));
          expect(Buffer.from(await readAll(present(got).stream)).equals(bytes)).toBe(true);
        }),
      );
    });

    it("stores the empty blob, from bytes and from an empty stream", async () => {
      const expected = { sha256: EMPTY_SHA256, size: 0 };
      expect(await store.put(new Uint8Array(0))).toEqual(expected);
      expect(await store.put(chunked(new Uint8Array(0), 1))).toEqual(expected);
      expect(await store.head(EMPTY_SHA256)).toEqual(expected);
      const got = await store.get(EMPTY_SHA256);
      expect(got?.size).toBe(0);
      expect((await readAll(present(got).stream)).byteLength).toBe(0);
    });

    it("streams a range of a blob, with the whole blob's size", async () => {
      const bytes = randomBytes(300_000);
      const blob = await store.put(bytes);
      for (const [first, last] of [
        [0, 0],
        [0, 299_999],
        [1, 1],
        [65_535, 65_536],
        [123_456, 234_567],
        [299_999, 299_999],
      ] as const) {
        const got = present(await store.get(blob.sha256, { first, last }));
        expect(got.size).toBe(300_000);
        const read = Buffer.from(await readAll(got.stream));
        expect(read.equals(bytes.subarray(first, last + 1)), `${first}-${last}`).toBe(true);
      }
    });

    it("answers null for a range of an absent blob", async () => {
      expect(await store.get(ABC_SHA256, { first: 0, last: 1 })).toBeNull();
    });

    it("lets a reader cancel a stream part way", async () => {
      const blob = await store.put(randomBytes(1024 * 1024));
      const got = await store.get(blob.sha256);
      const reader = present(got).stream.getReader();
      const first = await reader.read();
      expect(first.done).toBe(false);
      await reader.cancel();
      expect(await store.head(blob.sha256)).toEqual(blob);
    });
  });
}

/** `value`, or a test failure when the store returned null for a blob it should have. */
export function present<T>(value: T | null): T {
  if (value === null) throw new Error("expected the blob to be present, the store returned null");
  return value;
}

export function sha256Of(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}

/** Yields `bytes` in slices of `size` (nothing at all for empty input), asynchronously. */
export async function* chunked(bytes: Uint8Array, size: number): AsyncGenerator<Uint8Array> {
  for (let offset = 0; offset < bytes.byteLength; offset += size) {
    await Promise.resolve();
    yield bytes.subarray(offset, offset + size);
  }
}

export async function readAll(stream: ReadableStream<Uint8Array>): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  const reader = stream.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
  }
  return Buffer.concat(chunks);
}
