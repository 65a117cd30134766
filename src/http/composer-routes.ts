import { Hono, type Context } from "hono";
import type { CatalogReader } from "../catalog/catalog-reader.ts";
import type { DistReader } from "../catalog/dist-reader.ts";
import { parseRangeHeader, rangeStillApplies } from "./range-header.ts";
import { notifyBatchSchema, type InstallRecorder } from "../catalog/install-recorder.ts";
import { notFound } from "../errors/domain-error.ts";
import type { AppEnv } from "./app-env.ts";
import { sendMetadata } from "./conditional-get.ts";
import { composerRoute } from "./middleware/composer-route.ts";
import { auditAccess } from "./middleware/audit-access.ts";
import type { TokenGuard } from "./middleware/require-token.ts";
import { readJsonBody } from "./read-body.ts";

export interface ComposerRouteDeps {
  readonly guard: TokenGuard;
  readonly catalog: CatalogReader;
  readonly dists: DistReader;
  readonly installs: InstallRecorder;
  readonly maxJsonBytes: number;
}

const P2_FILE = /^(.+?)(~dev)?\.json$/;
const DIST_FILE = /^([0-9a-f]{40}|[0-9a-f]{64})\.zip$/;

/** The Composer v2 repository protocol: packages.json, p2 metadata, dists, notify-batch. */
export function composerRoutes(deps: ComposerRouteDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const read = deps.guard("packages:read");
  const param = (c: Context<AppEnv>, name: string): string => c.req.param(name) ?? "";
  const p2Target = (c: Context<AppEnv>) => {
    const match = P2_FILE.exec(param(c, "file"));
    return {
      target: {
        type: "package",
        name: `${param(c, "vendor")}/${match?.[1] ?? param(c, "file")}`.slice(0, 200),
      },
      details: { dev: match?.[2] !== undefined },
    };
  };
  const distTarget = (c: Context<AppEnv>) => ({
    target: {
      type: "package",
      name: `${param(c, "vendor")}/${param(c, "project")}`.slice(0, 200),
      version: param(c, "version").slice(0, 100),
    },
    details: {
      reference: param(c, "file")
        .replace(/\.zip$/, "")
        .slice(0, 64),
    },
  });

  app.get(
    "/packages.json",
    composerRoute,
    read,
    auditAccess("packages_json", () => ({ target: null })),
    async (c) => sendMetadata(c, await deps.catalog.packagesJson(c.get("grant"))),
  );

  app.get("/p2/:vendor/:file", composerRoute, read, auditAccess("metadata", p2Target), async (c) => {
    const match = P2_FILE.exec(c.req.param("file"));
    if (match === null) throw notFound("PackageNotFound", "not a metadata file");
    const name = `${c.req.param("vendor")}/${match[1] ?? ""}`;
    const context = { trail: c.get("audit"), receivedVia: c.req.header("via") };
    return sendMetadata(c, await deps.catalog.p2(name, match[2] !== undefined, c.get("grant"), context));
  });

  const download = auditAccess("download", distTarget, "download_denied");
  app.get("/dists/:vendor/:project/:version/:file", composerRoute, read, download, async (c) => {
    const match = DIST_FILE.exec(c.req.param("file"));
    if (match === null) throw notFound("DistNotFound", "not a dist file");
    const name = `${c.req.param("vendor")}/${c.req.param("project")}`;
    const context = { trail: c.get("audit"), receivedVia: c.req.header("via") };
    const requested = c.req.method === "GET" ? parseRangeHeader(c.req.header("range")) : null;
    const ifRange = c.req.header("if-range");
    const dist = await deps.dists.open(
      name,
      c.req.param("version"),
      match[1] ?? "",
      c.get("grant"),
      context,
      (validators) => (requested !== null && rangeStillApplies(ifRange, validators) ? requested : null),
    );
    const headers: Record<string, string> = {
      "content-type": "application/zip",
      "content-length": String(dist.size),
      "content-disposition": `attachment; filename="${name.replace("/", "-")}-${dist.sha1.slice(0, 12)}.zip"`,
      etag: `"${dist.sha1}"`,
      "last-modified": dist.lastModified.toUTCString(),
      "cache-control": "private, max-age=31536000, immutable",
      "accept-ranges": "bytes",
    };
    if (c.req.header("if-none-match") === `"${dist.sha1}"`) {
      await dist.stream.cancel();
      return new Response(null, { status: 304, headers });
    }
    // Hono answers HEAD by running this GET handler and dropping the body it returns; the stream
    // holds an open file, so close it here rather than leave the descriptor to the GC.
    if (c.req.method === "HEAD") {
      await dist.stream.cancel();
      return new Response(null, { status: 200, headers });
    }
    if (dist.range === "unsatisfiable") {
      await dist.stream.cancel();
      return new Response(null, {
        status: 416,
        headers: { ...headers, "content-length": "0", "content-range": `bytes */${dist.size}` },
      });
    }
    if (dist.range !== null) {
      const { first, last } = dist.range;
      headers["content-length"] = String(last - first + 1);
      headers["content-range"] = `bytes ${first}-${last}/${dist.size}`;
      return new Response(dist.stream, { status: 206, headers });
    }
    return new Response(dist.stream, { status: 200, headers });
  });

  app.post("/downloads", composerRoute, read, async (c) => {
    const batch = await readJsonBody(c, notifyBatchSchema, deps.maxJsonBytes);
    const recorded = await deps.installs.record(batch, c.get("grant"));
    await c.get("audit").record({
      event: "package_access",
      action: "install_notification",
      outcome: "success",
      target: null,
      details: {
        counted: recorded.counted,
        ignored: recorded.ignored,
        downloads: batch.downloads
          .slice(0, 100)
          .map((d) => ({ name: d.name.slice(0, 200), version: d.version.slice(0, 100) })),
      },
    });
    return c.json({ status: "success", ...recorded });
  });

  return app;
}
