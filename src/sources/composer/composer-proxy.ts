import { createHash } from "node:crypto";
import type { SecretBox } from "../../access/secret-box.ts";
import { distUrl } from "../../catalog/dist-url.ts";
import type {
  ProxiedCatalog,
  ProxiedDist,
  ProxiedDocument,
  ProxyContext,
} from "../../catalog/proxied-catalog.ts";
import type { Clock } from "../../clock/clock.ts";
import { isJsonObject, type JsonValue, type VersionEntry } from "../../composer/json-value.ts";
import { readUpstreamP2, type UpstreamVersion } from "../../composer/upstream-p2.ts";
import { compilePackagePatterns } from "../../access/package-pattern.ts";
import { DomainError } from "../../errors/domain-error.ts";
import type { BlobStore } from "../../storage/blobs/blob-store.ts";
import { nextChangeStamp } from "../../storage/database/catalog-records.ts";
import type { ProxyDocument, ProxyRecords, ProxyVersion } from "../../storage/database/proxy-records.ts";
import type { RepositoryRecord, RepositoryRecords } from "../../storage/database/repository-records.ts";
import { composerCredentialsSchema, type ComposerCredentials } from "./composer-credentials.ts";
import type { ComposerUpstreamClient } from "./composer-upstream-client.ts";
import { UpstreamHealth, type FailureBudget } from "./upstream-health.ts";
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
}

/**
 * Lazy mirroring of Composer upstreams (docs/proxy.md). Called only for names that no private
 * package has. Upstreams are asked in priority order (the order they were added) among those whose
 * package patterns allow the name; the first that has the package serves it. What an upstream said
 * is stored and served until it is older than the max age; a request that finds it older is still
 * answered from the store at once, and one revalidation (If-Modified-Since) per upstream and
 * document runs in the background. An upstream that fails leaves the stored copy in service, and
 * one that keeps failing is left alone for a cool-down (upstream-health.ts).
 */
export class ComposerProxy implements ProxiedCatalog {
  readonly #deps: ComposerProxyDeps;
  readonly #health: UpstreamHealth;
  /** Background revalidations by upstream id, package name and dev flag. */
  readonly #pending = new Map<string, Promise<void>>();

  constructor(deps: ComposerProxyDeps) {
    this.#deps = deps;
    this.#health = new UpstreamHealth(deps.failureBudget);
  }

