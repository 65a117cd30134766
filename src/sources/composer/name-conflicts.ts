import type { ProxyContext } from "../../catalog/proxied-catalog.ts";
import type { Clock } from "../../clock/clock.ts";
import type { ProxyRecords, ProxyUpstreamRecords } from "../../storage/database/proxy-records.ts";
import type { RepositoryRecord } from "../../storage/database/repository-records.ts";
import type { ComposerMirror } from "./composer-mirror.ts";

export interface NameConflictDeps {
  readonly records: ProxyRecords;
  readonly upstreams: ProxyUpstreamRecords;
  readonly mirror: ComposerMirror;
  readonly clock: Clock;
}

/**
 * Names that two upstreams both have (docs/proxy.md, "How a package is found"). The first upstream
 * in priority serves the name; each later one that allows the name and has it too is recorded once
 * per name and pair, with a `repository` / `name_conflict` audit event. Never on the request path:
 * background revalidations compare what the store holds (no upstream request), and eager syncs also
 * ask the other upstreams about a name the store knows nothing of at them.
 */
export class NameConflicts {
  readonly #deps: NameConflictDeps;

  constructor(deps: NameConflictDeps) {
    this.#deps = deps;
  }

  /**
   * Compares the upstreams (in priority order, only those whose patterns allow the name) on `name`.
   * With `ask`, an upstream without a stored answer for the name is asked first (its tagged
   * document, through the mirror: it is stored like any other).
   */
  async check(
    name: string,
    upstreams: readonly RepositoryRecord[],
    context: ProxyContext,
    options: { readonly ask: boolean },
  ): Promise<void> {
    if (upstreams.length < 2) return;
    const having: RepositoryRecord[] = [];
    for (const upstream of upstreams) {
      if (await this.#has(upstream, name, context, options.ask)) having.push(upstream);
    }
    const [servedBy, ...shadowed] = having;
    if (servedBy === undefined) return;
    const at = this.#deps.clock.now().toISOString();
    for (const other of shadowed) {
      if (!(await this.#deps.upstreams.recordNameConflict(name, servedBy.id, other.id, at))) continue;
      await context.trail?.record({
        event: "repository",
        action: "name_conflict",
        outcome: "success",
        severity: "warning",
        target: { type: "package", name },
        details: {
          served_by: { id: servedBy.id, name: servedBy.name },
          shadowed: { id: other.id, name: other.name },
          kept: "served_by",
        },
      });
    }
  }

  async #has(
    upstream: RepositoryRecord,
    name: string,
    context: ProxyContext,
    ask: boolean,
  ): Promise<boolean> {
    const tagged = await this.#deps.records.findDocument(upstream.id, name, false);
    if (tagged?.found === true) return true;
    if ((await this.#deps.records.findDocument(upstream.id, name, true))?.found === true) return true;
    if (tagged !== null || !ask) return false;
    return (await this.#deps.mirror.fetchDocument(upstream, name, false, null, context))?.found === true;
  }
}
