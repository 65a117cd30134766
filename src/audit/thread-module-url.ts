import path from "node:path";
import { fileURLToPath } from "node:url";

/**
 * The URL of a worker thread's module beside `importMetaUrl`'s: `.ts` when running from the
 * sources (tests, Node's type stripping), `.js` from the build.
 */
export function threadModuleUrl(importMetaUrl: string, relativeName: string): URL {
  const extension = path.extname(fileURLToPath(importMetaUrl));
  return new URL(`${relativeName}${extension}`, importMetaUrl);
}
