import { randomFillSync } from "node:crypto";
import { monotonicFactory, type PRNG } from "ulid";

const POOL_SIZE = 1024;
const pool = new Uint32Array(POOL_SIZE);
let next = POOL_SIZE;

/**
 * Cryptographic randomness drawn from a pool refilled 4 KiB at a time. The ulid package asks
 * for one random value per character (16 per id), each a separate system call by default; ids
 * are made on hot paths (every request id, every audit event).
 */
export const pooledRandom: PRNG = () => {
  if (next === POOL_SIZE) {
    randomFillSync(pool);
    next = 0;
  }
  const value = pool[next] ?? 0;
  next += 1;
  return value / 0x1_0000_0000;
};

const monotonic = monotonicFactory(pooledRandom);

/**
 * A new ULID: sortable by time, 80 random bits. Monotonic within this process: ids made in the
 * same millisecond still sort in the order they were made (the random part counts up), so rows
 * ordered by (time, id) keep the order they were created in.
 */
export function newId(): string {
  return monotonic();
}
