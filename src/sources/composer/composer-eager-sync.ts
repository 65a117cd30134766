import { compilePackagePatterns } from "../../access/package-pattern.ts";
import type { ProxyContext } from "../../catalog/proxied-catalog.ts";
import type { Clock } from "../../clock/clock.ts";
import { readMetadataChanges, type MetadataChanges } from "../../composer/metadata-changes.ts";
import { readPackageList } from "../../composer/upstream-root.ts";
import { DomainError } from "../../errors/domain-error.ts";
import type { RepositoryRecord, RepositoryRecords } from "../../storage/database/repository-records.ts";
import type { UpstreamSyncCounts } from "../../storage/database/sync-run-records.ts";
import type { SyncProgressListener } from "../sync/sync-progress.ts";
import { recordFailure, upstreamAllows, type ComposerMirror } from "./composer-mirror.ts";
import type { ComposerUpstreamClient } from "./composer-upstream-client.ts";
import { eagerPackageNames } from "./eager-package-names.ts";
import type { NameConflicts } from "./name-conflicts.ts";
import { UpstreamTally, type PackageWork } from "./upstream-tally.ts";

export interface ComposerEagerSyncDeps {
  readonly repositories: RepositoryRecords;
  readonly client: ComposerUpstreamClient;
  readonly mirror: ComposerMirror;
  readonly conflicts: NameConflicts;
  readonly clock: Clock;
  /** Packages mirrored at the same time (default 4). */
  readonly concurrency?: number;
}

/** What following one upstream's change feed did. */
export interface FollowedChanges {
  readonly repositoryId: string;
  readonly repositoryName: string;
  readonly counts: UpstreamSyncCounts | null;
  /** Why the feed could not be followed this time, or null. */
  readonly error: string | null;
}

/**
 * Eager mirroring of composer upstreams and their change feeds (docs/proxy.md, "Eager mode").
 * Every document and dist goes through the same ComposerMirror as lazy requests do (failure
 * budget, conditional requests, integrity ledger, shasum checks). A package that fails is counted
 * and listed, and the others go on. The feed's cursor moves only after a run without failures, so
 * that what failed is asked again next time.
 */
export class ComposerEagerSync {
  readonly #deps: ComposerEagerSyncDeps;

  constructor(deps: ComposerEagerSyncDeps) {
    this.#deps = deps;
  }

