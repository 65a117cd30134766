import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { loadSecretKey } from "./access/load-secret-key.ts";
import { SecretBox } from "./access/secret-box.ts";
import { AuditedTokens } from "./access/audited-tokens.ts";
import { TokenService } from "./access/token-service.ts";
import { systemContext } from "./audit/audit-event.ts";
import { auditTrail } from "./audit/audit-trail.ts";
import { AuditSubjects } from "./audit/privacy/audit-subjects.ts";
import { AuditRetention } from "./audit/retention/audit-retention.ts";
import { AlertInbox } from "./audit/alerts/alert-inbox.ts";
import { AlertResponder } from "./audit/alerts/alert-responder.ts";
import { AlertRunner } from "./audit/alerts/alert-runner.ts";
import { loadAlertRules } from "./audit/alerts/load-alert-rules.ts";
import { alertChannels } from "./audit/alerts/alert-channels-from-config.ts";
import { AuditSinks } from "./audit/sinks/audit-sinks.ts";
import { createSinkTransport } from "./audit/sinks/create-sink-transport.ts";
import { SinkDispatcher } from "./audit/sinks/sink-dispatcher.ts";
import { SinkTransportPool, type SinkTransportFactory } from "./audit/sinks/sink-transport-pool.ts";
import { packageBrokerProduct } from "./audit/export/product-info.ts";
import { openAudit, type AuditRuntime, type RemoteSigner } from "./audit/open-audit.ts";
import { AuditedPackages } from "./catalog/audited-packages.ts";
import { CatalogReader } from "./catalog/catalog-reader.ts";
import { DistReader } from "./catalog/dist-reader.ts";
import { InstallRecorder } from "./catalog/install-recorder.ts";
import { PackageBrowser } from "./catalog/package-browser.ts";
import { PackageReadme } from "./catalog/package-readme.ts";
import { PackageDeletion } from "./catalog/package-deletion.ts";
import { PackageUpload } from "./catalog/package-upload.ts";
import { systemClock, type Clock } from "./clock/clock.ts";
import type { Config } from "./config/load-config.ts";
import type { Logger } from "./observability/logger.ts";
import { ProcessMetrics } from "./observability/process-metrics.ts";
import { GitCliMirror } from "./sources/git/git-cli-mirror.ts";
import { AuditedRepositories } from "./sources/audited-repositories.ts";
import { RepositoryService } from "./sources/repository-service.ts";
import { ComposerProxy } from "./sources/composer/composer-proxy.ts";
import { ComposerUpstreamClient } from "./sources/composer/composer-upstream-client.ts";
import { ownViaName } from "./sources/composer/via-header.ts";
import { backgroundJobCatalog } from "./jobs/background-job-catalog.ts";
import { JobBoard } from "./jobs/job-board.ts";
import { PRODUCT_VERSION } from "./product-version.ts";
import { openBlobStore } from "./storage/blobs/open-blob-store.ts";
import type { DatabaseHandle } from "./storage/database/database-handle.ts";
import { AuditPurgeRecords } from "./storage/database/audit-purge-records.ts";
import { AuditSinkRecords } from "./storage/database/audit-sink-records.ts";
import { AlertRecords } from "./storage/database/alert-records.ts";
import { UserRecords } from "./storage/database/user-records.ts";
import { SessionRecords } from "./storage/database/session-records.ts";
import { LoginFailureRecords } from "./storage/database/login-failure-records.ts";
import { RecoveryCodeRecords } from "./storage/database/recovery-code-records.ts";
import { SessionService } from "./access/session-service.ts";
import { TwoFactorService } from "./access/two-factor-service.ts";
import { SettingsService } from "./settings/settings-service.ts";
import { TwoFactorRecords } from "./storage/database/two-factor-records.ts";
import { UserService } from "./access/user-service.ts";
import { AuditedUsers } from "./access/audited-users.ts";
import { LoginLockout } from "./access/login-lockout.ts";
import { AccountLinks } from "./access/account-links.ts";
import { AuditedAccountLinks } from "./access/audited-account-links.ts";
import { AuditedPasswordChanges } from "./access/audited-password-changes.ts";
import { PasswordChanges } from "./access/password-changes.ts";
import type { Mailer } from "./mail/mailer.ts";
import { SmtpMailer } from "./mail/smtp-mailer.ts";
import { logMailDeliveryFailed } from "./observability/log-events.ts";
import { AccountStores } from "./storage/database/account-stores.ts";
import { AuditSubjectRecords } from "./storage/database/audit-subject-records.ts";
import { InstallCountRecords } from "./storage/database/install-count-records.ts";
import { JobRunRecords } from "./storage/database/job-run-records.ts";
import { migrateToLatest, type MigrationOutcome } from "./storage/database/migrate-to-latest.ts";
import { openDatabase } from "./storage/database/open-database.ts";
import { RepositoryRecords } from "./storage/database/repository-records.ts";
import { SyncRunRecords } from "./storage/database/sync-run-records.ts";
import { JobLeaseRecords } from "./storage/database/job-lease-records.ts";
import { SettingsRecords } from "./storage/database/settings-records.ts";
import { TokenRecords } from "./storage/database/token-records.ts";
import type { FailOpenRateLimits } from "./rate-limit/fail-open-rate-limits.ts";
import { openRateLimits } from "./rate-limit/open-rate-limits.ts";
import { openSharedState } from "./redis/open-shared-state.ts";
import { InvalidatingCatalogRecords } from "./cache/invalidating-catalog-records.ts";

