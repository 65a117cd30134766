import type { MetadataDocument } from "../catalog/metadata-document.ts";
import type { Logger } from "../observability/logger.ts";
import type { MetadataCache, MetadataKey } from "./metadata-cache.ts";

/**
 * This process's documents in front of the shared ones (Redis): a document is looked up here
 * first, then in the shared cache (and kept here when found there), and only then rendered. The
 * shared cache never makes a request fail: when it does not answer, the document is rendered here,
 * the first failure is logged and so is the first success after it; `failures` counts them.
 * After a failure the shared cache is left alone for `pauseMs`, so that a Redis that hangs (each
 * command then fails only at its timeout) does not slow every request down.
 */
export class LayeredMetadataCache implements MetadataCache {
  readonly #local: MetadataCache;
  readonly #shared: MetadataCache;
  readonly #logger: Logger;
  readonly #pauseMs: number;
  readonly #now: () => number;
  #pausedUntil = 0;
  #failures = 0;
  #sharedHits = 0;
  #failing = false;

  constructor(
    local: MetadataCache,
    shared: MetadataCache,
    logger: Logger,
    options: { pauseMs?: number; now?: () => number } = {},
  ) {
    this.#local = local;
    this.#shared = shared;
    this.#logger = logger;
    this.#pauseMs = options.pauseMs ?? 5_000;
    this.#now = options.now ?? Date.now;
  }

  /** Shared-cache operations that failed since the start. */
  get failures(): number {
    return this.#failures;
  }

  /** Documents found in the shared cache, not in this process's. */
  get sharedHits(): number {
    return this.#sharedHits;
  }

  async get(key: MetadataKey): Promise<MetadataDocument | undefined> {
    const local = await this.#local.get(key);
    if (local !== undefined) return local;
    const shared = await this.#tolerant(() => this.#shared.get(key));
    if (shared === undefined) return undefined;
    this.#sharedHits += 1;
    await this.#local.set(key, shared);
    return shared;
  }

  async set(key: MetadataKey, document: MetadataDocument): Promise<void> {
    await this.#local.set(key, document);
    await this.#tolerant(() => this.#shared.set(key, document));
  }

  async invalidate(packageName: string): Promise<void> {
    await this.#local.invalidate(packageName);
    await this.#tolerant(() => this.#shared.invalidate(packageName));
  }

  async close(): Promise<void> {
    await this.#local.close();
    await this.#shared.close();
  }

  async #tolerant<T>(operation: () => Promise<T>): Promise<T | undefined> {
    if (this.#now() < this.#pausedUntil) return undefined;
    try {
      const result = await operation();
      if (this.#failing) {
        this.#failing = false;
        this.#logger.info({ context: { failures: this.#failures } }, "Shared metadata cache available again");
      }
      return result;
    } catch (error) {
      this.#failures += 1;
      this.#pausedUntil = this.#now() + this.#pauseMs;
      if (!this.#failing) {
        this.#failing = true;
        this.#logger.warn(
          { context: { error: error instanceof Error ? error.message : String(error) } },
          "Shared metadata cache unavailable: documents are rendered on each node",
        );
      }
      return undefined;
    }
  }
}
