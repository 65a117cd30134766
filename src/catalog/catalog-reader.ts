import { requirePackage, type AccessGrant } from "../access/access-grant.ts";
import type { JsonValue, VersionEntry } from "../composer/json-value.ts";
import { buildP2Document } from "../composer/p2-document.ts";
import { buildPackagesJson } from "../composer/packages-json.ts";
import { isValidPackageName } from "../composer/package-name.ts";
import { compareNormalizedVersions } from "../composer/version-parser.ts";
import { notFound, type DomainError } from "../errors/domain-error.ts";
import type { CatalogRecords, StoredVersion } from "../storage/database/catalog-records.ts";
import { BoundedCache } from "../cache/bounded-cache.ts";
import { InProcessMetadataCache } from "../cache/in-process-metadata-cache.ts";
import type { MetadataCache, MetadataKey } from "../cache/metadata-cache.ts";
import type { MetricCache } from "../observability/process-metrics.ts";
import { distUrl, shownName } from "./dist-url.ts";
import { metadataDocument, type MetadataDocument } from "./metadata-document.ts";
import type { ProxiedCatalog, ProxyContext } from "./proxied-catalog.ts";

/**
 * Serves the Composer metadata: packages.json (only what the token may see) and the p2 documents.
 * Rendered p2 documents are cached by the package's change stamp, read from the database on every
 * request (one indexed lookup), so changes made by another process are seen at once. The cache is
 * this process's, or with PB_REDIS_URL shared by the nodes (a document rendered by one is served
 * by all); packages.json stays in this process (it depends on each token's patterns).
 */
export class CatalogReader {
  readonly #records: CatalogRecords;
  readonly #baseUrl: string;
  readonly #proxy: ProxiedCatalog | null;
  readonly #documents: MetadataCache;
  readonly #rootCache = new BoundedCache<string, MetadataDocument>(256);
  readonly #lookedUp: (cache: MetricCache, hit: boolean) => void;
  #names: { revision: number; names: string[] } | undefined;

  constructor(options: {
    records: CatalogRecords;
    baseUrl: string;
    proxy?: ProxiedCatalog;
    /** Where rendered p2 documents are kept; this process's memory by default. */
    metadataCache?: MetadataCache;
    /** Told of each cache lookup: hit when the cached document was served (pb_cache_requests_total). */
    cacheLookups?: (cache: MetricCache, hit: boolean) => void;
  }) {
    this.#records = options.records;
    this.#baseUrl = options.baseUrl;
    this.#proxy = options.proxy ?? null;
    this.#documents = options.metadataCache ?? new InProcessMetadataCache(20_000);
    this.#lookedUp = options.cacheLookups ?? (() => undefined);
  }

  async packagesJson(grant: AccessGrant): Promise<MetadataDocument> {
    const { revision, changedAt } = await this.#records.revision();
    // A token whose patterns changed must not be told "304 Not Modified" about its old list. Its
    // change time is rounded up, as HTTP dates have whole seconds.
    const tokenStamp =
      grant.changedAt === null ? null : new Date(Math.ceil(Date.parse(grant.changedAt) / 1000) * 1000);
    const stamp =
      tokenStamp !== null && tokenStamp.toISOString() > changedAt ? tokenStamp.toISOString() : changedAt;
    const key = `${revision}\u0000${stamp}\u0000${grant.patternsKey}`;
    const cached = this.#rootCache.get(key);
    this.#lookedUp("packages_json", cached !== undefined);
    if (cached !== undefined) return cached;
    const names = (await this.#allNames(revision)).filter((name) => grant.canSeePackage(name));
    const upstreamPatterns = (await this.#proxy?.packagePatterns()) ?? null;
    // With upstreams, Composer must ask us about names we do not list: the upstreams' patterns, or
    // for a token limited to some packages its own patterns (it may see nothing else).
    const packagePatterns =
      upstreamPatterns === null
        ? []
        : grant.patternsKey === ""
          ? upstreamPatterns
          : grant.patternsKey.split("\n");
    const document = metadataDocument(
      buildPackagesJson({ baseUrl: this.#baseUrl, packageNames: names, packagePatterns }),
      stamp,
    );
    this.#rootCache.set(key, document);
    return document;
  }

  /**
   * A private package (git, upload) is served from the catalog; only a name that no private package
   * has is looked up in the upstreams, so a proxied package can never shadow a private one.
   */
  async p2(
    name: string,
    dev: boolean,
    grant: AccessGrant,
    context: ProxyContext = { trail: null },
  ): Promise<MetadataDocument> {
    if (!isValidPackageName(name)) throw packageNotFound(name);
    requirePackage(grant, name);
    const updatedAt = await this.#records.packageUpdatedAt(name);
    if (updatedAt === null) return this.#proxied(name, dev, context);
    const key: MetadataKey = { packageName: name, variant: dev ? "p2~dev" : "p2", stamp: updatedAt };
    const cached = await this.#documents.get(key);
    this.#lookedUp("p2", cached !== undefined);
    if (cached !== undefined) return cached;
    const versions = await this.#records.versions(name, dev);
    versions.sort((a, b) => compareNormalizedVersions(b.versionNormalized, a.versionNormalized));
    const entries = versions.map((version) => this.#entry(version));
    const document = metadataDocument(buildP2Document(name, entries), updatedAt);
    await this.#documents.set(key, document);
    return document;
  }

  async #proxied(name: string, dev: boolean, context: ProxyContext): Promise<MetadataDocument> {
    const proxied = (await this.#proxy?.p2(name, dev, context)) ?? null;
    if (proxied === null) throw packageNotFound(name);
    const key: MetadataKey = {
      packageName: name,
      variant: dev ? "proxy~dev" : "proxy",
      stamp: proxied.stamp,
    };
    const cached = await this.#documents.get(key);
    this.#lookedUp("proxy_p2", cached !== undefined);
    if (cached !== undefined) return cached;
    const document = metadataDocument(buildP2Document(name, await proxied.entries()), proxied.changedAt);
    await this.#documents.set(key, document);
    return document;
  }

  async #allNames(revision: number): Promise<string[]> {
    if (this.#names?.revision !== revision) {
      this.#names = { revision, names: await this.#records.packageNames() };
    }
    return this.#names.names;
  }

  #entry(version: StoredVersion): VersionEntry {
    const stored = JSON.parse(version.metadata) as VersionEntry;
    const dist: JsonValue = {
      type: "zip",
      url: distUrl(this.#baseUrl, version),
      reference: version.reference,
      shasum: version.distSha1,
    };
    const entry: VersionEntry = {};
    for (const [key, value] of Object.entries(stored)) {
      entry[key] = value;
      if (key === "source") entry.dist = dist;
    }
    if (!("dist" in entry)) entry.dist = dist;
    return entry;
  }
}

/** The name comes from the URL: it is quoted and shortened, never echoed at length. */
function packageNotFound(name: string): DomainError {
  return notFound("PackageNotFound", `package ${shownName(name)} does not exist`);
}
