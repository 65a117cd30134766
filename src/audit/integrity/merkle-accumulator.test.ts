import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { bitCount, MerkleAccumulator, rootFromLeafHashes } from "./merkle-accumulator.ts";
import { emptyRoot, leafHash, nodeHash } from "./merkle-hash.ts";
import { REFERENCE_LEAF_INPUTS, REFERENCE_ROOTS } from "../../../test/support/rfc6962-reference-tree.ts";

// The 8-leaf reference tree of RFC 6962 implementations (transparency-dev/merkle proof/verify_test.go):
// leaf inputs and the published root for every size 1..8.
const leaves = REFERENCE_LEAF_INPUTS.map((hex) => leafHash(Buffer.from(hex, "hex")));
const roots = REFERENCE_ROOTS;

/** MTH straight from RFC 6962 §2.1, recursively. */
function referenceRoot(hashes: readonly Buffer[]): Buffer {
  if (hashes.length === 0) return emptyRoot();
  if (hashes.length === 1) return hashes[0]!;
  let k = 1;
  while (k * 2 < hashes.length) k *= 2;
  return nodeHash(referenceRoot(hashes.slice(0, k)), referenceRoot(hashes.slice(k)));
}

const randomLeaves = (count: number): Buffer[] =>
  Array.from({ length: count }, (_, i) => leafHash(Buffer.from(`leaf ${i}`)));

describe("MerkleAccumulator", () => {
  it("gives the published roots of the reference tree at every size", () => {
    const accumulator = new MerkleAccumulator();
    expect(accumulator.root().equals(emptyRoot())).toBe(true);
    leaves.forEach((leaf, index) => {
      accumulator.append(leaf);
      expect(accumulator.size).toBe(index + 1);
      expect(accumulator.root().toString("hex")).toBe(roots[index]);
      expect(accumulator.rootHex()).toBe(roots[index]);
      expect(rootFromLeafHashes(leaves.slice(0, index + 1)).toString("hex")).toBe(roots[index]);
    });
    expect(rootFromLeafHashes([]).equals(emptyRoot())).toBe(true);
  });

  it("matches the recursive RFC definition for every size up to 300", () => {
    const hashes = randomLeaves(300);
    const accumulator = new MerkleAccumulator();
    for (let size = 1; size <= hashes.length; size++) {
      accumulator.append(hashes[size - 1]!);
      expect(accumulator.rootHex()).toBe(referenceRoot(hashes.slice(0, size)).toString("hex"));
    }
  });

  it("keeps one frontier hash per set bit of the size", () => {
    const accumulator = new MerkleAccumulator();
    for (const leaf of randomLeaves(1000)) {
      accumulator.append(leaf);
      expect(accumulator.toState().frontier).toHaveLength(bitCount(accumulator.size));
    }
    expect(accumulator.toState().frontier).toHaveLength(6); // 1000 = 0b1111101000
  });

  it("resumes from its state exactly where it stopped", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 200 }), fc.integer({ min: 0, max: 200 }), (before, after) => {
        const hashes = randomLeaves(before + after);
        const whole = new MerkleAccumulator();
        for (const hash of hashes) whole.append(hash);
        const first = new MerkleAccumulator();
        for (const hash of hashes.slice(0, before)) first.append(hash);
        const state = JSON.parse(JSON.stringify(first.toState())) as ReturnType<MerkleAccumulator["toState"]>;
        const resumed = MerkleAccumulator.fromState(state);
        for (const hash of hashes.slice(before)) resumed.append(hash);
        expect(resumed.size).toBe(whole.size);
        expect(resumed.rootHex()).toBe(whole.rootHex());
        expect(resumed.toState()).toEqual(whole.toState());
      }),
      { seed: 6962, numRuns: 100 },
    );
  });

  it("clones independently", () => {
    const accumulator = new MerkleAccumulator();
    leaves.slice(0, 5).forEach((leaf) => {
      accumulator.append(leaf);
    });
    const copy = accumulator.clone();
    copy.append(leaves[5]!);
    expect(accumulator.rootHex()).toBe(roots[4]);
    expect(copy.rootHex()).toBe(roots[5]);
  });

  it("accepts hex leaf hashes of either case and checks them", () => {
    const accumulator = new MerkleAccumulator();
    accumulator.appendHex(leaves[0]!.toString("hex").toUpperCase());
    expect(accumulator.rootHex()).toBe(roots[0]);
    accumulator.appendHex(leaves[1]!.toString("hex"));
    expect(accumulator.rootHex()).toBe(roots[1]);
    expect(() => {
      accumulator.appendHex("xyz");
    }).toThrow(/64 hex digits/);
    expect(() => {
      accumulator.append(new Uint8Array(31));
    }).toThrow(/32 bytes/);
    expect(accumulator.size).toBe(2);
  });

  it("refuses states that cannot be", () => {
    const good = new MerkleAccumulator();
    leaves.slice(0, 3).forEach((leaf) => {
      good.append(leaf);
    });
    const state = good.toState();
    expect(MerkleAccumulator.fromState(state).rootHex()).toBe(roots[2]);
    expect(() => MerkleAccumulator.fromState({ size: -1, frontier: [] })).toThrow(RangeError);
    expect(() => MerkleAccumulator.fromState({ size: 1.5, frontier: [] })).toThrow(RangeError);
    expect(() => MerkleAccumulator.fromState({ size: 4, frontier: state.frontier })).toThrow(
      /has 1 frontier hashes/,
    );
    expect(() => MerkleAccumulator.fromState({ size: 3, frontier: [state.frontier[0]!, "AAAA"] })).toThrow(
      /frontier\[1\]/,
    );
    expect(MerkleAccumulator.fromState({ size: 0, frontier: [] }).root().equals(emptyRoot())).toBe(true);
  });

  it("counts bits beyond 32 bits", () => {
    expect(bitCount(0)).toBe(0);
    expect(bitCount(2 ** 40 + 3)).toBe(3);
    expect(bitCount(Number.MAX_SAFE_INTEGER)).toBe(53);
  });
});
