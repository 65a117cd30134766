import { useCallback, useEffect, useState } from "react";
import type { ApiClient } from "./api-client.ts";
import { ApiProblem } from "./api-problem.ts";

export type Loaded<T> =
  | { readonly status: "loading" }
  | { readonly status: "error"; readonly problem: ApiProblem }
  | { readonly status: "ready"; readonly data: T };

/**
 * GETs `path` (nothing while it is null), as JSON or as text, and tells whether it is loading, failed or ready;
 * `reload` asks again, showing the data it has until the new answer arrives. A change of `path`
 * starts over; an answer for an old path is dropped.
 */
export function useApiData<T>(
  api: ApiClient,
  path: string | null,
  format: "json" | "text" = "json",
): Loaded<T> & { reload: () => void } {
  const [version, setVersion] = useState(0);
  const key = path === null ? null : `${version}:${path}`;
  const [result, setResult] = useState<{
    readonly key: string;
    readonly path: string;
    readonly value: Loaded<T>;
  } | null>(null);
  useEffect(() => {
    if (path === null || key === null) return;
    const controller = new AbortController();
    const answer =
      format === "text"
        ? (api.getText(path, controller.signal) as Promise<T>)
        : api.get<T>(path, controller.signal);
    answer.then(
      (data) => {
        setResult({ key, path, value: { status: "ready", data } });
      },
      (error: unknown) => {
        if (controller.signal.aborted) return;
        setResult({ key, path, value: { status: "error", problem: asProblem(error) } });
      },
    );
    return () => {
      controller.abort();
    };
  }, [api, path, key, format]);
  const reload = useCallback(() => {
    setVersion((current) => current + 1);
  }, []);
  const current =
    result !== null && (result.key === key || (result.path === path && result.value.status === "ready"));
  const value: Loaded<T> = current ? result.value : { status: "loading" };
  return { ...value, reload };
}

/** Any failure as an ApiProblem (a bug in the page becomes one too, rather than a blank screen). */
export function asProblem(error: unknown): ApiProblem {
  if (error instanceof ApiProblem) return error;
  const detail = error instanceof Error ? error.message : "something went wrong";
  return new ApiProblem({ status: 0, code: "ClientError", detail });
}
