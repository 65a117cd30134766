import { describe, expect, it } from "vitest";
import * as merkle from "./merkle.ts";

// The 8-leaf reference tree (transparency-dev/merkle proof/verify_test.go, after the RFC 6962
// test data of certificate-transparency): its leaves and the published root of every prefix.
const leafInputs = [
  "",
  "00",
  "10",
  "2021",
  "3031",
  "40414243",
  "5051525354555657",
  "606162636465666768696a6b6c6d6e6f",
];
const publishedRoots = [
  "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
  "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
  "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
  "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
  "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
  "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
  "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
  "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
];

describe("merkle (the module's entry point)", () => {
  const leaves = leafInputs.map((hex) => merkle.leafHash(Buffer.from(hex, "hex")));
  const roots = publishedRoots.map((hex) => Buffer.from(hex, "hex"));
  const source = merkle.createSubtreeHasher((i) => leaves[i]!, { minCachedLevel: 1 });

  it("exports the hash functions, the accumulator and the proofs", () => {
    for (const name of [
      "leafHash",
      "leafHashHex",
      "nodeHash",
      "nodeHashHex",
      "emptyRoot",
      "rootFromLeafHashes",
      "MerkleAccumulator",
      "inclusionProof",
      "consistencyProof",
      "verifyInclusion",
      "verifyConsistency",
      "createSubtreeHasher",
    ] as const) {
      expect(typeof merkle[name]).toBe("function");
    }
    expect(merkle.HASH_BYTES).toBe(32);
  });

  it("proves every leaf of every prefix of the reference tree against the published roots", () => {
    for (let size = 1; size <= 8; size++) {
      expect(merkle.rootFromLeafHashes(leaves.slice(0, size)).equals(roots[size - 1]!)).toBe(true);
      for (let index = 0; index < size; index++) {
        const proof = merkle.inclusionProof(index, size, source);
        expect(merkle.verifyInclusion(leaves[index]!, index, size, proof, roots[size - 1]!)).toBe(true);
        const rootOfAnotherSize = roots[size % 8]!;
        expect(merkle.verifyInclusion(leaves[index]!, index, size, proof, rootOfAnotherSize)).toBe(false);
      }
    }
  });

  it("proves every prefix consistent with every larger prefix, and not with another tree", () => {
    for (let second = 1; second <= 8; second++) {
      for (let first = 1; first <= second; first++) {
        const proof = merkle.consistencyProof(first, second, source);
        expect(merkle.verifyConsistency(first, second, proof, roots[first - 1]!, roots[second - 1]!)).toBe(
          true,
        );
        const otherRoot = merkle.nodeHash(roots[second - 1]!, roots[second - 1]!);
        expect(merkle.verifyConsistency(first, second, proof, roots[first - 1]!, otherRoot)).toBe(false);
      }
    }
  });
});
