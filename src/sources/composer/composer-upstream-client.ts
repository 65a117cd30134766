import { readUpstreamRoot, type UpstreamRoot } from "../../composer/upstream-root.ts";
import { DomainError } from "../../errors/domain-error.ts";
import { assertSourceAllowed } from "../source-url-policy.ts";
import { credentialHeader, type ComposerCredentials } from "./composer-credentials.ts";
import { forwardedVia } from "./via-header.ts";

export interface UpstreamClientOptions {
  /** Whole request, body included. */
  readonly timeoutMs: number;
  readonly maxMetadataBytes: number;
  readonly maxDistBytes: number;
  /** Our name in Via (via-header.ts). */
  readonly viaName: string;
  readonly userAgent: string;
  readonly allowPrivate: boolean;
  readonly resolveHost?: (host: string) => Promise<string[]>;
}

/** One request to an upstream: its credentials, and the Via header of the request we serve. */
export interface UpstreamRequest {
  readonly credentials: ComposerCredentials | undefined;
  readonly receivedVia?: string | undefined;
}

export type MetadataAnswer =
  | { readonly status: "ok"; readonly body: string; readonly lastModified: string | null }
  | { readonly status: "not-modified" }
  | { readonly status: "missing" };

const MAX_REDIRECTS = 5;

/**
 * HTTP client for Composer v2 upstreams. Every request has a timeout, a size cap and our Via entry;
 * every URL (redirects too) passes the source URL policy, so an upstream cannot point us at the
 * server's own network; credentials go only to the upstream's own origin. Failures are
 * `DomainError`s: `UpstreamUnavailable` (network, timeout, 5xx, unexpected status),
 * `UpstreamDocumentTooLarge`, `InvalidUpstreamRepository`.
 */
export class ComposerUpstreamClient {
  readonly #options: UpstreamClientOptions;

  constructor(options: UpstreamClientOptions) {
    this.#options = options;
  }

  /**
   * Reads the upstream's packages.json: its `metadata-url` as an absolute template
   * (`https://repo.example/p2/%package%.json`; only Composer v2 repositories have one), and what an
   * eager sync uses (`available-packages`, `list`, `metadata-changes-url`).
   */
  async root(repositoryUrl: string, request: UpstreamRequest): Promise<UpstreamRoot> {
    const root = `${repositoryUrl.replace(/\/+$/, "")}/packages.json`;
    const response = await this.#fetch(root, repositoryUrl, request, {});
    if (response.status !== 200) {
      await response.body?.cancel();
      throw unavailable(`${shownUrl(root)} answered HTTP ${response.status}`);
    }
    const body = await this.#read(response, this.#options.maxMetadataBytes, root);
    return readUpstreamRoot(new TextDecoder().decode(body), root);
  }

  /** The absolute `metadata-url` template of the upstream's packages.json. */
  async metadataUrlTemplate(repositoryUrl: string, request: UpstreamRequest): Promise<string> {
    return (await this.root(repositoryUrl, request)).metadataUrl;
  }

  /**
   * `GET` of a JSON document of the upstream other than metadata (a package list, a change feed):
   * its body on 200, and on 400 (a change feed's "since is too old" answer); `UpstreamUnavailable`
   * on any other status.
   */
  async document(
    url: string,
    repositoryUrl: string,
    request: UpstreamRequest,
  ): Promise<{ readonly status: 200 | 400; readonly body: string }> {
    const response = await this.#fetch(url, repositoryUrl, request, {});
    if (response.status !== 200 && response.status !== 400) {
      await response.body?.cancel();
      throw unavailable(`${shownUrl(url)} answered HTTP ${response.status}`);
    }
    const body = await this.#read(response, this.#options.maxMetadataBytes, url);
    return { status: response.status, body: new TextDecoder().decode(body) };
  }

  /** `GET` of one p2 document (`name` or `name~dev`), conditional when we have a Last-Modified. */
  async metadata(
    template: string,
    repositoryUrl: string,
    file: string,
    request: UpstreamRequest & { readonly ifModifiedSince: string | null },
  ): Promise<MetadataAnswer> {
    const url = template.replace("%package%", file);
    const headers: Record<string, string> =
      request.ifModifiedSince === null ? {} : { "if-modified-since": request.ifModifiedSince };
    const response = await this.#fetch(url, repositoryUrl, request, headers);
    if (response.status === 304) return { status: "not-modified" };
    if (response.status === 404 || response.status === 410) {
      await response.body?.cancel();
      return { status: "missing" };
    }
    if (response.status !== 200) {
      await response.body?.cancel();
      throw unavailable(`${shownUrl(url)} answered HTTP ${response.status}`);
    }
    const body = await this.#read(response, this.#options.maxMetadataBytes, url);
    return {
      status: "ok",
      body: new TextDecoder().decode(body),
      lastModified: response.headers.get("last-modified"),
    };
  }