  /** What this node knows of an upstream's recent answers, and what the store holds of it. */
  async report(repositoryId: string): Promise<UpstreamReport> {
    return { ...this.#health.state(repositoryId), ...(await this.#deps.records.counts(repositoryId)) };
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
    const upstreams = (await this.#upstreams()).filter((u) => allows(u, name));
    if (upstreams.length === 0) return null;
    assertNoLoop(context, this.#deps.viaName);
    for (const upstream of upstreams) {
      const stored = await this.#deps.records.findDocument(upstream.id, name, dev);
      let document = stored;
      if (stored === null) {
        document = await this.#fetch(upstream, name, dev, null, context);
      } else if (this.#stale(stored)) {
        this.#revalidateLater(upstream, name, dev, stored, context);
      }
      if (document?.found === true) return this.#render(upstream, document);
    }
    return null;
  }

  /** Asks the upstream unless it cools down; a failure is recorded and answers null. */
  async #fetch(
    upstream: RepositoryRecord,
    name: string,
    dev: boolean,
    stored: ProxyDocument | null,
    context: ProxyContext,
  ): Promise<ProxyDocument | null> {
    if (!this.#health.available(upstream.id, this.#deps.clock.now())) return null;
    try {
      const document = await this.#refresh(upstream, name, dev, stored, context);
      this.#health.succeeded(upstream.id, this.#deps.clock.now());
      return document;
    } catch (error) {
      if (!(error instanceof DomainError)) throw error;
      this.#health.failed(upstream.id, this.#deps.clock.now(), error.message);
      await recordFailure(
        context,
        upstream,
        { package: name, dev, served_stale: stored?.found === true },
        error,
      );
      return null;
    }
  }

  /** One background revalidation per upstream and document; it never throws to anyone. */
  #revalidateLater(
    upstream: RepositoryRecord,
    name: string,
    dev: boolean,
    stored: ProxyDocument,
    context: ProxyContext,
  ): void {
    const key = `${upstream.id}\n${name}\n${dev ? "dev" : ""}`;
    if (this.#pending.has(key) || !this.#health.available(upstream.id, this.#deps.clock.now())) return;
    const work = this.#fetch(upstream, name, dev, stored, context)
      .then(() => undefined)
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
    if (version.distSha256 !== null && version.distSha1 !== null && version.downloadedAt !== null) {
      if ((await this.#deps.blobs.head(version.distSha256)) !== null) {
        return { sha256: version.distSha256, sha1: version.distSha1, downloadedAt: version.downloadedAt };
      }
    }
    const upstream = await this.#deps.repositories.findById(version.repositoryId);
    if (upstream?.type !== "composer" || version.upstreamDistUrl === null) return null;
    assertNoLoop(context, this.#deps.viaName);
    const target = { type: "package", name, version: versionNormalized };
    if (!this.#health.available(upstream.id, this.#deps.clock.now())) {
      throw new DomainError(
        "unavailable",
        "UpstreamCoolingDown",
        `the upstream ${upstream.name} failed repeatedly and is not asked until ${this.#health.state(upstream.id).coolingDownUntil ?? ""}`,
      );
    }
    let bytes: Uint8Array;
    try {
      bytes = await this.#deps.client.dist(version.upstreamDistUrl, upstream.url, {
        credentials: this.#credentials(upstream),
        receivedVia: context.receivedVia,
      });
      this.#health.succeeded(upstream.id, this.#deps.clock.now());
    } catch (error) {
      if (error instanceof DomainError) {
        this.#health.failed(upstream.id, this.#deps.clock.now(), error.message);
        await recordFailure(context, upstream, { package: name, version: versionNormalized }, error);
      }
      throw error;
    }
    const sha1 = createHash("sha1").update(bytes).digest("hex");
    const expected = version.upstreamShasum?.toLowerCase() ?? "";
    if (expected !== "" && expected !== sha1) {
      const error = new DomainError(
        "unavailable",
        "UpstreamChecksumMismatch",
        `the dist of ${name} ${versionNormalized} from the upstream does not match its shasum; it was not stored`,
      );
      await recordFailure(
        context,
        upstream,
        { package: name, version: versionNormalized, expected_sha1: expected, actual_sha1: sha1 },
        error,
      );
      throw error;
    }
    const stored = await this.#deps.blobs.put(bytes);
    const at = this.#deps.clock.now().toISOString();
    await this.#deps.records.recordDist(version, { sha256: stored.sha256, sha1, size: stored.size, at });
    await context.trail?.record({
      event: "repository",
      action: "dist_mirrored",
      outcome: "success",
      target,
      details: { repository: upstream.name, sha1, sha256: stored.sha256, size: stored.size },
    });
    return { sha256: stored.sha256, sha1, downloadedAt: at };
  }

  #stale(document: ProxyDocument): boolean {
    return this.#deps.clock.now().getTime() - Date.parse(document.checkedAt) >= this.#deps.maxAgeMs;
  }

  async #upstreams(): Promise<RepositoryRecord[]> {
    return (await this.#deps.repositories.list()).filter(
      (r) => r.type === "composer" && r.metadataUrl !== null,
    );
  }

  #credentials(upstream: RepositoryRecord): ComposerCredentials | undefined {
    if (upstream.credentials === null) return undefined;
    return composerCredentialsSchema.parse(JSON.parse(this.#deps.secrets.open(upstream.credentials)));
  }

  async #refresh(
    upstream: RepositoryRecord,
    name: string,
    dev: boolean,
    stored: ProxyDocument | null,
    context: ProxyContext,
  ): Promise<ProxyDocument> {
    const now = this.#deps.clock.now().toISOString();
    const answer = await this.#deps.client.metadata(
      upstream.metadataUrl ?? "",
      upstream.url,
      dev ? `${name}~dev` : name,
      {
        credentials: this.#credentials(upstream),
        receivedVia: context.receivedVia,
        ifModifiedSince: stored?.found === true ? stored.upstreamLastModified : null,
      },
    );
    const base = { repositoryId: upstream.id, packageName: name, dev, checkedAt: now };
    let document: ProxyDocument;
    if (answer.status === "not-modified" && stored !== null) {
      document = { ...stored, checkedAt: now };
    } else if (answer.status === "ok") {
      const versions = readUpstreamP2(answer.body, name);
      await this.#ledger(upstream, name, versions, now, context);
      const list = versions.map((v) => v.versionNormalized);
      const same = stored?.found === true && sameList(stored.versions, list);
      document = {
        ...base,
        found: list.length > 0,
        versions: list,
        upstreamLastModified: answer.lastModified,
        changedAt: same ? stored.changedAt : nextChangeStamp(stored?.changedAt ?? null, now),
      };
    } else {
      document = {
        ...base,
        found: false,
        versions: [],
        upstreamLastModified: null,
        changedAt:
          stored?.found === false ? stored.changedAt : nextChangeStamp(stored?.changedAt ?? null, now),
      };
    }
    await this.#deps.records.saveDocument(document);
    return document;
  }

