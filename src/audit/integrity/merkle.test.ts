import { describe, expect, it } from "vitest";
import * as merkle from "./merkle.ts";
import { REFERENCE_LEAF_INPUTS, REFERENCE_ROOTS } from "../../../test/support/rfc6962-reference-tree.ts";

// The 8-leaf reference tree (transparency-dev/merkle proof/verify_test.go, after the RFC 6962
// test data of certificate-transparency): its leaves and the published root of every prefix.
const leafInputs = REFERENCE_LEAF_INPUTS;
const publishedRoots = REFERENCE_ROOTS;

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
