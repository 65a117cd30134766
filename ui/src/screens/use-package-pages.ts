import { useCallback, useEffect, useState } from "react";
import type { ApiClient } from "../api/api-client.ts";
import type { ApiProblem } from "../api/api-problem.ts";
import type { PackagePage, PackageSummary } from "../api/api-types.ts";
import { asProblem } from "../api/use-api-data.ts";

export const PACKAGES_PER_PAGE = 50;

interface Request {
  readonly query: string;
  readonly cursor: string | null;
  readonly attempt: number;
}

interface Answered {
  readonly request: Request;
  readonly packages: readonly PackageSummary[];
  readonly next: string | null;
  readonly problem: ApiProblem | null;
}

export interface PackagePages {
  /** Every package loaded so far for the query, in name order. */
  readonly packages: readonly PackageSummary[];
  /** The first page of the query is on its way (nothing to show yet). */
  readonly loading: boolean;
  /** A further page is on its way. */
  readonly loadingMore: boolean;
  readonly problem: ApiProblem | null;
  /** Whether the API says more packages follow. */
  readonly hasMore: boolean;
  readonly loadMore: () => void;
  readonly retry: () => void;
}

function sameRequest(a: Request, b: Request): boolean {
  return a.query === b.query && a.cursor === b.cursor && a.attempt === b.attempt;
}

/**
 * The packages whose name contains `query`, a page at a time: `loadMore` appends the next page
 * (the API's keyset cursor); a new query starts over, and answers for an old query are dropped.
 */
export function usePackagePages(api: ApiClient, query: string): PackagePages {
  const [asked, setAsked] = useState<Request>({ query, cursor: null, attempt: 0 });
  const request: Request = asked.query === query ? asked : { query, cursor: null, attempt: 0 };
  const [answered, setAnswered] = useState<Answered | null>(null);

  const { cursor, attempt } = request;
  useEffect(() => {
    const controller = new AbortController();
    const current: Request = { query, cursor, attempt };
    const params = new URLSearchParams({ limit: String(PACKAGES_PER_PAGE) });
    if (query !== "") params.set("q", query.slice(0, 255));
    if (cursor !== null) params.set("cursor", cursor);
    api.get<PackagePage>(`/api/packages?${params.toString()}`, controller.signal).then(
      (page) => {
        if (controller.signal.aborted) return;
        setAnswered((before) => {
          const kept =
            cursor !== null && before !== null && before.request.query === query ? before.packages : [];
          return {
            request: current,
            packages: [...kept, ...page.packages],
            next: page.next_cursor,
            problem: null,
          };
        });
      },
      (error: unknown) => {
        if (controller.signal.aborted) return;
        setAnswered((before) => ({
          request: current,
          packages:
            cursor !== null && before !== null && before.request.query === query ? before.packages : [],
          next: cursor,
          problem: asProblem(error),
        }));
      },
    );
    return () => {
      controller.abort();
    };
  }, [api, query, cursor, attempt]);

  const sameQuery = answered !== null && answered.request.query === query;
  const done = answered !== null && sameRequest(answered.request, request);
  const packages = sameQuery ? answered.packages : [];
  const next = sameQuery ? answered.next : null;
  const loadMore = useCallback(() => {
    if (next !== null) setAsked({ query, cursor: next, attempt: 0 });
  }, [next, query]);
  const retry = useCallback(() => {
    setAsked({ query, cursor, attempt: attempt + 1 });
  }, [query, cursor, attempt]);
  return {
    packages,
    loading: !sameQuery || (!done && cursor === null),
    loadingMore: sameQuery && !done && cursor !== null,
    problem: done ? answered.problem : null,
    hasMore: done && next !== null,
    loadMore,
    retry,
  };
}
