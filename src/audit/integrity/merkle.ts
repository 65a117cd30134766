/**
 * The audit log's RFC 6962 / RFC 9162 Merkle tree: hash functions, the incremental accumulator
 * that the writer persists, and inclusion/consistency proofs. One entry point for the rest of the
 * code; the parts live in merkle-hash.ts, merkle-accumulator.ts and merkle-proof.ts.
 */
export {
  emptyRoot,
  HASH_BYTES,
  hashToHex,
  isHashHex,
  isHashHexAnyCase,
  leafHash,
  leafHashHex,
  nodeHash,
  nodeHashHex,
} from "./merkle-hash.ts";
export {
  bitCount,
  MerkleAccumulator,
  rootFromLeafHashes,
  type MerkleAccumulatorState,
} from "./merkle-accumulator.ts";
export {
  consistencyProof,
  createSubtreeHasher,
  inclusionProof,
  largestPowerOfTwoBelow,
  verifyConsistency,
  verifyInclusion,
  type LeafHashAccessor,
  type ProofSource,
  type SubtreeHasherOptions,
  type SubtreeHashSource,
} from "./merkle-proof.ts";
