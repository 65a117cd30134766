import type { AccessGrant } from "../access/access-grant.ts";
import type { AuditTrail } from "../audit/audit-trail.ts";
import { DomainError } from "../errors/domain-error.ts";
import type { StoredVersion } from "../storage/database/catalog-records.ts";
import type { PackageDeletion } from "./package-deletion.ts";
import type { PackageUpload, UploadedVersion } from "./package-upload.ts";

/**
 * Uploads and deletions with their `package` audit events: what the API and the CLI call. A
 * refused upload (an invalid or hostile archive) is recorded too, with the reason.
 */
export class AuditedPackages {
  readonly #uploads: PackageUpload;
  readonly #deletion: PackageDeletion;

  constructor(options: { uploads: PackageUpload; deletion: PackageDeletion }) {
    this.#uploads = options.uploads;
    this.#deletion = options.deletion;
  }

  async upload(zip: Uint8Array, grant: AccessGrant, trail: AuditTrail): Promise<UploadedVersion> {
    let uploaded: UploadedVersion;
    try {
      uploaded = await this.#uploads.upload(zip, grant);
    } catch (error) {
      if (error instanceof DomainError) {
        await trail.record({
          event: "package",
          action: "upload_rejected",
          outcome: error.kind === "forbidden" ? "denied" : "failure",
          severity: "warning",
          target: null,
          details: { code: error.code, reason: error.message, size: zip.byteLength },
        });
      }
      throw error;
    }
    await trail.record({
      event: "package",
      action: "uploaded",
      outcome: "success",
      target: { type: "package", name: uploaded.packageName, version: uploaded.version },
      details: {
        version_normalized: uploaded.versionNormalized,
        sha1: uploaded.distSha1,
        sha256: uploaded.distSha256,
        size: uploaded.size,
        created: uploaded.created,
      },
    });
    return uploaded;
  }

  async delete(
    packageName: string,
    version: string,
    grant: AccessGrant,
    trail: AuditTrail,
  ): Promise<StoredVersion> {
    const deleted = await this.#deletion.delete(packageName, version, grant);
    await trail.record({
      event: "package",
      action: "deleted",
      outcome: "success",
      severity: "warning",
      target: { type: "package", name: deleted.packageName, version: deleted.version },
      details: { version_normalized: deleted.versionNormalized, sha256: deleted.distSha256 },
    });
    return deleted;
  }
}
