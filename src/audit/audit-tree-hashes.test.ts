import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { AuditTreeHashes, type LeafHashReader } from "./audit-tree-hashes.ts";
import {
  consistencyProof,
  inclusionProof,
  leafHash,
  rootFromLeafHashes,
  verifyConsistency,
  verifyInclusion,
} from "./integrity/merkle.ts";

/** Leaf hashes in memory, read like `AuditRecords.leafHashes`, counting what is read. */
class MemoryLeaves implements LeafHashReader {
  readonly hashes: Buffer[] = [];
  reads = 0;
  rowsRead = 0;

  constructor(count: number) {
    this.grow(count);
  }

  grow(count: number): void {
    for (let index = this.hashes.length; index < count; index++) {
      this.hashes.push(leafHash(Buffer.from(`event ${index}`)));
    }
  }

  leafHashes(from: number, to: number): Promise<string[]> {
    this.reads += 1;
    const rows = this.hashes.slice(from - 1, Math.min(to, this.hashes.length)).map((h) => h.toString("hex"));
    this.rowsRead += rows.length;
    return Promise.resolve(rows);
  }

  resetCounts(): void {
    this.reads = 0;
    this.rowsRead = 0;
  }
}

const hex = (nodes: readonly Uint8Array[]): string[] =>
  nodes.map((node) => Buffer.from(node).toString("hex"));
const bytes = (nodes: readonly string[]): Buffer[] => nodes.map((node) => Buffer.from(node, "hex"));

describe("AuditTreeHashes", () => {
  it("gives the proofs of the reference implementation, for every index and size up to 40", async () => {
    const leaves = new MemoryLeaves(40);
    // A small block, so that memoised, partial and cold ranges all occur.
    const tree = new AuditTreeHashes(leaves, { blockLevel: 2, readChunk: 8 });
    const accessor = (index: number): Uint8Array => leaves.hashes[index] ?? Buffer.alloc(0);
    for (let size = 1; size <= 40; size++) {
      const root = rootFromLeafHashes(leaves.hashes.slice(0, size));
      expect(await tree.root(size)).toBe(root.toString("hex"));
      for (let index = 0; index < size; index++) {
        const got = await tree.inclusion(index, size);
        expect(got.proof).toEqual(hex(inclusionProof(index, size, accessor)));
        expect(got.root).toBe(root.toString("hex"));
        expect(verifyInclusion(accessor(index), index, size, bytes(got.proof), root)).toBe(true);
      }
      for (let first = 1; first <= size; first++) {
        const got = await tree.consistency(first, size);
        expect(got.proof).toEqual(hex(consistencyProof(first, size, accessor)));
        expect(verifyConsistency(first, size, bytes(got.proof), bytes([got.firstRoot])[0]!, root)).toBe(true);
      }
    }
  });

  it("reads a 100,000-leaf log once, then a few hundred rows per proof (never O(n) per proof)", async () => {
    const size = 100_000;
    const leaves = new MemoryLeaves(size);
    const tree = new AuditTreeHashes(leaves);
    const cold = await tree.inclusion(12_345, size);
    expect(leaves.rowsRead).toBeLessThanOrEqual(size + 512);
    const root = rootFromLeafHashes(leaves.hashes);
    expect(cold.root).toBe(root.toString("hex"));

    for (const index of [0, 1, 255, 256, 65_535, 65_536, 99_998, 99_999, 54_321]) {
      leaves.resetCounts();
      const warm = await tree.inclusion(index, size);
      // The leaf's block and the tree's last, incomplete block: at most 2 × 256 rows.
      expect(leaves.rowsRead).toBeLessThanOrEqual(512);
      expect(leaves.reads).toBeLessThanOrEqual(2);
      expect(verifyInclusion(leaves.hashes[index]!, index, size, bytes(warm.proof), root)).toBe(true);
    }

    leaves.resetCounts();
    const consistency = await tree.consistency(77_777, size);
    expect(leaves.rowsRead).toBeLessThanOrEqual(512);
    const firstRoot = rootFromLeafHashes(leaves.hashes.slice(0, 77_777));
    expect(consistency.firstRoot).toBe(firstRoot.toString("hex"));
    expect(verifyConsistency(77_777, size, bytes(consistency.proof), firstRoot, root)).toBe(true);
  });

  it("keeps its memo valid while the log grows", async () => {
    const leaves = new MemoryLeaves(1000);
    const tree = new AuditTreeHashes(leaves, { blockLevel: 3, readChunk: 64 });
    await tree.inclusion(500, 1000);
    leaves.grow(1537);
    const root = rootFromLeafHashes(leaves.hashes);
    const proof = await tree.inclusion(1536, 1537);
    expect(proof.root).toBe(root.toString("hex"));
    expect(verifyInclusion(leaves.hashes[1536]!, 1536, 1537, bytes(proof.proof), root)).toBe(true);
    const consistency = await tree.consistency(1000, 1537);
    expect(
      verifyConsistency(
        1000,
        1537,
        bytes(consistency.proof),
        rootFromLeafHashes(leaves.hashes.slice(0, 1000)),
        root,
      ),
    ).toBe(true);
  });

  it("refuses to prove over missing or malformed rows instead of inventing hashes", async () => {
    const missing: LeafHashReader = {
      leafHashes: (from, to) =>
        Promise.resolve(
          Array.from({ length: to - from }, (_, i) =>
            createHash("sha256")
              .update(String(from + i))
              .digest("hex"),
          ),
        ),
    };
    await expect(new AuditTreeHashes(missing).inclusion(0, 10)).rejects.toMatchObject({
      code: "AuditLogIncomplete",
    });
    const malformed: LeafHashReader = {
      leafHashes: (from, to) => Promise.resolve(Array.from({ length: to - from + 1 }, () => "xyz")),
    };
    await expect(new AuditTreeHashes(malformed).inclusion(0, 10)).rejects.toMatchObject({
      code: "AuditLogCorrupt",
    });
  });
});
