/**
 * The token presented in an Authorization header:
 * - `Basic base64(user:token)`: what Composer sends for `http-basic` in auth.json (username
 *   `token` by convention; any username is accepted, the password is the token);
 * - `Bearer <token>`: Composer's `bearer` auth and API clients.
 *
 * Returns null when there is no header, `"malformed"` for anything that cannot be read (other
 * schemes, bad base64, no colon, empty token, over 4 KiB, control or non-ASCII characters). The
 * token itself is not checked here (TokenService.authenticate does that); a presented token that
 * is literally `malformed` is refused either way.
 */
// The "malformed" member is redundant for the compiler but tells the reader about the sentinel.
// eslint-disable-next-line @typescript-eslint/no-redundant-type-constituents
export function parseAuthorization(header: string | undefined): string | null | "malformed" {
  if (header === undefined) return null;
  if (header.length > MAX_HEADER_LENGTH) return "malformed";
  // Printable ASCII, plus spaces and tabs between the parts.
  if (!/^[\t\x20-\x7e]*$/.test(header)) return "malformed";
  const match = /^[ \t]*([A-Za-z]+)[ \t]+([^ \t]+)[ \t]*$/.exec(header);
  if (match === null) return "malformed";
  const [, scheme = "", credentials = ""] = match;
  switch (scheme.toLowerCase()) {
    case "bearer":
      return TOKEN68.test(credentials) ? credentials : "malformed";
    case "basic":
      return basicPassword(credentials);
    default:
      return "malformed";
  }
}

const MAX_HEADER_LENGTH = 4096;
/** RFC 9110 token68. */
const TOKEN68 = /^[A-Za-z0-9\-._~+/]+=*$/;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}(?:==)?|[A-Za-z0-9+/]{3}=?)?$/;
const utf8 = new TextDecoder("utf-8", { fatal: true });

/** The password of Basic credentials, or "malformed". */
function basicPassword(credentials: string): string {
  // Strict base64 (padding optional, as some clients drop it); Buffer.from would skip garbage.
  if (!BASE64.test(credentials)) return "malformed";
  let decoded: string;
  try {
    decoded = utf8.decode(Buffer.from(credentials, "base64"));
  } catch {
    return "malformed";
  }
  if (/\p{Cc}/u.test(decoded)) return "malformed";
  const colon = decoded.indexOf(":");
  if (colon === -1) return "malformed";
  const password = decoded.slice(colon + 1);
  if (password.trim() === "") return "malformed";
  return password;
}
