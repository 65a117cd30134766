import { invalidInput } from "../errors/domain-error.ts";

/** RFC 5321's limit on a whole address. */
const MAX_LENGTH = 254;
/**
 * A practical address: one `@`, a local part of printable ASCII without spaces or quotes (no
 * quoted local parts, no comments), a domain of dot-separated labels (letters, digits, hyphens;
 * IDNs in their `xn--` form) with at least one dot. Stricter than RFC 5322 on purpose: an address
 * that would need quoting is an address a mail server is likely to mangle.
 */
const ADDRESS =
  /^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]{1,64}@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/;

/**
 * An e-mail address as accounts key it: trimmed and lower-cased (so `Alice@Example.com` and
 * `alice@example.com` are one account). Invalid → `invalidInput("InvalidEmail")`.
 */
export function normaliseEmail(input: unknown): string {
  if (typeof input !== "string") {
    throw invalidInput("InvalidEmail", "an e-mail address is required", { field: "email" });
  }
  const email = input.trim().toLowerCase();
  const local = email.slice(0, email.indexOf("@"));
  if (
    email.length > MAX_LENGTH ||
    !ADDRESS.test(email) ||
    local.startsWith(".") ||
    local.endsWith(".") ||
    local.includes("..")
  ) {
    throw invalidInput(
      "InvalidEmail",
      `not an e-mail address this server accepts: ${JSON.stringify(input.slice(0, 80))}`,
      {
        field: "email",
      },
    );
  }
  return email;
}
