import os from "node:os";
import type { Kysely } from "kysely";
import { PRODUCT_VERSION } from "../product-version.ts";
import { AuditHistogramRecords } from "../storage/database/audit-histogram-records.ts";
import { AuditCheckpointLookup } from "../storage/database/audit-checkpoint-lookup.ts";
import { AuditSearchRecords } from "../storage/database/audit-search-records.ts";
import type { Database } from "../storage/database/database-schema.ts";
import { AuditExporter } from "./audit-export.ts";
import { AuditProofs } from "./audit-proofs.ts";
import { AuditSearch } from "./audit-search.ts";
import { AuditVerification } from "./audit-verification.ts";
import { ipSearchKeys } from "./ip-privacy.ts";
import { AuditHistogram } from "./search/audit-histogram.ts";
import { packageBrokerProduct } from "./export/product-info.ts";
import type { AuditRuntime } from "./open-audit.ts";
import { RawIpReads } from "./privacy/raw-ip-reads.ts";

/** The read side of the audit log: search, export, proofs, verification, the checkpoint key. */
export interface AuditReads {
  readonly search: AuditSearch;
  /** The search's events counted over time. */
  readonly histogram: AuditHistogram;
  /** Raw client addresses kept beside events (PB_AUDIT_RAW_IP_DAYS), read by admins only. */
  readonly rawIps: RawIpReads;
  readonly exporter: AuditExporter;
  readonly proofs: AuditProofs;
  readonly verification: AuditVerification;
  /** The C2SP verifier key of the checkpoints (`<origin>+<key id>+<base64 key>`). */
  readonly verifierKey: string;
}

/**
 * Wires search, proofs and verification over the audit runtime. Keep one per process: the proofs
 * memoise subtree hashes across requests. `indexWaitMs`: how long a search or export may spend
 * catching the search index up (the server's default; a command waits as long as it takes).
 */
export function createAuditReads(
  audit: AuditRuntime,
  db: Kysely<Database>,
  options: { indexWaitMs?: number } = {},
): AuditReads {
  const { records } = audit;
  const lookup = new AuditCheckpointLookup(db);
  const searchRecords = new AuditSearchRecords(db, ipSearchKeys(audit.ipHashKey), options.indexWaitMs);
  const proofs = new AuditProofs({
    records: {
      findById: (id) => records.findById(id),
      leafHashes: (from, to) => records.leafHashes(from, to),
      latestCheckpoint: () => records.latestCheckpoint(),
      checkpointAt: (size) => lookup.checkpointAt(size),
      state: () => records.state(),
    },
    checkpointer: audit.checkpointer,
  });
  return {
    search: new AuditSearch(searchRecords),
    histogram: new AuditHistogram(
      new AuditHistogramRecords(db, ipSearchKeys(audit.ipHashKey), options.indexWaitMs),
    ),
    rawIps: new RawIpReads(audit.rawIps, records),
    exporter: new AuditExporter({
      records: searchRecords,
      product: packageBrokerProduct(PRODUCT_VERSION, os.hostname()),
      bundles: {
        checkpointer: audit.checkpointer,
        proofs,
        signer: audit.signer,
        verifierKey: audit.verifierKey,
        origin: audit.origin,
      },
    }),
    proofs,
    verification: new AuditVerification({ records, verifier: audit.verifier, origin: audit.origin }),
    verifierKey: audit.verifierKey,
  };
}
