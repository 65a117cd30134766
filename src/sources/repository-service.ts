import { newId } from "../ids/new-id.ts";
import { z } from "zod";
import type { SecretBox } from "../access/secret-box.ts";
import { conflict, DomainError, invalidInput, notFound } from "../errors/domain-error.ts";
import type { RepositoryRecord } from "../storage/database/repository-records.ts";
import {
  emptySyncDetails,
  type SyncRun,
  type SyncRunDetails,
  type SyncRunRecords,
} from "../storage/database/sync-run-records.ts";
import { parsePackagePatterns } from "../access/package-pattern.ts";
import { composerCredentialsSchema, type ComposerCredentials } from "./composer/composer-credentials.ts";
import type { ProxyContext } from "../catalog/proxied-catalog.ts";
import { ComposerEagerSync } from "./composer/composer-eager-sync.ts";
import { ComposerMirror } from "./composer/composer-mirror.ts";
import type { UpstreamRoot } from "../composer/upstream-root.ts";
import type { ComposerUpstreamClient } from "./composer/composer-upstream-client.ts";
import { parseEagerPatterns } from "./composer/eager-package-names.ts";
import { NameConflicts } from "./composer/name-conflicts.ts";
import { failureMessage } from "./composer/upstream-tally.ts";
import { gitCredentialsSchema, type GitCredentials } from "./git/git-credentials.ts";
import {
  addRepositorySchema,
  parseRepositoryCredentials,
  updateRepositorySchema,
  type AddRepositoryInput,
  type UpdateRepositoryInput,
} from "./repository-input.ts";
import type { GitMirror } from "./git/git-mirror.ts";
import { assertSourceAllowed, classifySourceUrl } from "./source-url-policy.ts";
import { syncGitRepository, type GitSyncDeps } from "./sync/git-repository-sync.ts";
import type { SyncProgressListener } from "./sync/sync-progress.ts";
import { SyncProgressRecorder } from "./sync/sync-progress-recorder.ts";

/** What the API and CLI show of a repository: never its credentials. */
export interface PublicRepository {
  readonly id: string;
  readonly name: string;
  readonly type: string;
  readonly url: string;
  readonly hasCredentials: boolean;
  /** composer: the package patterns the upstream may provide; empty means any. */
  readonly packagePatterns: readonly string[];
  /** composer: the packages a sync mirrors ahead of time; empty: lazy only. */
  readonly eagerPackages: readonly string[];
  readonly status: string;
  readonly defaultBranch: string | null;
  readonly lastError: string | null;
  readonly lastSyncedAt: string | null;
  readonly createdAt: string;
}

export type MirrorFactory = (
  repository: RepositoryRecord,
  credentials: GitCredentials | undefined,
) => GitMirror;

export interface RepositoryServiceDeps extends GitSyncDeps {
  readonly syncRuns: SyncRunRecords;
  readonly secrets: SecretBox;
  readonly openMirror: MirrorFactory;
  readonly removeMirror: (repository: RepositoryRecord) => Promise<void>;
  readonly allowPrivateSources: boolean;
  readonly resolveHost?: (host: string) => Promise<string[]>;
  /** How long a sync may hold a repository before another may take over. */
  readonly syncLeaseMs: number;
  /** The client for composer upstreams: their packages.json when added, documents and dists in syncs. */
  readonly composerUpstream?: ComposerUpstreamClient;
  /** How often a running sync's progress is written at most (SYNC_PROGRESS_INTERVAL_MS by default). */
  readonly syncProgressIntervalMs?: number;
}

/** The outcome of one sync's work, before it is recorded as the run's. */
interface SyncWork {
  readonly details: SyncRunDetails;
  readonly defaultBranch: string | null;
  /** Why the run failed although its work ended (packages of an eager sync that failed). */
  readonly error: string | null;
}

/** Repositories as sources of package versions: add, list, remove, sync (git, and eager composer upstreams). */
export class RepositoryService {
  readonly #deps: RepositoryServiceDeps;
  readonly #eager: ComposerEagerSync | null;

  constructor(deps: RepositoryServiceDeps) {
    this.#deps = deps;
    this.#eager = deps.composerUpstream === undefined ? null : eagerSync(deps, deps.composerUpstream);
  }

