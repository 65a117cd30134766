import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { bitCount, MerkleAccumulator, rootFromLeafHashes } from "./merkle-accumulator.ts";
import { emptyRoot, leafHash, nodeHash } from "./merkle-hash.ts";

// The 8-leaf reference tree of RFC 6962 implementations (transparency-dev/merkle proof/verify_test.go):
// leaf inputs and the published root for every size 1..8.
const leaves = [
  "",
  "00",
  "10",
  "2021",
  "3031",
  "40414243",
  "5051525354555657",
  "606162636465666768696a6b6c6d6e6f",
].map((hex) => leafHash(Buffer.from(hex, "hex")));
const roots = [
  "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
  "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
  "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
  "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
  "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
  "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
  "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
  "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
];

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
