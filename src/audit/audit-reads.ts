import type { Kysely } from "kysely";
import { AuditCheckpointLookup } from "../storage/database/audit-checkpoint-lookup.ts";
import type { Database } from "../storage/database/database-schema.ts";
import { AuditProofs } from "./audit-proofs.ts";
import { AuditVerification } from "./audit-verification.ts";
import type { AuditRuntime } from "./open-audit.ts";

/** The read side of the audit log's integrity: proofs, verification, the checkpoint key. */
export interface AuditReads {
  readonly proofs: AuditProofs;
  readonly verification: AuditVerification;
  /** The C2SP verifier key of the checkpoints (`<origin>+<key id>+<base64 key>`). */
  readonly verifierKey: string;
}

/**
 * Wires the proofs and the verification over the audit runtime. Keep one per process: the proofs
 * memoise subtree hashes across requests.
 */
export function createAuditReads(audit: AuditRuntime, db: Kysely<Database>): AuditReads {
  const { records } = audit;
  const lookup = new AuditCheckpointLookup(db);
  return {
    proofs: new AuditProofs({
      records: {
        findById: (id) => records.findById(id),
        leafHashes: (from, to) => records.leafHashes(from, to),
        latestCheckpoint: () => records.latestCheckpoint(),
        checkpointAt: (size) => lookup.checkpointAt(size),
        state: () => records.state(),
      },
      checkpointer: audit.checkpointer,
    }),
    verification: new AuditVerification({ records, verifier: audit.verifier, origin: audit.origin }),
    verifierKey: audit.verifierKey,
  };
}