  /** One eager sync: every eager package, or only what changed when the feed's cursor allows it. */
  async sync(
    upstream: RepositoryRecord,
    context: ProxyContext,
    onProgress: SyncProgressListener = () => undefined,
  ): Promise<UpstreamSyncCounts> {
    onProgress({ phase: "fetching" });
    const request = {
      credentials: this.#deps.mirror.credentials(upstream),
      receivedVia: context.receivedVia,
    };
    const root = await this.#observed(upstream, () => this.#deps.client.root(upstream.url, request));
    const names = await eagerPackageNames(upstream, root, async (url) =>
      readPackageList(
        (await this.#observed(upstream, () => this.#deps.client.document(url, upstream.url, request))).body,
      ),
    );
    const upstreams = this.#deps.repositories.upstreams;
    const { feed, feedError, since } = await this.#feedFor(upstream, root.changesUrl, context);
    const held = new Set(await upstreams.heldPackages(upstream.id));
    const work =
      feed?.kind === "changes" && since !== null ? changedWork(names, held, feed) : fullWork(names);
    const tally = new UpstreamTally(work.mode, feedError, work.unchanged);
    await this.#process(upstream, work, tally, context, onProgress);
    const counts = tally.counts();
    if (root.changesUrl === null) await upstreams.saveChangeFeed(upstream.id, null, this.#now());
    else if (feed !== null && counts.packages.failed === 0) {
      await upstreams.saveChangeFeed(
        upstream.id,
        { changesUrl: root.changesUrl, since: feed.timestamp },
        this.#now(),
      );
    }
    onProgress({ phase: "done" });
    return counts;
  }

  /**
   * Follows the change feed of every composer upstream that has one (remembered when it was added
   * or by its last eager sync; the first run only takes the feed's cursor): refetches the changed
   * documents the broker holds (conditionally), mirrors new packages and versions that match the
   * eager patterns, marks deleted packages as gone; when the cursor is too old, every held document
   * is asked again. Meant to run on a timer.
   */
  async followChanges(context: ProxyContext): Promise<FollowedChanges[]> {
    const results: FollowedChanges[] = [];
    for (const upstream of await this.#deps.repositories.list()) {
      if (upstream.type !== "composer" || upstream.metadataUrl === null) continue;
      const feed = await this.#deps.repositories.upstreams.changeFeed(upstream.id);
      if (feed === null) continue;
      const result = { repositoryId: upstream.id, repositoryName: upstream.name };
      try {
        const counts = await this.#follow(upstream, feed.changesUrl, feed.since, context);
        results.push({ ...result, counts, error: null });
      } catch (error) {
        if (!(error instanceof DomainError)) throw error;
        results.push({ ...result, counts: null, error: error.message });
      }
    }
    return results;
  }

  async #follow(
    upstream: RepositoryRecord,
    changesUrl: string,
    since: string | null,
    context: ProxyContext,
  ): Promise<UpstreamSyncCounts> {
    const feed = await this.#readFeed(upstream, changesUrl, since, context);
    const held = new Set(await this.#deps.repositories.upstreams.heldPackages(upstream.id));
    const eager = eagerMatcher(upstream);
    const work: PackageWork =
      feed.kind === "resync" || since === null
        ? {
            mode: "full",
            items: [...held].map((name) => ({ name, dists: eager(name) })),
            deletes: [],
            unchanged: 0,
          }
        : followedWork(held, eager, feed);
    const tally = new UpstreamTally(work.mode, null, 0);
    await this.#process(upstream, work, tally, context, () => undefined);
    const counts = tally.counts();
    if (counts.packages.failed === 0) {
      await this.#deps.repositories.upstreams.saveChangeFeed(
        upstream.id,
        { changesUrl, since: feed.timestamp },
        this.#now(),
      );
    }
    return counts;
  }

  /** What the feed says since the stored cursor (none for a new feed URL); a failure is kept, not thrown. */
  async #feedFor(
    upstream: RepositoryRecord,
    changesUrl: string | null,
    context: ProxyContext,
  ): Promise<{ feed: MetadataChanges | null; feedError: string | null; since: string | null }> {
    if (changesUrl === null) return { feed: null, feedError: null, since: null };
    const stored = await this.#deps.repositories.upstreams.changeFeed(upstream.id);
    const since = stored?.changesUrl === changesUrl ? stored.since : null;
    try {
      return { feed: await this.#readFeed(upstream, changesUrl, since, context), feedError: null, since };
    } catch (error) {
      if (!(error instanceof DomainError)) throw error;
      return { feed: null, feedError: error.message, since };
    }
  }

  /** Asks the change feed (`?since=` when there is a cursor); a failure is recorded and thrown. */
  async #readFeed(
    upstream: RepositoryRecord,
    changesUrl: string,
    since: string | null,
    context: ProxyContext,
  ): Promise<MetadataChanges> {
    const url = new URL(changesUrl);
    if (since !== null) url.searchParams.set("since", since);
    try {
      const answer = await this.#observed(upstream, () =>
        this.#deps.client.document(url.href, upstream.url, {
          credentials: this.#deps.mirror.credentials(upstream),
        }),
      );
      const changes = readMetadataChanges(answer.body);
      if (answer.status === 400 && changes.kind !== "resync") {
        throw new DomainError("invalid", "InvalidChangeFeed", "the upstream's change feed answered HTTP 400");
      }
      return changes;
    } catch (error) {
      if (error instanceof DomainError) await recordFailure(context, upstream, { change_feed: true }, error);
      throw error;
    }
  }

  /** Runs the work with bounded concurrency; each package's failure is counted, never thrown. */
  async #process(
    upstream: RepositoryRecord,
    work: PackageWork,
    tally: UpstreamTally,
    context: ProxyContext,
    onProgress: SyncProgressListener,
  ): Promise<void> {
    const records = this.#deps.repositories.proxy;
    for (const name of work.deletes) {
      for (const dev of [false, true]) {
        const document = await records.findDocument(upstream.id, name, dev);
        if (document !== null) await this.#deps.mirror.markGone(document);
      }
      tally.gone();
    }
    const others = (await this.#deps.repositories.list()).filter(
      (r) => r.type === "composer" && r.metadataUrl !== null,
    );
    let done = 0;
    await eachWithLimit(work.items, this.#deps.concurrency ?? 4, async (item) => {
      try {
        await this.#package(upstream, item, tally, context);
        const allowing = others.filter((other) => upstreamAllows(other, item.name));
        await this.#deps.conflicts.check(item.name, allowing, context, { ask: true });
      } catch (error) {
        if (!(error instanceof DomainError)) throw error;
        tally.failed(item.name, error.message);
      }
      done += 1;
      onProgress({ phase: "refs", done, total: work.items.length, ref: item.name, unit: "packages" });
    });
  }

  /** Both documents of a package, then (for eager packages) every dist they list. */
  async #package(
    upstream: RepositoryRecord,
    item: { readonly name: string; readonly dists: boolean },
    tally: UpstreamTally,
    context: ProxyContext,
  ): Promise<void> {
    const records = this.#deps.repositories.proxy;
    const before = await records.versions(upstream.id, item.name);
    const versions: string[] = [];
    let changed = false;
    for (const dev of [false, true]) {
      const stored = await records.findDocument(upstream.id, item.name, dev);
      const document = await this.#deps.mirror.fetchDocument(upstream, item.name, dev, stored, context);
      if (document === null) {
        const state = this.#deps.mirror.health.state(upstream.id);
        throw new DomainError(
          "unavailable",
          "UpstreamUnavailable",
          state.lastError ?? "the upstream did not answer",
        );
      }
      changed ||= stored === null ? document.found : stored.changedAt !== document.changedAt;
      versions.push(...document.versions);
    }
    if (versions.length === 0) {
      throw new DomainError("not-found", "UpstreamPackageMissing", "the upstream does not have this package");
    }
    const ledger = await records.versions(upstream.id, item.name);
    tally.versions(ledger.size - before.size, before.size);
    if (item.dists) await this.#dists(upstream, versions, ledger, tally, context);
    tally.package(changed);
  }

  async #dists(
    upstream: RepositoryRecord,
    versions: readonly string[],
    ledger: Awaited<ReturnType<RepositoryRecords["proxy"]["versions"]>>,
    tally: UpstreamTally,
    context: ProxyContext,
  ): Promise<void> {
    let failure: DomainError | null = null;
    for (const versionNormalized of versions) {
      const version = ledger.get(versionNormalized);
      if (version?.upstreamDistUrl == null) continue;
      if ((await this.#deps.mirror.storedDist(version)) !== null) {
        tally.dist("unchanged");
        continue;
      }
      try {
        await this.#deps.mirror.mirrorDist(upstream, version, context);
        tally.dist("fetched");
      } catch (error) {
        if (!(error instanceof DomainError)) throw error;
        tally.dist("failed");
        failure ??= error;
      }
    }
    if (failure !== null) throw failure;
  }

  /** Runs an upstream request through the failure budget (not while it cools down). */
  async #observed<T>(upstream: RepositoryRecord, request: () => Promise<T>): Promise<T> {
    if (!this.#deps.mirror.available(upstream)) {
      throw new DomainError(
        "unavailable",
        "UpstreamCoolingDown",
        `the upstream ${upstream.name} is cooling down`,
      );
    }
    try {
      const result = await request();
      this.#deps.mirror.observe(upstream, null);
      return result;
    } catch (error) {
      if (error instanceof DomainError && error.kind === "unavailable")
        this.#deps.mirror.observe(upstream, error);
      throw error;
    }
  }

  #now(): string {
    return this.#deps.clock.now().toISOString();
  }
}

