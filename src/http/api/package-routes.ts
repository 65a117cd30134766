import type { AuditedPackages } from "../../catalog/audited-packages.ts";
import type { PackageBrowser } from "../../catalog/package-browser.ts";
import type { PackageReadme } from "../../catalog/package-readme.ts";
import { DomainError } from "../../errors/domain-error.ts";
import type { TokenGuard } from "../middleware/require-token.ts";
import { ApiRouter } from "../openapi/api-router.ts";
import { problemResponse } from "../openapi/problem-schema.ts";
import { readBodyBytes } from "../read-body.ts";
import {
  deletedVersionSchema,
  listPackagesQuerySchema,
  packageDetailsSchema,
  packageDownloadsQuerySchema,
  packageDownloadsSchema,
  packageListSchema,
  packageReadmeQuerySchema,
  packageReadmeSchema,
  uploadedVersionSchema,
} from "./package-schemas.ts";

const PACKAGE = {
  vendor: "The vendor part of the package name.",
  project: "The project part of the package name.",
};

const PACKAGE_VERSION = { ...PACKAGE, version: "The version." };

/** /api/packages: the catalog's packages, their versions and downloads; uploads and deletions. */
export function packageRoutes(deps: {
  guard: TokenGuard;
  packages: AuditedPackages;
  browser: PackageBrowser;
  readme: PackageReadme;
  maxUploadBytes: number;
  maxJsonBytes: number;
}): ApiRouter {
  const api = new ApiRouter({
    base: "/api/packages",
    tag: "Packages",
    tagDescription:
      "The catalog's packages, their versions and download counts; uploaded archives and their deletion.",
    guard: deps.guard,
    maxJsonBytes: deps.maxJsonBytes,
  });

  api.add(
    {
      method: "get",
      path: "/",
      operationId: "listPackages",
      summary: "List packages",
      description:
        "In name order, keyset pages (`next_cursor`), only the packages the token's patterns allow. `q` looks for part of the name.",
      access: "packages:read",
      query: listPackagesQuerySchema,
      responses: {
        200: {
          description: "A page of packages.",
          schema: packageListSchema,
          headers: { link: "The next page, while there is one." },
        },
      },
    },
    async (c, { query }) => {
      const page = await deps.browser.list(c.get("grant"), {
        ...(query.q === undefined ? {} : { search: query.q }),
        ...(query.limit === undefined ? {} : { limit: query.limit }),
        ...(query.cursor === undefined ? {} : { cursor: query.cursor }),
      });
      if (page.nextCursor !== null) {
        const next = new URL(c.req.url);
        next.searchParams.set("cursor", page.nextCursor);
        c.header("link", `<${next.pathname}${next.search}>; rel="next"`);
      }
      return c.json({ packages: page.packages, next_cursor: page.nextCursor });
    },
  );

  api.add(
    {
      method: "get",
      path: "/:vendor/:project",
      operationId: "getPackage",
      summary: "Show a package",
      description:
        "With every version, newest first, and each version's downloads. A package outside the token's patterns is a 404, like a missing one.",
      access: "packages:read",
      params: PACKAGE,
      responses: { 200: { description: "The package.", schema: packageDetailsSchema } },
    },
    async (c, { params }) =>
      c.json(await deps.browser.get(c.get("grant"), `${params.vendor}/${params.project}`)),
  );

  api.add(
    {
      method: "get",
      path: "/:vendor/:project/downloads",
      operationId: "getPackageDownloads",
      summary: "Download counts",
      description:
        "Installs reported by Composer (`POST /downloads`): the all-time total and one count per UTC day for the last `days` days.",
      access: "packages:read",
      params: PACKAGE,
      query: packageDownloadsQuerySchema,
      responses: { 200: { description: "The counts.", schema: packageDownloadsSchema } },
    },
    async (c, { params, query }) =>
      c.json(
        await deps.browser.downloads(c.get("grant"), `${params.vendor}/${params.project}`, {
          ...(query.days === undefined ? {} : { days: query.days }),
          ...(query.version === undefined ? {} : { version: query.version }),
        }),
      ),
  );

  api.add(
    {
      method: "get",
      path: "/:vendor/:project/readme",
      operationId: "getPackageReadme",
      summary: "A version's README",
      description:
        "Read from the version's stored dist: README.md, README.markdown, README or README.txt (any case, Markdown first) at the archive's root or inside its single top-level directory. A proxied version's dist is stored only once Composer downloaded it through the broker; until then the answer is a 404 ReadmeNotAvailable (nothing is fetched from the upstream for this). A package outside the token's patterns is a 404, like a missing one.",
      access: "packages:read",
      params: PACKAGE,
      query: packageReadmeQuerySchema,
      responses: {
        200: { description: "The README.", schema: packageReadmeSchema },
        404: problemResponse(
          "No such package or version (PackageNotFound, VersionNotFound), the version has no README (ReadmeNotFound), its dist is not stored (ReadmeNotAvailable) or its README cannot be read (ReadmeUnreadable).",
        ),
      },
    },
    async (c, { params, query }) =>
      c.json(
        await deps.readme.read(c.get("grant"), `${params.vendor}/${params.project}`, {
          ...(query.version === undefined ? {} : { version: query.version }),
        }),
      ),
  );

  api.add(
    {
      method: "post",
      path: "/upload",
      operationId: "uploadPackage",
      summary: "Upload a package archive",
      description:
        "The zip's composer.json names the package and the version. A version is immutable: the same bytes again are a no-op (200), other bytes a 409.",
      access: "packages:write",
      audit: { event: "package", action: "uploaded", target: "package" },
      rawBody: {
        contentTypes: ["application/zip", "application/octet-stream", "multipart/form-data"],
        description: "The zip itself, or a form whose `file` field is the zip.",
      },
      responses: {
        201: { description: "Published.", schema: uploadedVersionSchema },
        200: { description: "The very same archive was published before.", schema: uploadedVersionSchema },
        409: problemResponse("The version exists with other bytes (VersionExists)."),
      },
    },
    async (c) => {
      const header = c.req.header("content-type") ?? "";
      const type = header.toLowerCase();
      let zip: Uint8Array;
      if (type.startsWith("multipart/form-data")) {
        const bytes = await readBodyBytes(c, deps.maxUploadBytes + 64 * 1024);
        // The header as sent: the boundary is case-sensitive (browsers send ----WebKitFormBoundaryAbC…).
        zip = await fileFromForm(
          new Request(c.req.url, { method: "POST", headers: { "content-type": header }, body: bytes }),
          deps.maxUploadBytes,
        );
      } else if (/^application\/(zip|x-zip-compressed|octet-stream)\s*(;|$)/.test(type)) {
        zip = await readBodyBytes(c, deps.maxUploadBytes);
      } else {
        throw new DomainError(
          "unsupported-media-type",
          "UnsupportedMediaType",
          "upload the zip as application/zip, or as the `file` field of multipart/form-data",
        );
      }
      const uploaded = await deps.packages.upload(zip, c.get("grant"), c.get("audit"));
      return c.json(uploaded, uploaded.created ? 201 : 200);
    },
  );

  api.add(
    {
      method: "delete",
      path: "/:vendor/:project/versions/:version",
      operationId: "deletePackageVersion",
      summary: "Delete a version",
      description: "`version` as published (`1.2.0`) or normalized (`1.2.0.0`).",
      access: "packages:delete",
      audit: { event: "package", action: "deleted", target: "package" },
      params: PACKAGE_VERSION,
      responses: { 200: { description: "The deleted version.", schema: deletedVersionSchema } },
    },
    async (c, { params }) => {
      const name = `${params.vendor}/${params.project}`;
      const deleted = await deps.packages.delete(name, params.version, c.get("grant"), c.get("audit"));
      return c.json({
        packageName: deleted.packageName,
        version: deleted.version,
        versionNormalized: deleted.versionNormalized,
      });
    },
  );

  return api;
}

/** Parses a form already read (and so bounded) into memory. */
async function fileFromForm(request: Request, maxBytes: number): Promise<Uint8Array> {
  let form: FormData;
  try {
    // The body was read with a size bound before; the undici parser only sees those bytes.
    // eslint-disable-next-line @typescript-eslint/no-deprecated
    form = await request.formData();
  } catch {
    throw new DomainError("invalid", "InvalidForm", "the multipart body could not be read");
  }
  const file = form.get("file");
  if (!(file instanceof File))
    throw new DomainError("invalid", "MissingFile", "the form has no `file` field");
  if (file.size > maxBytes) {
    throw new DomainError("too-large", "BodyTooLarge", `the archive is larger than ${maxBytes} bytes`);
  }
  return new Uint8Array(await file.arrayBuffer());
}