  /** Adds new versions to the ledger; a known version served differently is a conflict. */
  async #ledger(
    upstream: RepositoryRecord,
    name: string,
    versions: readonly UpstreamVersion[],
    now: string,
    context: ProxyContext,
  ): Promise<void> {
    const known = await this.#deps.records.versions(upstream.id, name);
    for (const { versionNormalized, entry } of versions) {
      const first = known.get(versionNormalized);
      const identity = identityOf(entry);
      if (first === undefined) {
        await this.#deps.records.recordVersion({
          repositoryId: upstream.id,
          packageName: name,
          versionNormalized,
          entry: JSON.stringify(entry),
          reference: identity.reference,
          distKey: distKeyOf(versionNormalized, identity),
          upstreamDistUrl: identity.url,
          upstreamShasum: identity.shasum,
          firstSeenAt: now,
        });
        continue;
      }
      const before = identityOf(JSON.parse(first.entry) as VersionEntry);
      const serialized = JSON.stringify(entry);
      if (!conflicts(before, identity) || first.conflictingEntry === serialized) continue;
      await this.#deps.records.recordConflict(first, serialized, now);
      await context.trail?.record({
        event: "repository",
        action: "integrity_conflict",
        outcome: "success",
        severity: "warning",
        target: { type: "package", name, version: versionNormalized },
        details: {
          repository: upstream.name,
          first_seen: {
            reference: before.reference,
            shasum: before.shasum,
            source_reference: before.sourceReference,
          },
          now_served: {
            reference: identity.reference,
            shasum: identity.shasum,
            source_reference: identity.sourceReference,
          },
          kept: "first_seen",
        },
      });
    }
  }

  async #render(upstream: RepositoryRecord, document: ProxyDocument): Promise<ProxiedDocument> {
    const ledger = await this.#deps.records.versions(upstream.id, document.packageName);
    const entries: VersionEntry[] = [];
    for (const versionNormalized of document.versions) {
      const version = ledger.get(versionNormalized);
      if (version !== undefined) entries.push(this.#servedEntry(version));
    }
    return { entries, changedAt: document.changedAt };
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

interface VersionIdentity {
  readonly url: string | null;
  readonly reference: string | null;
  readonly shasum: string | null;
  readonly sourceReference: string | null;
}

function identityOf(entry: VersionEntry): VersionIdentity {
  const text = (value: JsonValue | undefined): string | null => (typeof value === "string" ? value : null);
  const dist = isJsonObject(entry.dist) ? entry.dist : {};
  const source = isJsonObject(entry.source) ? entry.source : {};
  const url = text(dist.url);
  return {
    url: url !== null && /^https?:\/\//i.test(url) ? url : null,
    reference: text(dist.reference) ?? text(source.reference),
    shasum: text(dist.shasum) === "" ? null : text(dist.shasum),
    sourceReference: text(source.reference),
  };
}

/** Different bytes or a different commit for a version we have seen. */
function conflicts(before: VersionIdentity, now: VersionIdentity): boolean {
  return (
    before.reference !== now.reference ||
    before.sourceReference !== now.sourceReference ||
    (before.shasum !== null &&
      now.shasum !== null &&
      before.shasum.toLowerCase() !== now.shasum.toLowerCase())
  );
}

/** Names the dist in our URL: 40 hex digits, the same for the same upstream dist and reference. */
function distKeyOf(versionNormalized: string, identity: VersionIdentity): string {
  return createHash("sha1")
    .update(`${identity.url ?? `no-dist:${versionNormalized}`}\n${identity.reference ?? ""}`)
    .digest("hex");
}

function allows(upstream: RepositoryRecord, name: string): boolean {
  return upstream.packagePatterns.length === 0 || compilePackagePatterns(upstream.packagePatterns)(name);
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((value, index) => value === b[index]);
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

async function recordFailure(
  context: ProxyContext,
  upstream: RepositoryRecord,
  details: Record<string, JsonValue>,
  error: DomainError,
): Promise<void> {
  await context.trail?.record({
    event: "repository",
    action: "proxy_fetch_failed",
    outcome: "failure",
    severity: "warning",
    target: { type: "repository", id: upstream.id, name: upstream.name },
    details: { ...details, code: error.code, error: error.message },
  });
}
