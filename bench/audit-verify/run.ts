/**
 * Audit-log verification throughput: `node bench/audit-verify/run.ts [events] [checkpoint-every]`.
 *
 * Builds a synthetic log in memory (default 1,000,000 events of ~580 bytes of canonical JSON, a
 * signed checkpoint every 1,000 events), then times verifyLog over it: leaf hash per row, the
 * Merkle accumulator, and an Ed25519 verification plus a root comparison per checkpoint. Each
 * mode runs a few times and the best run is reported (the first absorbs JIT warm-up).
 */
import { generateKeyPairSync } from "node:crypto";
import { createNoteSigner, createNoteVerifier } from "../../src/audit/integrity/signed-note.ts";
import { buildSyntheticAuditLog } from "../../src/audit/integrity/synthetic-audit-log.ts";
import { verifyLog, type StoredAuditRow, type VerifyLogInput } from "../../src/audit/integrity/verify-log.ts";

const events = Number(process.argv[2] ?? 1_000_000);
const checkpointEvery = Number(process.argv[3] ?? 1_000);
const runs = 3;

const { privateKey, publicKey } = generateKeyPairSync("ed25519");
const signer = createNoteSigner({ name: "bench.example/audit", privateKey });
const verifier = createNoteVerifier({ name: "bench.example/audit", publicKey });

let started = performance.now();
const checkpointSizes = Array.from(
  { length: Math.floor(events / checkpointEvery) },
  (_, i) => (i + 1) * checkpointEvery,
);
const log = buildSyntheticAuditLog({ size: events, checkpointSizes, signer });
const bytes = log.rows.reduce((sum, row) => sum + Buffer.byteLength(row.canonical ?? ""), 0);
console.log(
  `built ${events.toLocaleString("en")} events (${Math.round(bytes / events)} bytes of canonical JSON on average), ` +
    `${log.checkpoints.length} checkpoints in ${((performance.now() - started) / 1000).toFixed(1)} s`,
);

async function* pages(
  rows: readonly StoredAuditRow[],
  size: number,
): AsyncGenerator<readonly StoredAuditRow[]> {
  for (let start = 0; start < rows.length; start += size) {
    await Promise.resolve();
    yield rows.slice(start, start + size);
  }
}

// eslint-disable-next-line @typescript-eslint/require-await -- an async source without I/O: times the await per row
async function* oneByOne(rows: readonly StoredAuditRow[]): AsyncGenerator<StoredAuditRow> {
  for (const row of rows) yield row;
}

const modes: [string, () => VerifyLogInput["rows"], boolean][] = [
  ["sync iterable", () => log.rows, false],
  ["async pages of 1,000 rows", () => pages(log.rows, 1_000), false],
  ["async row by row", () => oneByOne(log.rows), false],
  ["sync iterable + checkEnvelope", () => log.rows, true],
];

for (const [name, source, checkEnvelope] of modes) {
  let best = Number.POSITIVE_INFINITY;
  for (let run = 0; run < runs; run++) {
    const input = source();
    started = performance.now();
    const result = await verifyLog({
      rows: input,
      checkpoints: log.checkpoints,
      verifiers: [verifier],
      checkEnvelope,
    });
    const elapsed = performance.now() - started;
    if (!result.ok || result.size !== events)
      throw new Error(`verification failed: ${JSON.stringify(result)}`);
    best = Math.min(best, elapsed);
  }
  const rate = Math.round(events / (best / 1000));
  console.log(`${name.padEnd(32)} ${(best / 1000).toFixed(2)} s  ${rate.toLocaleString("en")} events/s`);
}
