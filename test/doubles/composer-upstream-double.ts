import { createHash } from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";
import type { VersionEntry } from "../../src/composer/json-value.ts";
import { buildP2Document } from "../../src/composer/p2-document.ts";

/** A dynamic answer: its status and body. */
export interface DynamicAnswer {
  readonly status: number;
  readonly body: string;
}

/**
 * A Composer upstream on loopback whose documents and dists the tests change as they go: static
 * files by path, dynamic answers by path (a package list, a change feed: they see the query), and
 * failure modes (a status for every request or for some, a delay for every answer).
 */
export class ComposerUpstreamDouble {
  readonly files = new Map<string, { body: string | Buffer; lastModified?: string }>();
  readonly dynamic = new Map<string, (url: URL) => DynamicAnswer>();
  readonly seen: { url: string; headers: http.IncomingHttpHeaders }[] = [];
  url = "";
  /** Keys added to packages.json (`available-packages`, `list`, `metadata-changes-url`). */
  root: Record<string, unknown> = {};
  /** Each answer waits this long. */
  delayMs = 0;
  /** Answers every request with this status instead. */
  failStatus: number | null = null;
  /** Answers 503 to the requests whose path this says. */
  failWhen: ((path: string) => boolean) | null = null;
  readonly #server = http.createServer((request, response) => {
    this.seen.push({ url: request.url ?? "", headers: request.headers });
    setTimeout(() => {
      this.#answer(request, response);
    }, this.delayMs);
  });

  #answer(request: http.IncomingMessage, response: http.ServerResponse): void {
    const url = new URL(request.url ?? "/", this.url);
    if (this.failStatus !== null || this.failWhen?.(url.pathname) === true) {
      response.statusCode = this.failStatus ?? 503;
      response.end();
      return;
    }
    if (url.pathname === "/packages.json") {
      response.end(JSON.stringify({ packages: [], "metadata-url": "/p2/%package%.json", ...this.root }));
      return;
    }
    const dynamic = this.dynamic.get(url.pathname);
    if (dynamic !== undefined) {
      const answer = dynamic(url);
      response.statusCode = answer.status;
      response.end(answer.body);
      return;
    }
    this.#file(request, response, url.pathname);
  }

  #file(request: http.IncomingMessage, response: http.ServerResponse, path: string): void {
    const file = this.files.get(path);
    if (file === undefined) {
      response.statusCode = 404;
      response.end();
      return;
    }
    if (file.lastModified !== undefined) {
      if (request.headers["if-modified-since"] === file.lastModified) {
        response.statusCode = 304;
        response.end();
        return;
      }
      response.setHeader("last-modified", file.lastModified);
    }
    response.end(file.body);
  }

  async start(): Promise<void> {
    await new Promise<void>((resolve) => this.#server.listen(0, "127.0.0.1", resolve));
    this.url = `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    this.#server.closeAllConnections();
    await new Promise((resolve) => this.#server.close(resolve));
  }

  /** Paths (with query) requested so far. */
  paths(): string[] {
    return this.seen.map((request) => request.url);
  }

  /** Publishes versions of a package (newest first); each dist is `bytes` of that version. */
  publish(
    name: string,
    versions: { version: string; bytes: string; reference?: string }[],
    lastModified: string,
    options: { readonly dev?: boolean } = {},
  ): void {
    const entries: VersionEntry[] = versions.map(({ version, bytes, reference }) => {
      const path = `/dists/${name}/${version}.zip`;
      this.files.set(path, { body: Buffer.from(bytes) });
      return {
        name,
        version,
        version_normalized: options.dev === true ? version : `${version}.0`,
        require: { php: ">=8.1" },
        autoload: { "psr-4": { "Up\\": "src/" } },
        dist: {
          type: "zip",
          url: `${this.url}${path}`,
          reference: reference ?? "r".repeat(40),
          shasum: createHash("sha1").update(bytes).digest("hex"),
        },
      };
    });
    const file = options.dev === true ? `/p2/${name}~dev.json` : `/p2/${name}.json`;
    this.files.set(file, { body: buildP2Document(name, entries), lastModified });
  }
}
