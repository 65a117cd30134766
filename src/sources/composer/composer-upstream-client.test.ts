import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { DomainError } from "../../errors/domain-error.ts";
import { ComposerUpstreamClient, type UpstreamClientOptions } from "./composer-upstream-client.ts";

interface Seen {
  readonly url: string;
  readonly headers: http.IncomingHttpHeaders;
}

/** A loopback HTTP server answering with `handler`, recording every request. */
async function upstream(
  handler: (request: http.IncomingMessage, response: http.ServerResponse) => void,
): Promise<{ url: string; seen: Seen[]; close: () => Promise<void> }> {
  const seen: Seen[] = [];
  const server = http.createServer((request, response) => {
    seen.push({ url: request.url ?? "", headers: request.headers });
    handler(request, response);
  });
  await new Promise<void>((resolve) => {
    server.listen(0, "127.0.0.1", resolve);
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    seen,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => {
          resolve();
        });
      }),
  };
}

const servers: { close: () => Promise<void> }[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function serve(handler: Parameters<typeof upstream>[0]) {
  const server = await upstream(handler);
  servers.push(server);
  return server;
}

function client(options: Partial<UpstreamClientOptions> = {}): ComposerUpstreamClient {
  return new ComposerUpstreamClient({
    timeoutMs: 2000,
    maxMetadataBytes: 1024,
    maxDistBytes: 4096,
    viaName: "broker.example:8080",
    userAgent: "PACKAGE.broker/test",
    allowPrivate: true,
    ...options,
  });
}

async function failure(promise: Promise<unknown>): Promise<DomainError> {
  const error: unknown = await promise.then(
    () => null,
    (caught: unknown) => caught,
  );
  if (!(error instanceof DomainError)) throw new Error(`expected a DomainError, got ${String(error)}`);
  return error;
}

describe("ComposerUpstreamClient", () => {
  it("finds the metadata URL template, resolving a leading slash against the origin", async () => {
    const server = await serve((_request, response) => {
      response.end(JSON.stringify({ "metadata-url": "/p2/%package%.json" }));
    });
    const template = await client().metadataUrlTemplate(`${server.url}/sub`, { credentials: undefined });
    expect(template).toBe(`${server.url}/p2/%package%.json`);
    expect(server.seen[0]?.url).toBe("/sub/packages.json");
  });

  it("refuses a repository without metadata-url (not Composer v2)", async () => {
    const server = await serve((_request, response) => {
      response.end(JSON.stringify({ packages: {} }));
    });
    const error = await failure(client().metadataUrlTemplate(server.url, { credentials: undefined }));
    expect(error.code).toBe("InvalidUpstreamRepository");
  });

  it("sends Via (after the received one), credentials and If-Modified-Since; reads 200, 304 and 404", async () => {
    const server = await serve((request, response) => {
      if (request.url === "/p2/acme/a.json" && request.headers["if-modified-since"] === undefined) {
        response.setHeader("last-modified", "Tue, 01 Sep 2026 10:00:00 GMT");
        response.end('{"packages":{}}');
      } else if (request.url === "/p2/acme/a.json") {
        response.statusCode = 304;
        response.end();
      } else {
        response.statusCode = 404;
        response.end("nope");
      }
    });
    const c = client();
    const template = `${server.url}/p2/%package%.json`;
    const credentials = { kind: "bearer", token: "s3cret" } as const;
    const first = await c.metadata(template, server.url, "acme/a", {
      credentials,
      receivedVia: "1.1 front.example",
      ifModifiedSince: null,
    });
    expect(first).toEqual({
      status: "ok",
      body: '{"packages":{}}',
      lastModified: "Tue, 01 Sep 2026 10:00:00 GMT",
    });
    expect(server.seen[0]?.headers.via).toBe("1.1 front.example, 1.1 broker.example:8080 (PACKAGE.broker)");
    expect(server.seen[0]?.headers.authorization).toBe("Bearer s3cret");
    const second = await c.metadata(template, server.url, "acme/a", {
      credentials,
      ifModifiedSince: "Tue, 01 Sep 2026 10:00:00 GMT",
    });
    expect(second).toEqual({ status: "not-modified" });
    expect(server.seen[1]?.headers["if-modified-since"]).toBe("Tue, 01 Sep 2026 10:00:00 GMT");
    expect(server.seen[1]?.headers.via).toBe("1.1 broker.example:8080 (PACKAGE.broker)");
    expect(
      await c.metadata(template, server.url, "acme/b~dev", { credentials, ifModifiedSince: null }),
    ).toEqual({ status: "missing" });
    expect(server.seen[2]?.url).toBe("/p2/acme/b~dev.json");
  });

  it("sends a custom credential header, and credentials only to the upstream's own origin", async () => {
    const other = await serve((_request, response) => {
      response.end("zip-bytes");
    });
    const server = await serve((request, response) => {
      if (request.url === "/redirect") {
        response.statusCode = 302;
        response.setHeader("location", `${other.url}/file.zip`);
        response.end();
      } else {
        response.end("own-bytes");
      }
    });
    const c = client();
    const credentials = { kind: "header", header: "X-Api-Key", value: "k3y" } as const;
    const own = await c.dist(`${server.url}/own.zip`, server.url, { credentials });
    expect(Buffer.from(own).toString()).toBe("own-bytes");
    expect(server.seen[0]?.headers["x-api-key"]).toBe("k3y");
    const redirected = await c.dist(`${server.url}/redirect`, server.url, { credentials });
    expect(Buffer.from(redirected).toString()).toBe("zip-bytes");
    expect(other.seen[0]?.headers["x-api-key"]).toBeUndefined();
  });

  it("caps the size of documents and dists", async () => {
    const server = await serve((request, response) => {
      // No Content-Length: the cap is enforced while reading.
      response.write("x".repeat(1000));
      response.end("x".repeat(request.url === "/big.zip" ? 5000 : 1000));
    });
    const c = client();
    const document = await failure(
      c.metadata(`${server.url}/p2/%package%.json`, server.url, "acme/a", {
        credentials: undefined,
        ifModifiedSince: null,
      }),
    );
    expect(document.code).toBe("UpstreamDocumentTooLarge");
    expect(
      (await failure(c.dist(`${server.url}/big.zip`, server.url, { credentials: undefined }))).code,
    ).toBe("UpstreamDocumentTooLarge");
  });

  it("gives up on an upstream that does not answer in time", async () => {
    const server = await serve(() => {
      // never answers
    });
    const error = await failure(
      client({ timeoutMs: 200 }).metadata(`${server.url}/p2/%package%.json`, server.url, "acme/a", {
        credentials: undefined,
        ifModifiedSince: null,
      }),
    );
    expect(error.code).toBe("UpstreamUnavailable");
    expect(error.message).toMatch(/did not answer within 200 ms/);
  });

  it("reports 5xx and unreachable upstreams as unavailable", async () => {
    const server = await serve((_request, response) => {
      response.statusCode = 502;
      response.end();
    });
    const c = client();
    const request = { credentials: undefined, ifModifiedSince: null };
    expect(
      (await failure(c.metadata(`${server.url}/%package%`, server.url, "a/b", request))).message,
    ).toMatch(/answered HTTP 502/);
    await server.close();
    expect(
      (await failure(c.metadata(`${server.url}/%package%`, server.url, "a/b", request))).message,
    ).toMatch(/could not be reached/);
  });

  it("refuses private addresses (also behind a redirect) unless private sources are allowed", async () => {
    const server = await serve((_request, response) => {
      response.end("{}");
    });
    const error = await failure(
      client({ allowPrivate: false }).dist(`${server.url}/a.zip`, server.url, { credentials: undefined }),
    );
    expect(error.code).toBe("PrivateSourceRefused");
    expect(server.seen).toHaveLength(0);
  });
});
