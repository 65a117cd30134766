import { newId } from "../ids/new-id.ts";
import { z } from "zod";
import type { SecretBox } from "../access/secret-box.ts";
import { conflict, DomainError, invalidInput, notFound } from "../errors/domain-error.ts";
import type { RepositoryRecord } from "../storage/database/repository-records.ts";
import { emptySyncDetails, type SyncRun, type SyncRunRecords } from "../storage/database/sync-run-records.ts";
import { parsePackagePatterns } from "../access/package-pattern.ts";
import { composerCredentialsSchema, type ComposerCredentials } from "./composer/composer-credentials.ts";
import type { UpstreamRequest } from "./composer/composer-upstream-client.ts";
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

/** What the API and CLI show of a repository: never its credentials. */
export interface PublicRepository {
  readonly id: string;
  readonly name: string;
  readonly type: string;
  readonly url: string;
  readonly hasCredentials: boolean;
  /** composer: the package patterns the upstream may provide; empty means any. */
  readonly packagePatterns: readonly string[];
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
  /** Reads a composer upstream's packages.json: its absolute metadata URL template. */
  readonly composerUpstream?: {
    metadataUrlTemplate(repositoryUrl: string, request: UpstreamRequest): Promise<string>;
  };
}

/** Git repositories as sources of package versions: add, list, remove, sync. */
export class RepositoryService {
  readonly #deps: RepositoryServiceDeps;

  constructor(deps: RepositoryServiceDeps) {
    this.#deps = deps;
  }

  async add(input: AddRepositoryInput): Promise<PublicRepository> {
    const parsed = addRepositorySchema.parse(input);
    const composer = parsed.type === "composer";
    const url = composer ? composerUrl(parsed.url) : parsed.url;
    await this.#assertUrlAllowed(url);
    const name = parsed.name ?? defaultName(url);
    await this.#assertNameFree(name);
    const metadataUrl = composer
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
      metadataUrl,
    });
    // packages.json lists the upstreams' patterns: it changed.
    if (composer) await this.#deps.catalog.touchCatalog(now);
    return publicRepository(await this.#get(id));
  }

  /** Asks a composer upstream for its packages.json: only Composer v2 repositories are accepted. */
  async #probe(url: string, credentials: ComposerCredentials | undefined): Promise<string> {
    const upstream = this.#deps.composerUpstream;
    if (upstream === undefined) throw new Error("composer upstreams are not wired");
    return upstream.metadataUrlTemplate(url, { credentials });
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
        if (!composer && value.packages !== undefined) {
          context.addIssue({
            code: "custom",
            message: "packages is for composer repositories",
            path: ["packages"],
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
    // A new URL or new credentials: ask the upstream again for its metadata URL.
    const metadataUrl =
      composer && (url !== undefined || parsed.credentials !== undefined)
        ? {
            metadataUrl: await this.#probe(
              url ?? repository.url,
              parsed.credentials === undefined
                ? this.#composerCredentials(repository)
                : ((parsed.credentials ?? undefined) as ComposerCredentials | undefined),
            ),
          }
        : {};
    const now = this.#deps.clock.now().toISOString();
    await this.#deps.repositories.update(
      repository.id,
      {
        ...(url === undefined ? {} : { url }),
        ...(parsed.name === undefined ? {} : { name: parsed.name }),
        ...(parsed.packages === undefined ? {} : { packagePatterns: parsePackagePatterns(parsed.packages) }),
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

  /** Runs a sync to its end. A sync already running on the repository is a conflict. */
  async sync(idOrName: string, onProgress?: SyncProgressListener): Promise<SyncRun> {
    const repository = await this.#get(idOrName);
    if (repository.type === "composer") {
      throw invalidInput(
        "NothingToSync",
        `"${repository.name}" is a composer upstream: it is mirrored lazily, package by package, when Composer asks (there is no eager sync yet)`,
      );
    }
    const clock = this.#deps.clock;
    const startedAt = clock.now();
    const leaseUntil = new Date(startedAt.getTime() + this.#deps.syncLeaseMs).toISOString();
    if (
      !(await this.#deps.repositories.acquireSyncLease(repository.id, startedAt.toISOString(), leaseUntil))
    ) {
      throw conflict("SyncInProgress", `a sync of "${repository.name}" is already running`);
    }
    const runId = newId();
    await this.#deps.syncRuns.start({
      id: runId,
      repositoryId: repository.id,
      startedAt: startedAt.toISOString(),
    });
    try {
      // Checked again at every sync, not only when added: a name that resolved to a public address
      // then may point inside the network now (DNS rebinding).
      await this.#assertUrlAllowed(repository.url);
      const mirror = this.#deps.openMirror(repository, this.#credentials(repository));
      const result = await syncGitRepository(repository, mirror, this.#deps, onProgress);
      const at = clock.now().toISOString();
      await this.#deps.syncRuns.finish(runId, {
        status: "succeeded",
        finishedAt: at,
        details: result.details,
        error: null,
      });
      await this.#deps.repositories.releaseSyncLease(repository.id, {
        status: "ok",
        lastError: null,
        defaultBranch: result.defaultBranch,
        at,
        leaseUntil,
      });
    } catch (error) {
      const message = error instanceof DomainError ? error.message : "internal error during sync";
      const at = clock.now().toISOString();
      await this.#deps.syncRuns.finish(runId, {
        status: "failed",
        finishedAt: at,
        details: emptySyncDetails,
        error: message,
      });
      await this.#deps.repositories.releaseSyncLease(repository.id, {
        status: "error",
        lastError: message,
        defaultBranch: repository.defaultBranch,
        at,
        leaseUntil,
      });
      if (!(error instanceof DomainError)) throw error;
    }
    const run = await this.#deps.syncRuns.find(runId);
    if (run === null) throw new Error(`sync run ${runId} vanished`);
    return run;
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
    status: record.status,
    defaultBranch: record.defaultBranch,
    lastError: record.lastError,
    lastSyncedAt: record.lastSyncedAt,
    createdAt: record.createdAt,
  };
}
