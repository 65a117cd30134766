import { createPublicKey } from "node:crypto";
import type { Clock } from "../clock/clock.ts";
import type { Config } from "../config/load-config.ts";
import type { Logger } from "../observability/logger.ts";
import { SecretBox } from "../access/secret-box.ts";
import { CHECKPOINT_JOB } from "../jobs/background-job-catalog.ts";
import { JobLease } from "../jobs/job-lease.ts";
import { JobLeaseRecords } from "../storage/database/job-lease-records.ts";
import { SettingsRecords } from "../storage/database/settings-records.ts";
import { AuditIpMode } from "../settings/audit-ip-mode.ts";
import { RawIpRecords } from "../storage/database/raw-ip-records.ts";
import { AuditRecords, type AuditCheckpointRow } from "../storage/database/audit-records.ts";
import type { DatabaseHandle } from "../storage/database/database-handle.ts";
import { AuditCheckpointer } from "./audit-checkpointer.ts";
import { systemContext } from "./audit-event.ts";
import type { AuditCommitter } from "./audit-committer.ts";
import { AuditLog } from "./audit-log.ts";
import { loadAuditSigningKey } from "./audit-signing-key.ts";
import { auditTrail } from "./audit-trail.ts";
import { ClientAddressResolver } from "./client-address.ts";
import {
  createNoteSigner,
  createNoteVerifier,
  formatVerifierKey,
  type NoteSigner,
  type NoteVerifier,
} from "./integrity/signed-note.ts";
import { InlineAuditCommitter } from "./inline-audit-committer.ts";
import { ipPseudonymKey } from "./ip-privacy.ts";
import { RawIpVault } from "./privacy/raw-ip-vault.ts";
import { RequestAuditing } from "./request-auditing.ts";
import { ThreadAuditCommitter } from "./thread-audit-committer.ts";

/**
 * Signing in another process: the primary of `serve` signs every checkpoint for its workers, so
 * that one process does.
 */
export interface RemoteSigner {
  /** Told the log's size after each commit of this process; the signer decides what to do. */
  committed(size: number): void;
  /** Has the signer sign the current tree if it grew; the latest checkpoint. */
  checkpointNow(): Promise<AuditCheckpointRow | null>;
}

/** What a process does about checkpoints: `AuditCheckpointer`, or a stand-in for a remote signer. */
export interface Checkpointing {
  /** Signs (or has the signer sign) the current tree if it grew; the latest checkpoint. */
  checkpointNow(): Promise<AuditCheckpointRow | null>;
  /** Told that commits of another process (a worker) took the log to `size`. */
  reached(size: number): void;
  /** Starts signing on a timer (nothing where another process signs). */
  start(): void;
  /** Stops the timer and signs a last checkpoint (nothing where another process signs). */
  stop(): Promise<void>;
}

/** The audit log and everything around it, wired from the configuration. */
export interface AuditRuntime {
  readonly records: AuditRecords;
  readonly log: AuditLog;
  readonly checkpointer: Checkpointing;
  readonly auditing: RequestAuditing;
  /**
   * The IP mode of new events (`audit.ipMode`, else PB_AUDIT_IP_MODE), kept in memory and
   * refreshed every few seconds; stop it before the database closes.
   */
  readonly ipMode: AuditIpMode;
  /** The key of the `hash` IP mode's pseudonyms (search hashes an address the same way). */
  readonly ipHashKey: Buffer;
  /** The checkpoint key's signer: also signs the manifests of export bundles. */
  readonly signer: NoteSigner;
  /** Raw client addresses kept encrypted beside events (PB_AUDIT_RAW_IP_DAYS). */
  readonly rawIps: RawIpVault;
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
  /** Runs each commit of the audit log (the processes of `serve` take turns); default: at once. */
  exclusive?: (<T>(commit: () => Promise<T>) => Promise<T>) | undefined;
  /** Set in the workers of `serve`: the primary signs their checkpoints. */
  remoteSigner?: RemoteSigner | undefined;
  /**
   * Commit in a worker thread when the database is an SQLite file (thread-audit-committer.ts):
   * what `serve` does, so that no request waits while a commit holds the event loop.
   */
  commitThread?: boolean | undefined;
  /** How often the IP mode is re-read (a change made by another process); default a few seconds. */
  ipModeRefreshMs?: number | undefined;
}): Promise<AuditRuntime> {
  const { config, logger, clock } = options;
  const records = new AuditRecords(options.database.db);
  // Always there, to read and shred what was kept; it seals new addresses only when days > 0.
  const rawIps = new RawIpVault({
    records: new RawIpRecords(options.database.db),
    secrets: new SecretBox(options.secretKey),
    clock,
    keepDays: config.audit.rawIpDays,
  });
  const sealing = config.audit.rawIpDays > 0 ? rawIps : undefined;
  const { database } = config;
  const committer: AuditCommitter =
    options.commitThread === true && database.kind === "sqlite" && database.file !== ":memory:"
      ? new ThreadAuditCommitter({
          file: database.file,
          rawIpDays: config.audit.rawIpDays,
          secretKey: sealing === undefined ? null : options.secretKey,
        })
      : new InlineAuditCommitter(records, sealing);
  const signingKey = loadAuditSigningKey({ dataDir: config.dataDir, configured: config.audit.signingKey });
  const origin = config.audit.origin;
  const signer = createNoteSigner({ name: origin, privateKey: signingKey.privateKey });
  const verifier = createNoteVerifier({ name: origin, publicKey: createPublicKey(signingKey.privateKey) });
  const { exclusive, remoteSigner } = options;
  let checkpointer: Checkpointing;
  let log: AuditLog;
  if (remoteSigner === undefined) {
    const local = new AuditCheckpointer({
      records,
      signer,
      origin,
      clock,
      logger,
      policy: { everyEvents: config.audit.checkpointEveryEvents, everyMs: config.audit.checkpointEveryMs },
      // Of several nodes, one signs at a time. The holder renews it at each tick; a node that
      // dies hands it over after two missed ticks.
      lease: new JobLease({
        name: CHECKPOINT_JOB,
        leases: new JobLeaseRecords(options.database.db),
        clock,
        leaseMs: 2 * config.audit.checkpointEveryMs + 30_000,
      }),
    });
    checkpointer = local;
    log = new AuditLog({
      records,
      clock,
      exclusive,
      committer,
      onCommitted: (state, root) => local.committed(state, root),
    });
  } else {
    checkpointer = {
      checkpointNow: () => remoteSigner.checkpointNow(),
      reached: () => undefined,
      start: () => undefined,
      stop: () => Promise.resolve(),
    };
    log = new AuditLog({
      records,
      clock,
      exclusive,
      committer,
      onCommitted: (state) => {
        remoteSigner.committed(state.size);
        return undefined;
      },
    });
  }
  const ipHashKey = ipPseudonymKey(options.secretKey);
  // Read before the first request, so that no event is recorded under a mode no longer in force.
  const ipMode = new AuditIpMode({
    records: new SettingsRecords(options.database.db),
    fallback: config.audit.ipMode,
    refreshMs: options.ipModeRefreshMs,
    logger,
  });
  await ipMode.refresh();
  const auditing = new RequestAuditing({
    log,
    clientAddress: new ClientAddressResolver(config.audit.trustedProxies),
    ipMode: () => ipMode.current(),
    hashKey: ipHashKey,
    clock,
    keepRawIp: sealing !== undefined,
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
  ipMode.start();
  return {
    records,
    log,
    checkpointer,
    auditing,
    ipMode,
    ipHashKey,
    signer,
    rawIps,
    verifier,
    verifierKey,
    origin,
  };
}
