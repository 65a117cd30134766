import { createHash } from "node:crypto";
import { newId } from "../../ids/new-id.ts";
import type { Clock } from "../../clock/clock.ts";
import { buildVersionEntry, parseComposerJson } from "../../composer/composer-json.ts";
import { normalizeVersion, versionFromBranch, versionFromTag } from "../../composer/version-parser.ts";
import { DomainError } from "../../errors/domain-error.ts";
import type { BlobStore } from "../../storage/blobs/blob-store.ts";
import type { CatalogRecords } from "../../storage/database/catalog-records.ts";
import type {
  RefRecord,
  RepositoryRecord,
  RepositoryRecords,
} from "../../storage/database/repository-records.ts";
import type { SyncRunDetails } from "../../storage/database/sync-run-records.ts";
import type { GitMirror, GitRef } from "../git/git-mirror.ts";
import type { SyncProgressListener } from "./sync-progress.ts";

export interface SyncLimits {
  readonly maxComposerJsonBytes: number;
  readonly maxDistBytes: number;
}

export interface GitSyncDeps {
  readonly repositories: RepositoryRecords;
  readonly catalog: CatalogRecords;
  readonly blobs: BlobStore;
  readonly clock: Clock;
  readonly limits: SyncLimits;
}

export interface GitSyncResult {
  readonly defaultBranch: string | null;
  readonly details: SyncRunDetails;
}

interface Collected {
  readonly added: string[];
  readonly updated: string[];
  readonly removed: string[];
  readonly skipped: { ref: string; reason: string }[];
  readonly moved: { ref: string; from: string; to: string }[];
}

/** A ref that cannot become a version; the reason is recorded and the sync goes on. */
class SkipRef extends Error {}

/**
 * One sync of one git repository: fetch, then process only the refs that changed since the last
 * sync (or whose default-branch flag changed). A ref whose composer.json is missing or invalid is
 * skipped with a recorded reason; the others go on. Tags that now point at another commit are
 * recorded as moved. Versions of refs that disappeared are removed.
 */
export async function syncGitRepository(
  repository: RepositoryRecord,
  mirror: GitMirror,
  deps: GitSyncDeps,
  onProgress: SyncProgressListener = () => undefined,
): Promise<GitSyncResult> {
  onProgress({ phase: "fetching" });
  await mirror.update();
  const refs = await mirror.listRefs();
  const defaultBranch = await mirror.defaultBranch();
  const known = new Map((await deps.repositories.refs(repository.id)).map((ref) => [ref.ref, ref]));
  const found: Collected = { added: [], updated: [], removed: [], skipped: [], moved: [] };
  const defaultChanged = defaultBranch !== repository.defaultBranch;
  const present = new Set(refs.map((ref) => ref.name));

  let done = 0;
  for (const ref of refs) {
    onProgress({ phase: "refs", done, total: refs.length, ref: ref.shortName });
    const previous = known.get(ref.name);
    known.delete(ref.name);
    const flagChanged = ref.kind === "branch" && defaultChanged;
    if (previous?.commit === ref.commit && !flagChanged) {
      if (previous.skipReason !== null) found.skipped.push({ ref: ref.name, reason: previous.skipReason });
    } else {
      if (previous !== undefined && ref.kind === "tag" && previous.commit !== ref.commit) {
        found.moved.push({ ref: ref.name, from: previous.commit, to: ref.commit });
      }
      await processRef(repository, mirror, deps, { ref, previous, defaultBranch, present }, found);
    }
    done += 1;
  }
  for (const gone of known.values()) {
    await removeRefVersion(repository, deps, gone, found);
    await deps.repositories.deleteRef(repository.id, gone.ref);
  }
  onProgress({ phase: "done" });
  return { defaultBranch, details: found };
}

async function processRef(
  repository: RepositoryRecord,
  mirror: GitMirror,
  deps: GitSyncDeps,
  state: {
    ref: GitRef;
    previous: RefRecord | undefined;
    defaultBranch: string | null;
    present: ReadonlySet<string>;
  },
  found: Collected,
): Promise<void> {
  const { ref, previous } = state;
  const now = deps.clock.now().toISOString();
  try {
    const saved = await buildVersion(repository, mirror, deps, state);
    if (previous?.packageName != null && previous.versionNormalized !== null) {
      const same =
        previous.packageName === saved.packageName && previous.versionNormalized === saved.versionNormalized;
      if (!same) await removeRefVersion(repository, deps, previous, found);
    }
    (saved.isNew ? found.added : found.updated).push(`${saved.packageName} ${saved.version}`);
    await deps.repositories.saveRef(
      repository.id,
      {
        ref: ref.name,
        commit: ref.commit,
        packageName: saved.packageName,
        versionNormalized: saved.versionNormalized,
        skipReason: null,
      },
      now,
    );
  } catch (error) {
    if (!(error instanceof SkipRef) && !(error instanceof DomainError && error.kind !== "unavailable"))
      throw error;
    if (previous !== undefined) await removeRefVersion(repository, deps, previous, found);
    found.skipped.push({ ref: ref.name, reason: error.message });
    await deps.repositories.saveRef(
      repository.id,
      {
        ref: ref.name,
        commit: ref.commit,
        packageName: null,
        versionNormalized: null,
        skipReason: error.message,
      },
      now,
    );
  }
}

