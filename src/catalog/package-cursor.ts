import { isValidPackageName } from "../composer/package-name.ts";
import { invalidInput } from "../errors/domain-error.ts";

/**
 * The opaque `cursor` of a page of packages: the name of the page's last package. A page is "the
 * next packages after that name", so packages added or removed meanwhile never shift pages.
 * Base64url so it survives any URL.
 */
export function encodePackageCursor(lastName: string): string {
  return Buffer.from(`p1:${lastName}`, "utf8").toString("base64url");
}

/** The name a cursor continues after; anything this server did not return is a 400. */
export function decodePackageCursor(cursor: string): string {
  // A cursor names a package: at most 255 characters, so at most 344 in base64url.
  const text = cursor.length <= 400 ? Buffer.from(cursor, "base64url").toString("utf8") : "";
  const name = text.startsWith("p1:") ? text.slice(3) : "";
  if (!isValidPackageName(name)) {
    throw invalidInput("InvalidCursor", "cursor is not a cursor this server returned", {
      parameter: "cursor",
    });
  }
  return name;
}
