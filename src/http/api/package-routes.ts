import { Hono } from "hono";
import type { AuditedPackages } from "../../catalog/audited-packages.ts";
import { DomainError } from "../../errors/domain-error.ts";
import type { AppEnv } from "../app-env.ts";
import type { TokenGuard } from "../middleware/require-token.ts";
import { readBodyBytes } from "../read-body.ts";

/** /api/packages: uploads of package archives, and their deletion. */
export function packageRoutes(deps: {
  guard: TokenGuard;
  packages: AuditedPackages;
  maxUploadBytes: number;
}): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  /**
   * The body is the zip itself (Content-Type application/zip or application/octet-stream), or a
   * multipart/form-data form whose `file` field is the zip.
   */
  app.post("/upload", deps.guard("packages:write"), async (c) => {
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
  });

  /** Deletes an uploaded version; `version` is as published (`1.2.0`) or normalized (`1.2.0.0`). */
  app.delete("/:vendor/:project/versions/:version", deps.guard("packages:delete"), async (c) => {
    const name = `${c.req.param("vendor")}/${c.req.param("project")}`;
    const deleted = await deps.packages.delete(name, c.req.param("version"), c.get("grant"), c.get("audit"));
    return c.json({
      packageName: deleted.packageName,
      version: deleted.version,
      versionNormalized: deleted.versionNormalized,
    });
  });

  return app;
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
