import type { SecretBox } from "../../access/secret-box.ts";
import { distUrl } from "../../catalog/dist-url.ts";
import type {
  ProxiedCatalog,
  ProxiedDist,
  ProxiedDocument,
  ProxyContext,
} from "../../catalog/proxied-catalog.ts";
import type { Clock } from "../../clock/clock.ts";
import { SingleFetch } from "../../locks/single-fetch.ts";
import { isJsonObject, type VersionEntry } from "../../composer/json-value.ts";
import { DomainError } from "../../errors/domain-error.ts";
import type { BlobStore } from "../../storage/blobs/blob-store.ts";
import type {
  ProxyDocument,
  ProxyNameConflict,
  ProxyRecords,
  ProxyVersion,
} from "../../storage/database/proxy-records.ts";
import type { RepositoryRecord, RepositoryRecords } from "../../storage/database/repository-records.ts";
import { ComposerEagerSync, type FollowedChanges } from "./composer-eager-sync.ts";
import { ComposerMirror, identityOf, recordFailure, upstreamAllows } from "./composer-mirror.ts";
import type { ComposerUpstreamClient } from "./composer-upstream-client.ts";
import { NameConflicts } from "./name-conflicts.ts";
import type { FailureBudget } from "./upstream-health.ts";
import type { IntegrityConflict, UpstreamReport } from "./upstream-report.ts";
import { viaNames } from "./via-header.ts";

export interface ComposerProxyDeps {
  readonly repositories: RepositoryRecords;
  readonly records: ProxyRecords;
  readonly client: ComposerUpstreamClient;
  readonly blobs: BlobStore;
  readonly secrets: SecretBox;
  readonly clock: Clock;
  readonly baseUrl: string;
  /** How long a stored upstream document is served before it is revalidated. */
  readonly maxAgeMs: number;
  /** Our name in Via headers (via-header.ts). */
  readonly viaName: string;
  /** When to stop asking a failing upstream for a while (defaults: upstream-health.ts). */
  readonly failureBudget?: FailureBudget;
  /** Lets one first fetch of a document or dist run at a time (across nodes with shared locks). */
  readonly singleFetch?: SingleFetch;
}

/**
 * Lazy mirroring of Composer upstreams (docs/proxy.md). Called only for names that no private
 * package has. Upstreams are asked in priority order (the order they were added) among those whose
 * package patterns allow the name; the first that has the package serves it. What an upstream said
 * is stored and served until it is older than the max age; a request that finds it older is still
 * answered from the store at once, and one revalidation (If-Modified-Since) per upstream and
 * document runs in the background. An upstream that fails leaves the stored copy in service, and
 * one that keeps failing is left alone for a cool-down (upstream-health.ts). Documents and dists
 * enter the store through ComposerMirror, the same path as eager syncs and change feeds. A first
 * fetch (nothing stored yet) runs once for concurrent requests: once per process, and with shared
 * locks once across the nodes, the others reading what it stored (SingleFetch).
 */
export class ComposerProxy implements ProxiedCatalog {
  readonly #deps: ComposerProxyDeps;
  readonly #mirror: ComposerMirror;
  readonly #conflicts: NameConflicts;
  readonly #eager: ComposerEagerSync;
  readonly #single: SingleFetch;
  /** Background revalidations by upstream id, package name and dev flag. */
  readonly #pending = new Map<string, Promise<void>>();

