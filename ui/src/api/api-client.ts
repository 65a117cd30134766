import { ApiProblem, problemOf } from "./api-problem.ts";

/**
 * Calls the documented management API with the session cookie (sent by the browser) and, on
 * every change, the session's CSRF token in `X-CSRF-Token`. Resolves with the parsed JSON body
 * (undefined for 204) or rejects with an ApiProblem.
 */
export interface ApiClient {
  get<T>(path: string, signal?: AbortSignal): Promise<T>;
  /** A text answer (the audit checkpoint note). */
  getText(path: string, signal?: AbortSignal): Promise<string>;
  send<T>(method: "POST" | "PATCH" | "PUT" | "DELETE", path: string, body?: unknown): Promise<T>;
}

export interface ApiClientOptions {
  /** The session's CSRF token, or null before sign-in. */
  readonly csrfToken: () => string | null;
  /** Called when the API says the session is gone (401 SessionRequired). */
  readonly onSessionEnded: () => void;
}

export function createApiClient(options: ApiClientOptions): ApiClient {
  async function request<T>(
    method: string,
    path: string,
    body: unknown,
    signal?: AbortSignal,
    text = false,
  ): Promise<T> {
    const headers: Record<string, string> = {
      accept: text ? "text/plain, application/problem+json" : "application/json, application/problem+json",
    };
    if (body !== undefined) headers["content-type"] = "application/json";
    const csrf = options.csrfToken();
    if (method !== "GET" && csrf !== null) headers["x-csrf-token"] = csrf;
    let response: Response;
    try {
      response = await fetch(path, {
        method,
        headers,
        credentials: "same-origin",
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        ...(signal === undefined ? {} : { signal }),
      });
    } catch (error) {
      if (signal?.aborted === true) throw error;
      throw new ApiProblem({ status: 0, code: "Unreachable", detail: "the server cannot be reached" });
    }
    if (!response.ok) {
      const problem = await problemOf(response);
      if (problem.code === "SessionRequired" && path !== "/api/session") options.onSessionEnded();
      throw problem;
    }
    if (response.status === 204) return undefined as T;
    if (text) return (await response.text()) as T;
    return (await response.json()) as T;
  }
  return {
    get: (path, signal) => request("GET", path, undefined, signal),
    getText: (path, signal) => request<string>("GET", path, undefined, signal, true),
    send: (method, path, body) => request(method, path, body),
  };
}