function fullWork(names: readonly string[]): PackageWork {
  return { mode: "full", items: names.map((name) => ({ name, dists: true })), deletes: [], unchanged: 0 };
}

/** Eager names not held yet or named by the feed, and the held others it names (documents only). */
function changedWork(
  names: readonly string[],
  held: ReadonlySet<string>,
  feed: Extract<MetadataChanges, { kind: "changes" }>,
): PackageWork {
  const updated = new Set(feed.changes.filter((c) => c.type === "update").map((c) => c.packageName));
  const deletes = deletedHeld(held, feed);
  const gone = new Set(deletes);
  const eager = names.filter((name) => !gone.has(name));
  const items = eager
    .filter((name) => !held.has(name) || updated.has(name))
    .map((name) => ({ name, dists: true }));
  const unchanged = eager.length - items.length;
  const eagerNames = new Set(names);
  for (const name of updated) if (held.has(name) && !eagerNames.has(name)) items.push({ name, dists: false });
  return { mode: "changes", items, deletes, unchanged };
}

/** The held packages the feed names, and new ones matching the eager patterns. */
function followedWork(
  held: ReadonlySet<string>,
  eager: (name: string) => boolean,
  feed: Extract<MetadataChanges, { kind: "changes" }>,
): PackageWork {
  const updated = new Set(feed.changes.filter((c) => c.type === "update").map((c) => c.packageName));
  const items = [...updated]
    .filter((name) => held.has(name) || eager(name))
    .map((name) => ({ name, dists: eager(name) }));
  return { mode: "changes", items, deletes: deletedHeld(held, feed), unchanged: 0 };
}

function deletedHeld(
  held: ReadonlySet<string>,
  feed: Extract<MetadataChanges, { kind: "changes" }>,
): string[] {
  const deleted = feed.changes.filter((c) => c.type === "delete" && !c.dev).map((c) => c.packageName);
  return [...new Set(deleted)].filter((name) => held.has(name));
}

function eagerMatcher(upstream: RepositoryRecord): (name: string) => boolean {
  if (upstream.eagerPackages.length === 0) return () => false;
  const eager = compilePackagePatterns(upstream.eagerPackages);
  return (name) => eager(name) && upstreamAllows(upstream, name);
}

/** Calls `work` on every item, at most `limit` at a time. */
async function eachWithLimit<T>(
  items: readonly T[],
  limit: number,
  work: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const item = items[next] as T;
      next += 1;
      await work(item);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
}
