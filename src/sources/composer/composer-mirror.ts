import { createHash } from "node:crypto";
import { compilePackagePatterns } from "../../access/package-pattern.ts";
import type { SecretBox } from "../../access/secret-box.ts";
import type { ProxiedDist, ProxyContext } from "../../catalog/proxied-catalog.ts";
import type { Clock } from "../../clock/clock.ts";
import { isJsonObject, type JsonValue, type VersionEntry } from "../../composer/json-value.ts";
import { readUpstreamP2, type UpstreamVersion } from "../../composer/upstream-p2.ts";
import { DomainError } from "../../errors/domain-error.ts";
import type { BlobStore } from "../../storage/blobs/blob-store.ts";
import { nextChangeStamp } from "../../storage/database/catalog-records.ts";
import type { ProxyDocument, ProxyRecords, ProxyVersion } from "../../storage/database/proxy-records.ts";
import type { RepositoryRecord } from "../../storage/database/repository-records.ts";
import { composerCredentialsSchema, type ComposerCredentials } from "./composer-credentials.ts";
import type { ComposerUpstreamClient } from "./composer-upstream-client.ts";
import { UpstreamHealth, type FailureBudget } from "./upstream-health.ts";

export interface ComposerMirrorDeps {
  readonly records: ProxyRecords;
  readonly client: ComposerUpstreamClient;
  readonly blobs: BlobStore;
  readonly secrets: SecretBox;
  readonly clock: Clock;
  /** When to stop asking a failing upstream for a while (defaults: upstream-health.ts). */
  readonly failureBudget?: FailureBudget;
}

/**
 * The one path by which upstream documents and dists enter the store, for lazy requests, eager
 * syncs and change feeds alike: the upstream's failure budget, conditional requests
 * (If-Modified-Since), the integrity ledger (first-seen entries kept, conflicts recorded), and
 * dists verified against the upstream's shasum before they are stored.
 */
export class ComposerMirror {
  readonly health: UpstreamHealth;
  readonly #deps: ComposerMirrorDeps;

  constructor(deps: ComposerMirrorDeps) {
    this.#deps = deps;
    this.health = new UpstreamHealth(deps.failureBudget);
  }

  /** Whether the upstream may be asked now (it is not cooling down). */
  available(upstream: RepositoryRecord): boolean {
    return this.health.available(upstream.id, this.#deps.clock.now());
  }

  credentials(upstream: RepositoryRecord): ComposerCredentials | undefined {
    if (upstream.credentials === null) return undefined;
    return composerCredentialsSchema.parse(JSON.parse(this.#deps.secrets.open(upstream.credentials)));
  }

  /** Records a success or a failure of an upstream request in its failure budget. */
  observe(upstream: RepositoryRecord, error: DomainError | null): void {
    const now = this.#deps.clock.now();
    if (error === null) this.health.succeeded(upstream.id, now);
    else this.health.failed(upstream.id, now, error.message);
  }

  /** Asks the upstream unless it cools down; a failure is recorded (audit, budget) and answers null. */
  async fetchDocument(
    upstream: RepositoryRecord,
    name: string,
    dev: boolean,
    stored: ProxyDocument | null,
    context: ProxyContext,
  ): Promise<ProxyDocument | null> {
    if (!this.available(upstream)) return null;
    try {
      const document = await this.#refresh(upstream, name, dev, stored, context);
      this.observe(upstream, null);
      return document;
    } catch (error) {
      if (!(error instanceof DomainError)) throw error;
      this.observe(upstream, error);
      await recordFailure(
        context,
        upstream,
        { package: name, dev, served_stale: stored?.found === true },
        error,
      );
      return null;
    }
  }

  /** Marks a stored document as gone (the upstream deleted the package). */
  async markGone(document: ProxyDocument): Promise<void> {
    if (!document.found) return;
    const now = this.#deps.clock.now().toISOString();
    await this.#deps.records.saveDocument({
      ...document,
      found: false,
      versions: [],
      upstreamLastModified: null,
      checkedAt: now,
      changedAt: nextChangeStamp(document.changedAt, now),
    });
  }

  /** The stored dist of a ledger version, if it was downloaded and the blob is still there. */
  async storedDist(version: ProxyVersion): Promise<ProxiedDist | null> {
    if (version.distSha256 === null || version.distSha1 === null || version.downloadedAt === null)
      return null;
    if ((await this.#deps.blobs.head(version.distSha256)) === null) return null;
    return { sha256: version.distSha256, sha1: version.distSha1, downloadedAt: version.downloadedAt };
  }

  /**
   * Downloads a version's dist from its upstream, checks its SHA-1 against the upstream's shasum
   * (a mismatch is `UpstreamChecksumMismatch`, nothing stored), stores it and records it.
   */
  async mirrorDist(
    upstream: RepositoryRecord,
    version: ProxyVersion,
    context: ProxyContext,
  ): Promise<ProxiedDist> {
    const { packageName: name, versionNormalized } = version;
    if (version.upstreamDistUrl === null) {
      throw new DomainError("unavailable", "NoUpstreamDist", `${name} ${versionNormalized} has no dist`);
    }
    if (!this.available(upstream)) {
      throw new DomainError(
        "unavailable",
        "UpstreamCoolingDown",
        `the upstream ${upstream.name} failed repeatedly and is not asked until ${this.health.state(upstream.id).coolingDownUntil ?? ""}`,
      );
    }
    let bytes: Uint8Array;
    try {
      bytes = await this.#deps.client.dist(version.upstreamDistUrl, upstream.url, {
        credentials: this.credentials(upstream),
        receivedVia: context.receivedVia,
      });
      this.observe(upstream, null);
    } catch (error) {
      if (error instanceof DomainError) {
        this.observe(upstream, error);
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
      const details = {
        package: name,
        version: versionNormalized,
        expected_sha1: expected,
        actual_sha1: sha1,
      };
      await recordFailure(context, upstream, details, error);
      throw error;
    }
    const stored = await this.#deps.blobs.put(bytes);
    const at = this.#deps.clock.now().toISOString();
    await this.#deps.records.recordDist(version, { sha256: stored.sha256, sha1, size: stored.size, at });
    await context.trail?.record({
      event: "repository",
      action: "dist_mirrored",
      outcome: "success",
      target: { type: "package", name, version: versionNormalized },
      details: { repository: upstream.name, sha1, sha256: stored.sha256, size: stored.size },
    });
    return { sha256: stored.sha256, sha1, downloadedAt: at };
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
        credentials: this.credentials(upstream),
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
}

export interface VersionIdentity {
  readonly url: string | null;
  readonly reference: string | null;
  readonly shasum: string | null;
  readonly sourceReference: string | null;
}

export function identityOf(entry: VersionEntry): VersionIdentity {
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

function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((value, index) => value === b[index]);
}

/** Whether an upstream's package patterns allow a name (an upstream without patterns allows any). */
export function upstreamAllows(upstream: RepositoryRecord, name: string): boolean {
  return upstream.packagePatterns.length === 0 || compilePackagePatterns(upstream.packagePatterns)(name);
}

/** A `repository` / `proxy_fetch_failed` audit event. */
export async function recordFailure(
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
