import { newId } from "../ids/new-id.ts";
import { z } from "zod";
import type { SecretBox } from "../access/secret-box.ts";
import { conflict, DomainError, invalidInput, notFound } from "../errors/domain-error.ts";
import type { RepositoryRecord } from "../storage/database/repository-records.ts";
import { emptySyncDetails, type SyncRun, type SyncRunRecords } from "../storage/database/sync-run-records.ts";
import { gitCredentialsSchema, type GitCredentials } from "./git/git-credentials.ts";
import type { GitMirror } from "./git/git-mirror.ts";
import { assertSourceAllowed, classifySourceUrl } from "./source-url-policy.ts";
import { syncGitRepository, type GitSyncDeps } from "./sync/git-repository-sync.ts";
import type { SyncProgressListener } from "./sync/sync-progress.ts";

export const addRepositorySchema = z
  .object({
    type: z.literal("git", { error: 'type must be "git"' }).default("git"),
    url: z.string().min(1, { error: "url is required" }).max(2048),
    name: z
      .string()
      .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/, {
        error: "name must be 1-100 letters, digits, dots, dashes or underscores",
      })
      .optional(),
    credentials: gitCredentialsSchema.optional(),
  })
  .strict();

export type AddRepositoryInput = z.input<typeof addRepositorySchema>;

export const updateRepositorySchema = z
  .object({
    url: addRepositorySchema.shape.url.optional(),
    name: addRepositorySchema.shape.name,
    /** New credentials, or null to remove them. */
    credentials: gitCredentialsSchema.nullable().optional(),
  })
  .strict();

export type UpdateRepositoryInput = z.input<typeof updateRepositorySchema>;

/** What the API and CLI show of a repository: never its credentials. */
export interface PublicRepository {
  readonly id: string;
  readonly name: string;
  readonly type: string;
  readonly url: string;
  readonly hasCredentials: boolean;
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
}

/** Git repositories as sources of package versions: add, list, remove, sync. */
export class RepositoryService {
  readonly #deps: RepositoryServiceDeps;

  constructor(deps: RepositoryServiceDeps) {
    this.#deps = deps;
  }

  async add(input: AddRepositoryInput): Promise<PublicRepository> {
    const parsed = addRepositorySchema.parse(input);
    await this.#assertUrlAllowed(parsed.url);
    const name = parsed.name ?? defaultName(parsed.url);
    await this.#assertNameFree(name);
    const now = this.#deps.clock.now().toISOString();
    const id = newId();
    await this.#deps.repositories.insert({
      id,
      name,
      type: parsed.type,
      url: parsed.url,
      credentials:
        parsed.credentials === undefined ? null : this.#deps.secrets.seal(JSON.stringify(parsed.credentials)),
      createdAt: now,
      updatedAt: now,
    });
    return publicRepository(await this.#get(id));
  }

  /**
   * Changes the URL, the name or the credentials (null removes them). The next sync fetches from
   * the new URL and reconciles the versions with what it finds there.
   */
  async update(idOrName: string, input: UpdateRepositoryInput): Promise<PublicRepository> {
    const parsed = updateRepositorySchema.parse(input);
    const repository = await this.#get(idOrName);
    if (parsed.url !== undefined) await this.#assertUrlAllowed(parsed.url);
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
    await this.#deps.repositories.update(
      repository.id,
      {
        ...(parsed.url === undefined ? {} : { url: parsed.url }),
        ...(parsed.name === undefined ? {} : { name: parsed.name }),
        ...credentials,
      },
      this.#deps.clock.now().toISOString(),
    );
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
    await this.#deps.removeMirror(repository);
    return { removedVersions: versions.length };
  }

  /** Runs a sync to its end. A sync already running on the repository is a conflict. */
  async sync(idOrName: string, onProgress?: SyncProgressListener): Promise<SyncRun> {
    const repository = await this.#get(idOrName);
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

function publicRepository(record: RepositoryRecord): PublicRepository {
  return {
    id: record.id,
    name: record.name,
    type: record.type,
    url: record.url,
    hasCredentials: record.credentials !== null,
    status: record.status,
    defaultBranch: record.defaultBranch,
    lastError: record.lastError,
    lastSyncedAt: record.lastSyncedAt,
    createdAt: record.createdAt,
  };
}