/** Limits that protect the server from hostile archives and documents. */
export const LIMITS = {
  maxJsonBytes: 1024 * 1024,
  maxComposerJsonBytes: 1024 * 1024,
  maxArchiveEntries: 20_000,
  /** The largest p2 document accepted from a composer upstream. */
  maxUpstreamMetadataBytes: 16 * 1024 * 1024,
  syncLeaseMs: 30 * 60 * 1000,
} as const;

/** Everything the server and the CLI work with, wired from the configuration. */
export interface Runtime {
  readonly config: Config;
  readonly database: DatabaseHandle;
  readonly migrations: MigrationOutcome;
  readonly clock: Clock;
  readonly tokens: TokenService;
  readonly catalog: CatalogReader;
  readonly dists: DistReader;
  readonly installs: InstallRecorder;
  readonly packages: AuditedPackages;
  /** Package lists, versions and download counts, filtered by the caller's grant. */
  readonly packageBrowser: PackageBrowser;
  /** A package version's README, read from its stored dist. */
  readonly packageReadme: PackageReadme;
  readonly repositories: RepositoryService;
  /** Composer upstreams: lazy mirroring, their health and integrity conflicts (docs/proxy.md). */
  readonly proxy: ComposerProxy;
  readonly auditedRepositories: AuditedRepositories;
  readonly auditedTokens: AuditedTokens;
  readonly installCounts: InstallCountRecords;
  readonly audit: AuditRuntime;
  readonly auditRetention: AuditRetention;
  /** Who actor ids are (e-mail, name), beside the log; erasable. */
  readonly auditSubjects: AuditSubjects;
  readonly users: UserService;
  readonly auditedUsers: AuditedUsers;
  /** Invitations, the first-run setup link, admins' password resets (docs/accounts.md). */
  readonly accountLinks: AccountLinks;
  /** The same with their `user` audit events: what the API and the CLI call. */
  readonly auditedAccountLinks: AuditedAccountLinks;
  /** A signed-in person's change of their own password, with its audit event. */
  readonly auditedPasswordChanges: AuditedPasswordChanges;
  /** Sign-in: passwords, second factors, lockout, browser sessions. */
  readonly sessions: SessionService;
  /** Runtime settings (docs/settings.md); also the 2FA policy that sign-in reads. */
  readonly settings: SettingsService;
  /** Each person's 2FA: enrolment, turning it off, recovery codes, an admin's reset. */
  readonly twoFactor: TwoFactorService;
  /** Where the audit log is forwarded (docs/audit-forwarding.md), as the API and CLI manage it. */
  readonly auditSinks: AuditSinks;
  /** Delivers the log to the sinks; the background jobs run its rounds. */
  readonly sinkDispatcher: SinkDispatcher;
  /** Raised alerts as the API and the CLI show them (docs/alert-rules.md). */
  readonly alerts: AlertInbox;
  /** Runs the alert rules over new events; the background jobs run its rounds. */
  readonly alertRunner: AlertRunner;
  /** The background jobs, who runs each, and their history (docs/operations/jobs.md). */
  readonly jobs: JobBoard;
  /** Per-token request budgets, shared through Redis when configured (docs/rate-limits.md). */
  readonly rateLimits: FailOpenRateLimits | null;
  /** This process's counters for /metrics: requests, audit appends, cache lookups (docs/operations/metrics.md). */
  readonly processMetrics: ProcessMetrics;
  /** Waits for background revalidations of upstream documents and pending audit events, then closes the database. */
  close(): Promise<void>;
}

