/** A receiver's URL without its userinfo, and the `Authorization` header to send it, if any. */
export interface ReceiverUrl {
  readonly base: URL;
  /** `{ authorization }` from the token, else from the URL's userinfo (Basic); else empty. */
  readonly authorization: { readonly authorization?: string };
}

/**
 * Splits `user:password@` off a receiver URL: fetch refuses URLs that carry credentials, and they
 * must never appear in a log line. The password may be percent-encoded. A token, when the sink
 * has one, wins over the userinfo and is sent as `<scheme> <token>`.
 */
export function receiverUrl(url: string, token?: string, scheme = "Bearer"): ReceiverUrl {
  const base = new URL(url);
  let basic: string | undefined;
  if (base.username !== "" || base.password !== "") {
    const user = decodeURIComponent(base.username);
    const password = decodeURIComponent(base.password);
    base.username = "";
    base.password = "";
    basic = `Basic ${Buffer.from(`${user}:${password}`).toString("base64")}`;
  }
  const value = token !== undefined ? `${scheme} ${token}` : basic;
  return { base, authorization: value === undefined ? {} : { authorization: value } };
}

/**
 * `path` appended to the base URL's path (a trailing slash of the base is dropped), keeping the
 * base's query string. A base that already ends with `path` is kept as it is.
 */
export function endpointUrl(base: URL, path: string): string {
  const url = new URL(base.href);
  const trimmed = url.pathname.replace(/\/+$/, "");
  url.pathname = trimmed.endsWith(path) ? trimmed : `${trimmed}${path}`;
  return url.href;
}
