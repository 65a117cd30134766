import { expect } from "vitest";
import type { AuditEvent } from "../../src/audit/audit-event.ts";
import { rowToEvent } from "../../src/audit/audit-row.ts";
import { canonicalJson } from "../../src/audit/integrity/canonical-json.ts";
import { MerkleAccumulator, rootFromLeafHashes } from "../../src/audit/integrity/merkle.ts";
import { verifyLog } from "../../src/audit/integrity/verify-log.ts";
import type { AuditRecords } from "../../src/storage/database/audit-records.ts";
import { storedAuditEvents } from "./audit-schema.ts";

/** Checks that the stored log is exactly 1..size, valid, hashed as stored, and its state matches. */
export async function expectContiguousVerifiedLog(
  records: AuditRecords,
  size: number,
): Promise<AuditEvent[]> {
  const events = await storedAuditEvents(records);
  expect(events.map((event) => event.seq)).toEqual(Array.from({ length: size }, (_, i) => i + 1));
  expect(new Set(events.map((event) => event.id)).size).toBe(size);
  const rows = await records.range(1, size + 1);
  const verified = await verifyLog({
    rows: rows.map((row) => ({
      seq: row.seq,
      id: row.id,
      canonical: canonicalJson(rowToEvent(row)),
      leafHash: row.leaf_hash,
    })),
    checkpoints: [],
    verifiers: [],
    checkEnvelope: true,
  });
  expect(verified).toMatchObject({ ok: true, size });
  const state = await records.state();
  expect(state.size).toBe(size);
  const leaves = (await records.leafHashes(1, size)).map((hex) => Buffer.from(hex, "hex"));
  expect(MerkleAccumulator.fromState(state).root().equals(rootFromLeafHashes(leaves))).toBe(true);
  return events;
}