  /** The bytes of a dist, at most PB_MAX_UPLOAD_BYTES. */
  async dist(url: string, repositoryUrl: string, request: UpstreamRequest): Promise<Uint8Array> {
    const response = await this.#fetch(url, repositoryUrl, request, {});
    if (response.status !== 200) {
      await response.body?.cancel();
      throw unavailable(`${shownUrl(url)} answered HTTP ${response.status}`);
    }
    return this.#read(response, this.#options.maxDistBytes, url);
  }

  async #fetch(
    url: string,
    repositoryUrl: string,
    request: UpstreamRequest,
    extra: Record<string, string>,
  ): Promise<Response> {
    const signal = AbortSignal.timeout(this.#options.timeoutMs);
    const upstreamOrigin = new URL(repositoryUrl).origin;
    let current = url;
    for (let hop = 0; hop <= MAX_REDIRECTS; hop++) {
      const target = parseHttpUrl(current);
      await assertSourceAllowed(target.href, {
        allowPrivate: this.#options.allowPrivate,
        ...(this.#options.resolveHost === undefined ? {} : { resolve: this.#options.resolveHost }),
      });
      const headers: Record<string, string> = {
        accept: "application/json, */*",
        "user-agent": this.#options.userAgent,
        via: forwardedVia(request.receivedVia, this.#options.viaName),
        ...extra,
      };
      if (request.credentials !== undefined && target.origin === upstreamOrigin) {
        const [name, value] = credentialHeader(request.credentials);
        headers[name] = value;
      }
      let response: Response;
      try {
        response = await fetch(target, { headers, redirect: "manual", signal });
      } catch {
        throw unavailable(
          signal.aborted
            ? `${shownUrl(target.href)} did not answer within ${this.#options.timeoutMs} ms`
            : `${shownUrl(target.href)} could not be reached`,
        );
      }
      const location = response.headers.get("location");
      if (response.status >= 300 && response.status < 400 && response.status !== 304 && location !== null) {
        await response.body?.cancel();
        current = new URL(location, target).href;
        continue;
      }
      return response;
    }
    throw unavailable(`${shownUrl(url)} redirected more than ${MAX_REDIRECTS} times`);
  }

  async #read(response: Response, max: number, url: string): Promise<Uint8Array> {
    const declared = Number(response.headers.get("content-length") ?? "0");
    if (declared > max) {
      await response.body?.cancel();
      throw tooLarge(url, max);
    }
    const chunks: Uint8Array[] = [];
    let size = 0;
    try {
      const reader = (response.body as ReadableStream<Uint8Array> | null)?.getReader();
      for (;;) {
        if (reader === undefined) break;
        const { done, value } = await reader.read();
        if (done) break;
        size += value.byteLength;
        if (size > max) {
          await reader.cancel().catch(() => undefined);
          throw tooLarge(url, max);
        }
        chunks.push(value);
      }
    } catch (error) {
      if (error instanceof DomainError) throw error;
      throw unavailable(`${shownUrl(url)}: the answer was cut off or too slow`);
    }
    return Buffer.concat(chunks, size);
  }
}

function parseHttpUrl(value: string): URL {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw unavailable(`the upstream gave an invalid URL ${shownUrl(value)}`);
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") {
    throw unavailable(`the upstream gave a URL that is not http(s): ${shownUrl(value)}`);
  }
  return url;
}

/** A URL as messages show it: without credentials or query, at most 200 characters. */
function shownUrl(value: string): string {
  try {
    const url = new URL(value);
    return `${url.origin}${url.pathname}`.slice(0, 200);
  } catch {
    return JSON.stringify(value.slice(0, 100));
  }
}

function unavailable(message: string): DomainError {
  return new DomainError("unavailable", "UpstreamUnavailable", `upstream request failed: ${message}`);
}

function tooLarge(url: string, max: number): DomainError {
  return new DomainError(
    "unavailable",
    "UpstreamDocumentTooLarge",
    `upstream request failed: ${shownUrl(url)} is larger than ${max} bytes`,
  );
}
