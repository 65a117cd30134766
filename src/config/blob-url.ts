import path from "node:path";
import { fileURLToPath } from "node:url";
import type { z } from "zod";

/** Where dists are stored, as PB_BLOB_URL names it. */
export type BlobLocation =
  | { readonly kind: "fs"; readonly directory: string }
  | { readonly kind: "s3"; readonly bucket: string; readonly prefix: string };

const S3_URL = /^s3:\/\/([^/?#]*)(\/[^?#]*)?$/i;
/** S3's characters that are safe in any tool (its "safe characters" list). */
const PREFIX_SEGMENT = /^[A-Za-z0-9!_.*'()-]+$/;
const MAX_PREFIX_LENGTH = 512;

/**
 * `s3://bucket/optional/prefix` or `file:///absolute/path`; anything else is an issue on `ctx`
 * (the message never repeats the value). The prefix loses its leading and trailing slashes.
 */
export function parseBlobUrl(value: string, ctx: z.RefinementCtx<string>): BlobLocation {
  if (/^file:/i.test(value)) return parseFileUrl(value, ctx);
  const match = S3_URL.exec(value);
  if (match === null) {
    ctx.addIssue({ code: "custom", message: "must be s3://bucket[/prefix] or file:///absolute/path" });
    return { kind: "s3", bucket: "", prefix: "" };
  }
  const bucket = match[1] ?? "";
  const bucketProblem = bucketNameProblem(bucket);
  if (bucketProblem !== null) ctx.addIssue({ code: "custom", message: `bucket name ${bucketProblem}` });
  const prefix = (match[2] ?? "").replace(/^\/+|\/+$/g, "");
  const prefixProblem = prefixProblemOf(prefix);
  if (prefixProblem !== null) ctx.addIssue({ code: "custom", message: `prefix ${prefixProblem}` });
  return { kind: "s3", bucket, prefix };
}

function parseFileUrl(value: string, ctx: z.RefinementCtx<string>): BlobLocation {
  const url = URL.parse(value);
  if (url?.search !== "" || url.hash !== "" || (url.host !== "" && url.host !== "localhost")) {
    ctx.addIssue({ code: "custom", message: "must be file:///absolute/path (no host, query or fragment)" });
    return { kind: "fs", directory: "" };
  }
  try {
    return { kind: "fs", directory: path.resolve(fileURLToPath(url)) };
  } catch {
    ctx.addIssue({ code: "custom", message: "must be file:///absolute/path" });
    return { kind: "fs", directory: "" };
  }
}

/** Why `name` breaks S3's rules for general purpose bucket names, or null when it does not. */
export function bucketNameProblem(name: string): string | null {
  if (name.length < 3 || name.length > 63) return "must be 3 to 63 characters long";
  if (!/^[a-z0-9][a-z0-9.-]*[a-z0-9]$/.test(name)) {
    return "must be lowercase letters, digits, dots and hyphens, starting and ending with a letter or digit";
  }
  if (name.includes("..")) return "must not contain two dots in a row";
  if (/^\d{1,3}(\.\d{1,3}){3}$/.test(name)) return "must not look like an IP address";
  if (/^(xn--|sthree-|amzn-s3-demo-)/.test(name)) return "must not start with xn--, sthree- or amzn-s3-demo-";
  if (/(-s3alias|--ol-s3|\.mrap|--x-s3|--table-s3)$/.test(name)) return "has a suffix S3 reserves";
  return null;
}

function prefixProblemOf(prefix: string): string | null {
  if (prefix === "") return null;
  if (prefix.length > MAX_PREFIX_LENGTH) return `must be at most ${MAX_PREFIX_LENGTH} characters long`;
  for (const segment of prefix.split("/")) {
    if (segment === "") return "must not contain empty segments (//)";
    if (segment === "." || segment === "..") return "must not contain . or .. segments";
    if (!PREFIX_SEGMENT.test(segment)) return "may only contain letters, digits, / and !_.*'()-";
  }
  return null;
}