  constructor(deps: ComposerProxyDeps) {
    this.#deps = deps;
    this.#mirror = new ComposerMirror(deps);
    this.#single = deps.singleFetch ?? new SingleFetch();
    this.#conflicts = new NameConflicts({
      records: deps.records,
      upstreams: deps.repositories.upstreams,
      mirror: this.#mirror,
      clock: deps.clock,
    });
    this.#eager = new ComposerEagerSync({
      repositories: deps.repositories,
      client: deps.client,
      mirror: this.#mirror,
      conflicts: this.#conflicts,
      clock: deps.clock,
    });
  }

  /** What this node knows of an upstream's recent answers, and what the store holds of it. */
  async report(repositoryId: string): Promise<UpstreamReport> {
    return { ...this.#mirror.health.state(repositoryId), ...(await this.#deps.records.counts(repositoryId)) };
  }

  /** The ledger's versions that an upstream later served differently. */
  async integrityConflicts(repositoryId: string): Promise<IntegrityConflict[]> {
    return (await this.#deps.records.conflicts(repositoryId)).map((version) => {
      const first = identityOf(JSON.parse(version.entry) as VersionEntry);
      const now = identityOf(JSON.parse(version.conflictingEntry ?? "{}") as VersionEntry);
      return {
        package: version.packageName,
        version: version.versionNormalized,
        firstSeenAt: version.firstSeenAt,
        firstSeen: {
          reference: first.reference,
          shasum: first.shasum,
          sourceReference: first.sourceReference,
          distSha256: version.distSha256,
          distSha1: version.distSha1,
        },
        conflicting: { reference: now.reference, shasum: now.shasum, sourceReference: now.sourceReference },
        seenAt: version.conflictSeenAt,
      };
    });
  }

  /** Names this upstream serves that a later one has too, or that an earlier one serves instead. */
  async nameConflicts(repositoryId: string): Promise<ProxyNameConflict[]> {
    return this.#deps.repositories.upstreams.nameConflicts(repositoryId);
  }

  /**
   * Follows the change feed of every upstream that publishes `metadata-changes-url` (and had an
   * eager sync, which sets the cursor): meant to be called on a timer by the background jobs.
   */
  async followChanges(context: ProxyContext): Promise<FollowedChanges[]> {
    return this.#eager.followChanges(context);
  }

  /** Resolves once the background revalidations started so far have finished (shutdown, tests). */
  async drain(): Promise<void> {
    while (this.#pending.size > 0) await Promise.all(this.#pending.values());
  }

  /** The package patterns upstreams may serve ("*" for an upstream without patterns); null without upstreams. */
  async packagePatterns(): Promise<string[] | null> {
    const upstreams = await this.#upstreams();
    if (upstreams.length === 0) return null;
    const patterns = upstreams.flatMap((u) => (u.packagePatterns.length === 0 ? ["*"] : u.packagePatterns));
    return patterns.includes("*") ? ["*"] : [...new Set(patterns)].sort();
  }

  async p2(name: string, dev: boolean, context: ProxyContext): Promise<ProxiedDocument | null> {
    const upstreams = (await this.#upstreams()).filter((u) => upstreamAllows(u, name));
    if (upstreams.length === 0) return null;
    assertNoLoop(context, this.#deps.viaName);
    for (const upstream of upstreams) {
      const stored = await this.#deps.records.findDocument(upstream.id, name, dev);
      let document = stored;
      if (stored === null) {
        document = await this.#single.run(
          `proxy-doc:${upstream.id}:${dev ? "dev" : "stable"}:${name}`,
          () => this.#deps.records.findDocument(upstream.id, name, dev),
          () => this.#mirror.fetchDocument(upstream, name, dev, null, context),
        );
      } else if (this.#stale(stored)) {
        this.#revalidateLater(upstream, name, dev, stored, context, upstreams);
      }
      if (document?.found === true) {
        const found = document;
        return {
          changedAt: found.changedAt,
          stamp: `${upstream.id} ${found.changedAt}`,
          entries: () => this.#render(upstream, found),
        };
      }
    }
    return null;
  }

  /**
   * One background revalidation per upstream and document, in this process and (through the shared
   * locks) across nodes; it never throws to anyone. Afterwards the upstreams that allow the name
   * are compared on what the store holds (name conflicts).
   */
  #revalidateLater(
    upstream: RepositoryRecord,
    name: string,
    dev: boolean,
    stored: ProxyDocument,
    context: ProxyContext,
    allowing: readonly RepositoryRecord[],
  ): void {
    const key = `${upstream.id}\n${name}\n${dev ? "dev" : ""}`;
    if (this.#pending.has(key) || !this.#mirror.available(upstream)) return;
    // Of several nodes, one revalidates; the others go on serving the stored copy meanwhile.
    const work = this.#single
      .ifFree(`proxy-revalidate:${key}`, async () => {
        await this.#mirror.fetchDocument(upstream, name, dev, stored, context);
        await this.#conflicts.check(name, allowing, context, { ask: false });
      })
      .catch(async (error: unknown) => {
        const failure = new DomainError(
          "unavailable",
          "RevalidationFailed",
          `revalidation failed: ${error instanceof Error ? error.message : String(error)}`,
        );
        await recordFailure(
          context,
          upstream,
          { package: name, dev, served_stale: stored.found },
          failure,
        ).catch(() => undefined);
      })
      .finally(() => this.#pending.delete(key));
    this.#pending.set(key, work);
  }

  /** The stored dist a proxied dist URL names, fetched from its upstream on the first download. */
  async dist(
    name: string,
    versionNormalized: string,
    distKey: string,
    context: ProxyContext,
  ): Promise<ProxiedDist | null> {
    const [version] = await this.#deps.records.findDist(name, versionNormalized, distKey);
    if (version === undefined) return null;
    const stored = await this.#mirror.storedDist(version);
    if (stored !== null) return stored;
    const upstream = await this.#deps.repositories.findById(version.repositoryId);
    if (upstream?.type !== "composer" || version.upstreamDistUrl === null) return null;
    assertNoLoop(context, this.#deps.viaName);
    return this.#single.run(
      `proxy-dist:${upstream.id}:${version.distKey}:${name}:${versionNormalized}`,
      async () => {
        const [again] = await this.#deps.records.findDist(name, versionNormalized, distKey);
        return again === undefined ? null : this.#mirror.storedDist(again);
      },
      () => this.#mirror.mirrorDist(upstream, version, context),
    );
  }

  #stale(document: ProxyDocument): boolean {
    return this.#deps.clock.now().getTime() - Date.parse(document.checkedAt) >= this.#deps.maxAgeMs;
  }

  async #upstreams(): Promise<RepositoryRecord[]> {
    return (await this.#deps.repositories.list()).filter(
      (r) => r.type === "composer" && r.metadataUrl !== null,
    );
  }

  /**
   * The document's versions as served: each one's first-seen entry from the ledger. A version
   * enters the ledger with the document that first lists it and its entry never changes, so the
   * result is fixed by the upstream and the document's change time (ProxiedDocument.stamp).
   */
  async #render(upstream: RepositoryRecord, document: ProxyDocument): Promise<VersionEntry[]> {
    const ledger = await this.#deps.records.versions(upstream.id, document.packageName);
    const entries: VersionEntry[] = [];
    for (const versionNormalized of document.versions) {
      const version = ledger.get(versionNormalized);
      if (version !== undefined) entries.push(this.#servedEntry(version));
    }
    return entries;
  }

  /** The first-seen entry, its dist URL pointing at us (type, reference and shasum as upstream said). */
  #servedEntry(version: ProxyVersion): VersionEntry {
    const entry = JSON.parse(version.entry) as VersionEntry;
    const dist = entry.dist;
    if (version.upstreamDistUrl === null || !isJsonObject(dist)) return entry;
    entry.dist = {
      ...dist,
      url: distUrl(this.#deps.baseUrl, {
        packageName: version.packageName,
        versionNormalized: version.versionNormalized,
        reference: version.distKey,
      }),
    };
    return entry;
  }
}

function assertNoLoop(context: ProxyContext, viaName: string): void {
  if (viaNames(context.receivedVia, viaName)) {
    throw new DomainError(
      "invalid",
      "ProxyLoop",
      "this request already passed through this server (its Via header names it): proxy loop refused",
    );
  }
}
