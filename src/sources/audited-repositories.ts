import type { AuditTarget } from "../audit/audit-event.ts";
import type { AuditTrail } from "../audit/audit-trail.ts";
import { DomainError } from "../errors/domain-error.ts";
import type { JsonValue } from "../composer/json-value.ts";
import type { SyncRun, UpstreamSyncCounts } from "../storage/database/sync-run-records.ts";
import type { AddRepositoryInput, UpdateRepositoryInput } from "./repository-input.ts";
import type { PublicRepository, RepositoryService } from "./repository-service.ts";
import type { SyncProgressListener } from "./sync/sync-progress.ts";

/**
 * Repository changes and syncs with their `repository` audit events: what the API and the CLI
 * call. A sync records when it starts, each version it added, updated or removed, each tag that
 * moved to another commit, and how it ended, with counts. Credentials never enter an event.
 */
export class AuditedRepositories {
  readonly #repositories: RepositoryService;

  constructor(repositories: RepositoryService) {
    this.#repositories = repositories;
  }

  async add(input: AddRepositoryInput, trail: AuditTrail): Promise<PublicRepository> {
    const added = await this.#repositories.add(input);
    await trail.record({
      event: "repository",
      action: "added",
      outcome: "success",
      target: repositoryTarget(added),
      details: {
        url: added.url,
        type: added.type,
        has_credentials: added.hasCredentials,
        ...(added.type === "composer"
          ? { package_patterns: [...added.packagePatterns], eager_packages: [...added.eagerPackages] }
          : {}),
      },
    });
    return added;
  }

  async update(idOrName: string, input: UpdateRepositoryInput, trail: AuditTrail): Promise<PublicRepository> {
    const before = await this.#repositories.get(idOrName);
    const after = await this.#repositories.update(idOrName, input);
    await trail.record({
      event: "repository",
      action: "changed",
      outcome: "success",
      severity: "warning",
      target: repositoryTarget(after),
      details: {
        before: { name: before.name, url: before.url, has_credentials: before.hasCredentials },
        after: { name: after.name, url: after.url, has_credentials: after.hasCredentials },
        credentials_changed: input.credentials !== undefined,
        ...(after.type === "composer"
          ? {
              package_patterns: { before: [...before.packagePatterns], after: [...after.packagePatterns] },
              eager_packages: { before: [...before.eagerPackages], after: [...after.eagerPackages] },
            }
          : {}),
      },
    });
    return after;
  }

  async remove(idOrName: string, trail: AuditTrail): Promise<{ removedVersions: number }> {
    const repository = await this.#repositories.get(idOrName);
    const removed = await this.#repositories.remove(idOrName);
    await trail.record({
      event: "repository",
      action: "removed",
      outcome: "success",
      severity: "warning",
      target: repositoryTarget(repository),
      details: { url: repository.url, versions_removed: removed.removedVersions },
    });
    return removed;
  }

  async sync(idOrName: string, trail: AuditTrail, onProgress?: SyncProgressListener): Promise<SyncRun> {
    const repository = await this.#repositories.get(idOrName);
    const target = repositoryTarget(repository);
    await trail.record({
      event: "repository",
      action: "sync_started",
      outcome: "success",
      target,
      details: {},
    });
    let run: SyncRun;
    try {
      // The upstream requests of an eager sync record their own events (dist_mirrored, ...).
      run = await this.#repositories.sync(idOrName, onProgress, { trail });
    } catch (error) {
      // A sync that could not run (one already running) or broke (an internal error) still ends
      // the `sync_started` it follows, so that every start has its outcome in the log.
      await trail.record({
        event: "repository",
        action: "sync_failed",
        outcome: "failure",
        severity: "error",
        target,
        details: {
          sync_run: null,
          ...(error instanceof DomainError
            ? { code: error.code, error: error.message }
            : { code: "InternalError", error: "internal error during sync" }),
        },
      });
      throw error;
    }
    await recordSyncOutcome(trail, target, run);
    return run;
  }
}

async function recordSyncOutcome(trail: AuditTrail, target: AuditTarget, run: SyncRun): Promise<void> {
  const { added, updated, removed, skipped, moved } = run.details;
  const versionEvents = [
    ...added.map((version) => ({ action: "version_added", version })),
    ...updated.map((version) => ({ action: "version_updated", version })),
    ...removed.map((version) => ({ action: "version_removed", version })),
  ];
  await Promise.all([
    ...versionEvents.map(({ action, version }) =>
      trail.record({
        event: "repository",
        action,
        outcome: "success",
        target: { type: "package", ...packageVersion(version) },
        details: { repository: target.name ?? null, sync_run: run.id },
      }),
    ),
    ...moved.map((move) =>
      trail.record({
        event: "repository",
        action: "tag_moved",
        outcome: "success",
        severity: "warning",
        target,
        details: { ref: move.ref, from: move.from, to: move.to, sync_run: run.id },
      }),
    ),
  ]);
  const failed = run.status === "failed";
  await trail.record({
    event: "repository",
    action: failed ? "sync_failed" : "sync_completed",
    outcome: failed ? "failure" : "success",
    severity: failed ? "error" : "info",
    target,
    details: {
      sync_run: run.id,
      versions_added: added.length,
      versions_updated: updated.length,
      versions_removed: removed.length,
      refs_skipped: skipped.length,
      tags_moved: moved.length,
      ...(run.details.upstream === undefined ? {} : upstreamDetails(run.details.upstream)),
      ...(failed ? { error: run.error } : {}),
    },
  });
}

/** The counts of a composer upstream's eager sync, for its sync_completed / sync_failed event. */
function upstreamDetails(counts: UpstreamSyncCounts): Record<string, JsonValue> {
  return {
    mode: counts.mode,
    packages: { ...counts.packages },
    versions: { ...counts.versions },
    dists: { ...counts.dists },
    feed_error: counts.feedError,
  };
}

/** `acme/pkg v1.2.0` -> name and version. */
function packageVersion(label: string): { name: string; version?: string } {
  const space = label.indexOf(" ");
  return space < 0 ? { name: label } : { name: label.slice(0, space), version: label.slice(space + 1) };
}

function repositoryTarget(repository: PublicRepository): AuditTarget {
  return { type: "repository", id: repository.id, name: repository.name };
}
