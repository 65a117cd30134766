import { Hono } from "hono";
import type { TokenService } from "../access/token-service.ts";
import type { CatalogReader } from "../catalog/catalog-reader.ts";
import type { DistReader } from "../catalog/dist-reader.ts";
import { notifyBatchSchema, type InstallRecorder } from "../catalog/install-recorder.ts";
import { notFound } from "../errors/domain-error.ts";
import type { AppEnv } from "./app-env.ts";
import { sendMetadata } from "./conditional-get.ts";
import { composerRoute } from "./middleware/composer-route.ts";
import { requireToken } from "./middleware/require-token.ts";
import { readJsonBody } from "./read-body.ts";

export interface ComposerRouteDeps {
  readonly tokens: TokenService;
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
  const read = requireToken(deps.tokens, "read");

  app.get("/packages.json", composerRoute, read, async (c) =>
    sendMetadata(c, await deps.catalog.packagesJson(c.get("grant"))),
  );

  app.get("/p2/:vendor/:file", composerRoute, read, async (c) => {
    const match = P2_FILE.exec(c.req.param("file"));
    if (match === null) throw notFound("PackageNotFound", "not a metadata file");
    const name = `${c.req.param("vendor")}/${match[1] ?? ""}`;
    return sendMetadata(c, await deps.catalog.p2(name, match[2] !== undefined, c.get("grant")));
  });

  app.get("/dists/:vendor/:project/:version/:file", composerRoute, read, async (c) => {
    const match = DIST_FILE.exec(c.req.param("file"));
    if (match === null) throw notFound("DistNotFound", "not a dist file");
    const name = `${c.req.param("vendor")}/${c.req.param("project")}`;
    const dist = await deps.dists.open(name, c.req.param("version"), match[1] ?? "", c.get("grant"));
    const headers = {
      "content-type": "application/zip",
      "content-length": String(dist.size),
      "content-disposition": `attachment; filename="${name.replace("/", "-")}-${dist.sha1.slice(0, 12)}.zip"`,
      etag: `"${dist.sha1}"`,
      "last-modified": dist.lastModified.toUTCString(),
      "cache-control": "private, max-age=31536000, immutable",
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
    return new Response(dist.stream, { status: 200, headers });
  });

  app.post("/downloads", composerRoute, read, async (c) => {
    const batch = await readJsonBody(c, notifyBatchSchema, deps.maxJsonBytes);
    const recorded = await deps.installs.record(batch, c.get("grant"));
    return c.json({ status: "success", ...recorded });
  });

  return app;
}
