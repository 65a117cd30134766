import { newId } from "../ids/new-id.ts";
import type { AuditRecords, NewAuditRow } from "../storage/database/audit-records.ts";
import type { SealedRawIp } from "../storage/database/raw-ip-records.ts";
import {
  composeAuditEvent,
  type AuditCommitter,
  type AuditEntry,
  type CommittedBatch,
} from "./audit-committer.ts";
import { eventToRow } from "./audit-row.ts";
import { canonicalJson } from "./integrity/canonical-json.ts";
import { leafHash, MerkleAccumulator } from "./integrity/merkle.ts";

/** What the committer needs of the raw IP vault (privacy/raw-ip-vault.ts). */
export interface RawIpSealer {
  /** Loads the keys of the days of these timestamps, before the transaction that seals. */
  prepare(timestamps: readonly string[]): Promise<void>;
  /** Seals synchronously, inside the append transaction. */
  seal(seq: number, ip: string, timestamp: string): SealedRawIp;
}

/**
 * Commits on the caller's database connection: builds the events under the log's lock (their
 * seqs, leaf hashes and the new Merkle frontier), seals the raw addresses beside them, inserts.
 * PostgreSQL, the CLI and tests use it directly; `serve` on SQLite runs it in a thread.
 */
export class InlineAuditCommitter implements AuditCommitter {
  readonly #records: AuditRecords;
  readonly #rawIps: RawIpSealer | undefined;

  constructor(records: AuditRecords, rawIps?: RawIpSealer) {
    this.#records = records;
    this.#rawIps = rawIps;
  }

  async commit(entries: readonly AuditEntry[]): Promise<CommittedBatch> {
    const vault = this.#rawIps;
    if (vault !== undefined) {
      await vault.prepare(
        entries.filter((entry) => entry.context.rawIpAddress).map((entry) => entry.timestamp),
      );
    }
    const ids: string[] = [];
    let root = Buffer.alloc(0);
    const state = await this.#records.append((current) => {
      const tree = MerkleAccumulator.fromState(current);
      const rows: NewAuditRow[] = [];
      const rawIps: SealedRawIp[] = [];
      for (const entry of entries) {
        const event = composeAuditEvent(entry, newId(), tree.size + 1);
        const leaf = leafHash(Buffer.from(canonicalJson(event), "utf8"));
        tree.append(leaf);
        rows.push(eventToRow(event, leaf.toString("hex")));
        ids.push(event.id);
        const raw = entry.context.rawIpAddress;
        if (vault !== undefined && raw) rawIps.push(vault.seal(event.seq, raw, event.timestamp));
      }
      root = tree.root();
      return { rows, state: tree.toState(), rawIps };
    });
    return { ids, state, root };
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}