  async add(input: AddRepositoryInput): Promise<PublicRepository> {
    const parsed = addRepositorySchema.parse(input);
    const composer = parsed.type === "composer";
    const url = composer ? composerUrl(parsed.url) : parsed.url;
    await this.#assertUrlAllowed(url);
    const name = parsed.name ?? defaultName(url);
    await this.#assertNameFree(name);
    const root = composer
      ? await this.#probe(url, parsed.credentials as ComposerCredentials | undefined)
      : null;
    const now = this.#deps.clock.now().toISOString();
    const id = newId();
    await this.#deps.repositories.insert({
      id,
      name,
      type: parsed.type,
      url,
      credentials:
        parsed.credentials === undefined ? null : this.#deps.secrets.seal(JSON.stringify(parsed.credentials)),
      createdAt: now,
      updatedAt: now,
      packagePatterns: parsePackagePatterns(parsed.packages ?? []),
      eagerPackages: parseEagerPatterns(parsed.eagerPackages ?? []),
      metadataUrl: root?.metadataUrl ?? null,
    });
    if (root !== null) await this.#rememberFeed(id, root, now);
    // packages.json lists the upstreams' patterns: it changed.
    if (composer) await this.#deps.catalog.touchCatalog(now);
    return publicRepository(await this.#get(id));
  }

  /** Asks a composer upstream for its packages.json: only Composer v2 repositories are accepted. */
  async #probe(url: string, credentials: ComposerCredentials | undefined): Promise<UpstreamRoot> {
    const upstream = this.#deps.composerUpstream;
    if (upstream === undefined) throw new Error("composer upstreams are not wired");
    return upstream.root(url, { credentials });
  }

  /** A new URL or new credentials of a composer upstream: its packages.json is read again. */
  async #reprobe(
    repository: RepositoryRecord,
    url: string | undefined,
    credentials: ComposerCredentials | null | undefined,
    now: string,
  ): Promise<{ metadataUrl?: string }> {
    if (repository.type !== "composer" || (url === undefined && credentials === undefined)) return {};
    const root = await this.#probe(
      url ?? repository.url,
      credentials === undefined ? this.#composerCredentials(repository) : (credentials ?? undefined),
    );
    await this.#rememberFeed(repository.id, root, now);
    return { metadataUrl: root.metadataUrl };
  }

  /**
   * Keeps the upstream's change feed (`metadata-changes-url`), so that followChanges() follows it
   * from its first run; a feed at a new URL starts without a cursor.
   */
  async #rememberFeed(repositoryId: string, root: UpstreamRoot, now: string): Promise<void> {
    const feeds = this.#deps.repositories.upstreams;
    if (root.changesUrl === null) return feeds.saveChangeFeed(repositoryId, null, now);
    if ((await feeds.changeFeed(repositoryId))?.changesUrl === root.changesUrl) return;
    await feeds.saveChangeFeed(repositoryId, { changesUrl: root.changesUrl, since: null }, now);
  }

  /**
   * Changes the URL, the name or the credentials (null removes them). The next sync fetches from
   * the new URL and reconciles the versions with what it finds there.
   */
  async update(idOrName: string, input: UpdateRepositoryInput): Promise<PublicRepository> {
    const raw = updateRepositorySchema.parse(input);
    const repository = await this.#get(idOrName);
    const composer = repository.type === "composer";
    const parsed = updateRepositorySchema
      .transform((value, context) => {
        if (!composer && (value.packages !== undefined || value.eagerPackages !== undefined)) {
          const field = value.packages === undefined ? "eagerPackages" : "packages";
          context.addIssue({
            code: "custom",
            message: `${field} is for composer repositories`,
            path: [field],
          });
          return z.NEVER;
        }
        const { credentials, ...rest } = value;
        if (credentials === undefined || credentials === null) return { ...rest, credentials };
        return { ...rest, credentials: parseRepositoryCredentials(repository.type, credentials, context) };
      })
      .parse(raw);
    const url = parsed.url === undefined ? undefined : composer ? composerUrl(parsed.url) : parsed.url;
    if (url !== undefined) await this.#assertUrlAllowed(url);
    if (parsed.name !== undefined && parsed.name !== repository.name) await this.#assertNameFree(parsed.name);
    const credentials =
      parsed.credentials === undefined
        ? {}
        : {
            credentials:
              parsed.credentials === null
                ? null
                : this.#deps.secrets.seal(JSON.stringify(parsed.credentials)),
          };
    const now = this.#deps.clock.now().toISOString();
    const metadataUrl = await this.#reprobe(
      repository,
      url,
      parsed.credentials as ComposerCredentials | null | undefined,
      now,
    );
    await this.#deps.repositories.update(
      repository.id,
      {
        ...(url === undefined ? {} : { url }),
        ...(parsed.name === undefined ? {} : { name: parsed.name }),
        ...(parsed.packages === undefined ? {} : { packagePatterns: parsePackagePatterns(parsed.packages) }),
        ...(parsed.eagerPackages === undefined
          ? {}
          : { eagerPackages: parseEagerPatterns(parsed.eagerPackages) }),
        ...credentials,
        ...metadataUrl,
      },
      now,
    );
    if (composer) await this.#deps.catalog.touchCatalog(now);
    return publicRepository(await this.#get(repository.id));
  }

  async #assertUrlAllowed(url: string): Promise<void> {
    const classified = classifySourceUrl(url);
    if (/^[a-z+]+:\/\/[^/@]*@/i.test(url) && classified.kind !== "ssh") {
      throw invalidInput(
        "CredentialsInUrl",
        "the repository URL must not contain credentials; pass them separately (--credentials)",
      );
    }
    await assertSourceAllowed(url, {
      allowPrivate: this.#deps.allowPrivateSources,
      ...(this.#deps.resolveHost === undefined ? {} : { resolve: this.#deps.resolveHost }),
    });
  }

  async #assertNameFree(name: string): Promise<void> {
    if ((await this.#deps.repositories.findByName(name)) !== null) {
      throw conflict("RepositoryNameTaken", `a repository named "${name}" already exists`);
    }
  }

  async list(): Promise<PublicRepository[]> {
    return (await this.#deps.repositories.list()).map(publicRepository);
  }

  async get(idOrName: string): Promise<PublicRepository> {
    return publicRepository(await this.#get(idOrName));
  }

  async syncRuns(idOrName: string, limit = 20): Promise<SyncRun[]> {
    const repository = await this.#get(idOrName);
    return this.#deps.syncRuns.latest(repository.id, limit);
  }

  /** Removes the repository, the versions it provided, and its local mirror. */
  async remove(idOrName: string): Promise<{ removedVersions: number }> {
    const repository = await this.#get(idOrName);
    const versions = await this.#deps.catalog.versionsOfRepository(repository.id);
    const now = this.#deps.clock.now().toISOString();
    for (const version of versions) {
      await this.#deps.catalog.deleteVersion(version.packageName, version.versionNormalized, now);
    }
    await this.#deps.repositories.delete(repository.id);
    if (repository.type === "composer") await this.#deps.catalog.touchCatalog(now);
    else await this.#deps.removeMirror(repository);
    return { removedVersions: versions.length };
  }

  /**
   * Runs a sync to its end. A sync already running on the repository is a conflict. A composer
   * upstream is synced only when it has eager patterns (the others are mirrored lazily); `context`
   * receives the audit events of its upstream requests.
   */
  async sync(
    idOrName: string,
    onProgress?: SyncProgressListener,
    context: ProxyContext = { trail: null },
  ): Promise<SyncRun> {
    const repository = await this.#get(idOrName);
    if (repository.type === "composer") {
      const eager = this.#eager;
      if (eager === null || repository.eagerPackages.length === 0) {
        throw invalidInput(
          "NothingToSync",
          `"${repository.name}" is a composer upstream without eager packages: it is mirrored lazily, package by package, when Composer asks (set eager packages to sync it ahead of time)`,
        );
      }
      return this.#run(repository, onProgress, async (report) => {
        const counts = await eager.sync(repository, context, report);
        return {
          details: { ...emptySyncDetails, upstream: counts },
          defaultBranch: null,
          error: failureMessage(counts),
        };
      });
    }
    return this.#run(repository, onProgress, async (report) => {
      // Checked again at every sync, not only when added: a name that resolved to a public address
      // then may point inside the network now (DNS rebinding).
      await this.#assertUrlAllowed(repository.url);
      const mirror = this.#deps.openMirror(repository, this.#credentials(repository));
      const result = await syncGitRepository(repository, mirror, this.#deps, report);
      return { details: result.details, defaultBranch: result.defaultBranch, error: null };
    });
  }

  /**
   * Holds the repository's sync lease and records the run around `work`, and its progress in the
   * run's row while it runs (for the dashboard and other nodes).
   */
  async #run(
    repository: RepositoryRecord,
    onProgress: SyncProgressListener | undefined,
    work: (report: SyncProgressListener) => Promise<SyncWork>,
  ): Promise<SyncRun> {
    const clock = this.#deps.clock;
    const startedAt = clock.now();
    const leaseUntil = new Date(startedAt.getTime() + this.#deps.syncLeaseMs).toISOString();
    if (
      !(await this.#deps.repositories.acquireSyncLease(repository.id, startedAt.toISOString(), leaseUntil))
    ) {
      throw conflict("SyncInProgress", `a sync of "${repository.name}" is already running`);
    }
    // The lease is ours: a run still marked running was left by a process that died with it.
    await this.#deps.syncRuns.interruptRunning(repository.id, startedAt.toISOString());
    const runId = newId();
    await this.#deps.syncRuns.start({
      id: runId,
      repositoryId: repository.id,
      startedAt: startedAt.toISOString(),
    });
    const progress = new SyncProgressRecorder({
      write: (report) => this.#deps.syncRuns.progress(runId, report),
      ...(this.#deps.syncProgressIntervalMs === undefined
        ? {}
        : { intervalMs: this.#deps.syncProgressIntervalMs }),
    });
    let outcome: SyncWork;
    let broken: Error | null = null;
    try {
      outcome = await work(progress.listener(onProgress));
    } catch (error) {
      const message = error instanceof DomainError ? error.message : "internal error during sync";
      outcome = { details: emptySyncDetails, defaultBranch: repository.defaultBranch, error: message };
      if (!(error instanceof DomainError)) broken = error instanceof Error ? error : new Error(String(error));
    }
    await progress.settle();
    await this.#finish(runId, repository.id, outcome, leaseUntil);
    if (broken !== null) throw broken;
    const run = await this.#deps.syncRuns.find(runId);
    if (run === null) throw new Error(`sync run ${runId} vanished`);
    return run;
  }

  async #finish(runId: string, repositoryId: string, outcome: SyncWork, leaseUntil: string): Promise<void> {
    const at = this.#deps.clock.now().toISOString();
    const failed = outcome.error !== null;
    await this.#deps.syncRuns.finish(runId, {
      status: failed ? "failed" : "succeeded",
      finishedAt: at,
      details: outcome.details,
      error: outcome.error,
    });
    await this.#deps.repositories.releaseSyncLease(repositoryId, {
      status: failed ? "error" : "ok",
      lastError: outcome.error,
      defaultBranch: outcome.defaultBranch,
      at,
      leaseUntil,
    });
  }

  #credentials(repository: RepositoryRecord): GitCredentials | undefined {
    if (repository.credentials === null) return undefined;
    return gitCredentialsSchema.parse(JSON.parse(this.#deps.secrets.open(repository.credentials)));
  }

  #composerCredentials(repository: RepositoryRecord): ComposerCredentials | undefined {
    if (repository.credentials === null) return undefined;
    return composerCredentialsSchema.parse(JSON.parse(this.#deps.secrets.open(repository.credentials)));
  }

  async #get(idOrName: string): Promise<RepositoryRecord> {
    const repository =
      (await this.#deps.repositories.findById(idOrName)) ??
      (await this.#deps.repositories.findByName(idOrName));
    if (repository === null) throw notFound("RepositoryNotFound", `no repository "${idOrName}"`);
    return repository;
  }
}

function defaultName(url: string): string {
  const last =
    url
      .replace(/[/\\]+$/, "")
      .split(/[/:\\]/)
      .pop() ?? "";
  const name = last
    .replace(/\.git$/, "")
    .replace(/[^A-Za-z0-9._-]/g, "-")
    .replace(/^[^A-Za-z0-9]+/, "");
  return name === "" ? `repository-${Date.now().toString(36)}` : name.slice(0, 100);
}

/** A composer upstream's URL: http(s) only, without a trailing slash or `/packages.json`. */
function composerUrl(url: string): string {
  if (!/^https?:\/\/[^/]/i.test(url)) {
    throw invalidInput(
      "InvalidRepositoryUrl",
      "a composer repository URL must start with https:// or http://",
    );
  }
  return url.replace(/\/packages\.json$/i, "").replace(/\/+$/, "");
}

function publicRepository(record: RepositoryRecord): PublicRepository {
  return {
    id: record.id,
    name: record.name,
    type: record.type,
    url: record.url,
    hasCredentials: record.credentials !== null,
    packagePatterns: record.packagePatterns,
    eagerPackages: record.eagerPackages,
    status: record.status,
    defaultBranch: record.defaultBranch,
    lastError: record.lastError,
    lastSyncedAt: record.lastSyncedAt,
    createdAt: record.createdAt,
  };
}

/** The eager sync of composer upstreams, through the same mirror path as lazy requests. */
function eagerSync(deps: RepositoryServiceDeps, client: ComposerUpstreamClient): ComposerEagerSync {
  const { repositories, blobs, secrets, clock } = deps;
  const mirror = new ComposerMirror({ records: repositories.proxy, client, blobs, secrets, clock });
  const conflicts = new NameConflicts({
    records: repositories.proxy,
    upstreams: repositories.upstreams,
    mirror,
    clock,
  });
  return new ComposerEagerSync({ repositories, client, mirror, conflicts, clock });
}