async function buildVersion(
  repository: RepositoryRecord,
  mirror: GitMirror,
  deps: GitSyncDeps,
  state: { ref: GitRef; defaultBranch: string | null; present: ReadonlySet<string> },
): Promise<{ packageName: string; version: string; versionNormalized: string; isNew: boolean }> {
  const { ref } = state;
  const versions = ref.kind === "tag" ? versionFromTag(ref.shortName) : versionFromBranch(ref.shortName);
  if (versions === null) throw new SkipRef(`"${ref.shortName}" is not a valid version ${ref.kind} name`);
  const text = await mirror.readFile(ref.commit, "composer.json", deps.limits.maxComposerJsonBytes);
  if (text === null) throw new SkipRef("composer.json is missing");
  const composerJson = parseComposerJson(text.toString("utf8"), {
    maxBytes: deps.limits.maxComposerJsonBytes,
  });
  if (ref.kind === "tag" && composerJson.version !== undefined) {
    const declared = tryNormalize(composerJson.version);
    if (declared !== versions.versionNormalized) {
      throw new SkipRef(
        `tag ${ref.shortName} does not match the version "${composerJson.version}" in composer.json`,
      );
    }
  }
  const existing = await deps.catalog.findVersion(composerJson.name, versions.versionNormalized);
  if (existing !== null && existing.repositoryId !== repository.id) {
    throw new SkipRef(`${composerJson.name} ${versions.version} is already provided by another source`);
  }
  if (existing !== null) {
    // Two refs that resolve to the same version: the one that provides it keeps it (Composer
    // keeps the first one read), unless it is gone from the remote.
    const owner = await otherRefProviding(
      repository,
      deps,
      ref.name,
      composerJson.name,
      versions.versionNormalized,
    );
    if (owner !== undefined && state.present.has(owner.ref)) {
      throw new SkipRef(
        `${composerJson.name} ${versions.version} is already provided by ${owner.ref} (both are version ${versions.versionNormalized})`,
      );
    }
  }
  const isDefault = ref.kind === "branch" && ref.shortName === state.defaultBranch;
  const zip = await mirror.archive(ref.commit, deps.limits.maxDistBytes);
  const sha1 = createHash("sha1").update(zip).digest("hex");
  const blob = await deps.blobs.put(zip);
  const time = await mirror.commitTime(ref.commit);
  const entry = buildVersionEntry(composerJson, {
    version: versions.version,
    versionNormalized: versions.versionNormalized,
    time: time.toISOString().replace(/\.\d{3}Z$/, "+00:00"),
    source: { type: "git", url: repository.url, reference: ref.commit },
    distReference: ref.commit,
    ...(isDefault ? { defaultBranch: true } : {}),
  });
  await deps.catalog.saveVersion(
    {
      id: existing?.id ?? newId(),
      packageName: composerJson.name,
      version: versions.version,
      versionNormalized: versions.versionNormalized,
      isDev: ref.kind === "branch",
      origin: "git",
      repositoryId: repository.id,
      reference: ref.commit,
      metadata: JSON.stringify(entry),
      distSha256: blob.sha256,
      distSha1: sha1,
      distSize: blob.size,
    },
    deps.clock.now().toISOString(),
  );
  return { packageName: composerJson.name, ...versions, isNew: existing === null };
}

async function removeRefVersion(
  repository: RepositoryRecord,
  deps: GitSyncDeps,
  ref: RefRecord,
  found: Collected,
): Promise<void> {
  if (ref.packageName === null || ref.versionNormalized === null) return;
  const version = await deps.catalog.findVersion(ref.packageName, ref.versionNormalized);
  if (version?.repositoryId !== repository.id) return;
  // Another ref took the version over (a tag replaced by its duplicate): it stays.
  if (
    (await otherRefProviding(repository, deps, ref.ref, ref.packageName, ref.versionNormalized)) !== undefined
  )
    return;
  await deps.catalog.deleteVersion(ref.packageName, ref.versionNormalized, deps.clock.now().toISOString());
  found.removed.push(`${version.packageName} ${version.version}`);
}

/** The ref of this repository, other than `refName`, recorded as providing the version. */
async function otherRefProviding(
  repository: RepositoryRecord,
  deps: GitSyncDeps,
  refName: string,
  packageName: string,
  versionNormalized: string,
): Promise<RefRecord | undefined> {
  return (await deps.repositories.refs(repository.id)).find(
    (other) =>
      other.ref !== refName &&
      other.packageName === packageName &&
      other.versionNormalized === versionNormalized,
  );
}

function tryNormalize(version: string): string | null {
  try {
    return normalizeVersion(version);
  } catch {
    return null;
  }
}