export interface RuntimeOptions {
  /** Runs each commit of the audit log: the processes of `serve` take turns (see AuditTurns). */
  readonly auditExclusive?: <T>(commit: () => Promise<T>) => Promise<T>;
  /** Set in the workers of `serve`: the primary signs every checkpoint, so that one process does. */
  readonly remoteSigner?: RemoteSigner;
  /** Builds the audit sinks' transports; the real wire protocols by default. */
  readonly sinkTransportFactory?: SinkTransportFactory;
  /** Commit the audit log in a worker thread on an SQLite file (what `serve` does). */
  readonly auditCommitThread?: boolean;
  /**
   * Whether this process answers HTTP requests; default true. False (the CLI, the primary of
   * `serve`): no rate limits, and no connection to PB_REDIS_URL (the metadata cache and the locks
   * stay in this process; a cached document is keyed by its change stamp, so another node never
   * serves a stale one).
   */
  readonly answersRequests?: boolean;
}

/** The composition root: config -> adapters -> services. Migrations run here, on every start. */
export async function openRuntime(
  config: Config,
  logger: Logger,
  clock: Clock = systemClock,
  options: RuntimeOptions = {},
): Promise<Runtime> {
  const database = openDatabase(config.database);
  // What to close, besides the database, when the start fails halfway.
  const opened: (() => Promise<void>)[] = [];
  try {
    const migrations = await migrateToLatest(database.db);
    const db = database.db;
    const { key, insecurePermissions } = loadSecretKey({
      dataDir: config.dataDir,
      configured: config.secretKey,
    });
    if (insecurePermissions) {
      logger.warn(
        { context: { file: path.join(config.dataDir, "secret.key") } },
        "Secret key file is readable by others",
      );
    }
    const secrets = new SecretBox(key);
    const blobs = openBlobStore(config.blobs);
    const answersRequests = options.answersRequests !== false;
    const shared = await openSharedState({ redisUrl: answersRequests ? config.redisUrl : null }, logger);
    opened.push(() => shared.close());
    const catalogRecords = new InvalidatingCatalogRecords(db, shared.metadataCache);
    const installCounts = new InstallCountRecords(db);
    const mirrorsDir = path.join(config.dataDir, "git");
    const repositoryRecords = new RepositoryRecords(db);
    const viaName = ownViaName(config.baseUrl);
    const upstreamClient = new ComposerUpstreamClient({
      timeoutMs: config.proxy.timeoutMs,
      maxMetadataBytes: LIMITS.maxUpstreamMetadataBytes,
      maxDistBytes: config.maxUploadBytes,
      viaName,
      userAgent: `PACKAGE.broker/${PRODUCT_VERSION}`,
      allowPrivate: config.allowPrivateSources,
    });
    const proxy = new ComposerProxy({
      repositories: repositoryRecords,
      records: repositoryRecords.proxy,
      client: upstreamClient,
      blobs,
      secrets,
      clock,
      baseUrl: config.baseUrl,
      maxAgeMs: config.proxy.metadataMaxAgeMs,
      viaName,
      singleFetch: shared.singleFetch,
    });
    const repositories = new RepositoryService({
      composerUpstream: upstreamClient,
      repositories: repositoryRecords,
      syncRuns: new SyncRunRecords(db),
      catalog: catalogRecords,
      blobs,
      clock,
      secrets,
      limits: { maxComposerJsonBytes: LIMITS.maxComposerJsonBytes, maxDistBytes: config.maxUploadBytes },
      allowPrivateSources: config.allowPrivateSources,
      syncLeaseMs: LIMITS.syncLeaseMs,
      openMirror: (repository, credentials) =>
        new GitCliMirror({
          url: repository.url,
          directory: path.join(mirrorsDir, `${repository.id}.git`),
          knownHostsFile: path.join(config.dataDir, "known_hosts"),
          allowFileProtocol: config.allowPrivateSources,
          ...(credentials === undefined ? {} : { credentials }),
        }),
      removeMirror: (repository) =>
        fs.rm(path.join(mirrorsDir, `${repository.id}.git`), { recursive: true, force: true }),
    });
    const audit = await openAudit({
      config,
      database,
      secretKey: key,
      logger,
      clock,
      exclusive: options.auditExclusive,
      remoteSigner: options.remoteSigner,
      commitThread: options.auditCommitThread,
    });
    opened.push(() => audit.ipMode.stop());
    const processMetrics = new ProcessMetrics();
    audit.log.observeAppends(processMetrics.auditAppended);
    // What the server does on its own: migrations, parked records, alerts and their responses.
    const systemTrail = auditTrail(audit.log, systemContext);
    if (migrations.applied.length > 0) {
      await systemTrail.record({
        event: "system",
        action: "migrated",
        outcome: "success",
        target: { type: "database", name: database.engine },
        details: { applied: migrations.applied },
      });
    }
    const tokens = new TokenService({ records: new TokenRecords(db), clock });
    const uploads = new PackageUpload({
      records: catalogRecords,
      blobs,
      clock,
      limits: {
        maxEntries: LIMITS.maxArchiveEntries,
        maxUncompressedBytes: config.maxUploadBytes,
        maxComposerJsonBytes: LIMITS.maxComposerJsonBytes,
      },
    });
    const auditSubjects = new AuditSubjects(new AuditSubjectRecords(db), clock);
    const userRecords = new UserRecords(db);
    const users = new UserService({ records: userRecords, clock, subjects: auditSubjects });
    const mailer: Mailer | null = config.smtp === null ? null : new SmtpMailer(config.smtp);
    const accountStores = new AccountStores(db);
    const accountLinks = new AccountLinks({
      stores: accountStores,
      subjects: auditSubjects,
      clock,
      baseUrl: config.baseUrl,
      mailer,
      onDeliveryFailed: (failure) => {
        logMailDeliveryFailed(logger, failure);
      },
    });
    const sinkRecords = new AuditSinkRecords(db);
    const auditRetention = new AuditRetention({
      settings: new SettingsRecords(db),
      purges: new AuditPurgeRecords(db),
      leases: new JobLeaseRecords(db),
      clock,
      sinks: async () => (await sinkRecords.list()).map(({ id, name, cursor }) => ({ id, name, cursor })),
    });
    const settings = new SettingsService({
      records: new SettingsRecords(db),
      retention: auditRetention,
      users: userRecords,
      leases: new JobLeaseRecords(db),
      clock,
      ipMode: audit.ipMode,
    });
    const product = packageBrokerProduct(PRODUCT_VERSION, os.hostname());
    const sinkPool = new SinkTransportPool({
      factory: options.sinkTransportFactory ?? ((sink) => createSinkTransport(sink, { clock, product })),
      secrets,
      clock,
    });
    const alertRules = loadAlertRules(config.alerts.rulesFile);
    const alertRecords = new AlertRecords(db);
    const auditedTokens = new AuditedTokens(tokens);
    const auditedUsers = new AuditedUsers(users);
    const rateLimits = answersRequests ? await openRateLimits(config, clock, logger) : null;
    if (rateLimits !== null) opened.push(() => rateLimits.close());
    if (rateLimits !== null) processMetrics.countUncheckedFrom(() => rateLimits.unchecked);
    return {
      config,
      database,
      migrations,
      clock,
      tokens,
      auditedTokens,
      catalog: new CatalogReader({
        records: catalogRecords,
        baseUrl: config.baseUrl,
        proxy,
        metadataCache: shared.metadataCache,
        cacheLookups: processMetrics.cacheLookup,
      }),
      dists: new DistReader({ records: catalogRecords, blobs, proxy }),
      installs: new InstallRecorder({ catalog: catalogRecords, counts: installCounts, clock }),
      packageBrowser: new PackageBrowser({ catalog: catalogRecords, installs: installCounts, clock }),
      packageReadme: new PackageReadme({
        catalog: catalogRecords,
        blobs,
        proxy: { records: repositoryRecords.proxy, repositories: repositoryRecords },
        limits: { maxEntries: LIMITS.maxArchiveEntries },
      }),
      packages: new AuditedPackages({
        uploads,
        deletion: new PackageDeletion({ records: catalogRecords, blobs, clock }),
      }),
      repositories,
      proxy,
      auditedRepositories: new AuditedRepositories(repositories),
      installCounts,
      audit,
      auditRetention,
      auditSubjects,
      users,
      auditedUsers,
      accountLinks,
      auditedAccountLinks: new AuditedAccountLinks(accountLinks, audit.log),
      auditedPasswordChanges: new AuditedPasswordChanges(
        new PasswordChanges({
          stores: accountStores,
          clock,
          lockout: new LoginLockout({
            failures: new LoginFailureRecords(db),
            clock,
            policy: config.loginLockout,
          }),
        }),
      ),
      sessions: new SessionService({
        users: userRecords,
        sessions: new SessionRecords(db),
        failures: new LoginFailureRecords(db),
        recoveryCodes: new RecoveryCodeRecords(db),
        secretBox: secrets,
        clock,
        twoFactorPolicy: settings,
        lockout: config.loginLockout,
      }),
      settings,
      twoFactor: new TwoFactorService({
        users: userRecords,
        recoveryCodes: new RecoveryCodeRecords(db),
        twoFactor: new TwoFactorRecords(db),
        failures: new LoginFailureRecords(db),
        secretBox: secrets,
        clock,
        policy: settings,
        lockout: config.loginLockout,
      }),
      auditSinks: new AuditSinks({
        records: sinkRecords,
        audit: audit.records,
        pool: sinkPool,
        secrets,
        clock,
        attemptTimeoutMs: config.audit.sinkTimeoutMs,
      }),
      sinkDispatcher: new SinkDispatcher({
        sinks: sinkRecords,
        audit: audit.records,
        transports: sinkPool,
        clock,
        random: Math.random,
        trail: systemTrail,
        logger,
        attemptTimeoutMs: config.audit.sinkTimeoutMs,
      }),
      alerts: new AlertInbox({ records: alertRecords, rules: alertRules, clock }),
      jobs: new JobBoard({
        catalog: backgroundJobCatalog(config),
        leases: new JobLeaseRecords(db),
        runs: new JobRunRecords(db),
        clock,
      }),
      alertRunner: new AlertRunner({
        records: alertRecords,
        audit: audit.records,
        rules: alertRules,
        businessHours: () => settings.businessHours(),
        channels: alertChannels(config, mailer, clock),
        responder: new AlertResponder({
          tokens,
          auditedTokens,
          auditedUsers,
          trail: systemTrail,
        }),
        trail: systemTrail,
        clock,
        random: Math.random,
        logger,
        sendTimeoutMs: config.audit.sinkTimeoutMs,
      }),
      rateLimits,
      processMetrics,
      close: async () => {
        await rateLimits?.close();
        await sinkPool.closeAll();
        await proxy.drain();
        await shared.close();
        await audit.log.flush();
        await tokens.drain();
        await audit.ipMode.stop();
        await audit.log.close();
        mailer?.close();
        await database.close();
      },
    };
  } catch (error) {
    for (const close of opened.reverse()) await close().catch(() => undefined);
    await database.close();
    throw error;
  }
}
