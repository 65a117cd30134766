import { createHmac, createPublicKey } from "node:crypto";
import type { Clock } from "../clock/clock.ts";
import type { Config } from "../config/load-config.ts";
import type { Logger } from "../observability/logger.ts";
import { AuditRecords } from "../storage/database/audit-records.ts";
import type { DatabaseHandle } from "../storage/database/database-handle.ts";
import { AuditCheckpointer } from "./audit-checkpointer.ts";
import { systemContext } from "./audit-event.ts";
import { AuditLog } from "./audit-log.ts";
import { loadAuditSigningKey } from "./audit-signing-key.ts";
import { auditTrail } from "./audit-trail.ts";
import { ClientAddressResolver } from "./client-address.ts";
import {
  createNoteSigner,
  createNoteVerifier,
  formatVerifierKey,
  type NoteVerifier,
} from "./integrity/signed-note.ts";
import { RequestAuditing } from "./request-auditing.ts";

/** The audit log and everything around it, wired from the configuration. */
export interface AuditRuntime {
  readonly records: AuditRecords;
  readonly log: AuditLog;
  readonly checkpointer: AuditCheckpointer;
  readonly auditing: RequestAuditing;
  readonly verifier: NoteVerifier;
  /** The C2SP verifier key (`<name>+<key id>+<base64 key>`), served at /audit/public-key. */
  readonly verifierKey: string;
  readonly origin: string;
}

export async function openAudit(options: {
  config: Config;
  database: DatabaseHandle;
  secretKey: Buffer;
  logger: Logger;
  clock: Clock;
}): Promise<AuditRuntime> {
  const { config, logger, clock } = options;
  const records = new AuditRecords(options.database.db);
  const signingKey = loadAuditSigningKey({ dataDir: config.dataDir, configured: config.audit.signingKey });
  const origin = config.audit.origin;
  const signer = createNoteSigner({ name: origin, privateKey: signingKey.privateKey });
  const verifier = createNoteVerifier({ name: origin, publicKey: createPublicKey(signingKey.privateKey) });
  const checkpointer = new AuditCheckpointer({
    records,
    signer,
    origin,
    clock,
    logger,
    policy: { everyEvents: config.audit.checkpointEveryEvents, everyMs: config.audit.checkpointEveryMs },
  });
  const log = new AuditLog({
    records,
    clock,
    onCommitted: (state, root) => checkpointer.committed(state, root),
  });
  const auditing = new RequestAuditing({
    log,
    clientAddress: new ClientAddressResolver(config.audit.trustedProxies),
    ipMode: config.audit.ipMode,
    hashKey: createHmac("sha256", options.secretKey).update("audit-ip-pseudonyms").digest(),
    clock,
  });
  const verifierKey = formatVerifierKey(verifier);
  if (signingKey.generated) {
    await auditTrail(log, systemContext).record({
      event: "audit",
      action: "checkpoint_key_created",
      outcome: "success",
      severity: "warning",
      target: { type: "signing_key", id: verifierKey },
      details: { origin, source: signingKey.source },
    });
  }
  return { records, log, checkpointer, auditing, verifier, verifierKey, origin };
}
