/** A receiver's URL without its userinfo, and that userinfo as a Basic `Authorization` value. */
export interface ReceiverUrl {
  readonly base: URL;
  readonly basicAuthorization?: string;
}

/**
 * Splits `user:password@` off a receiver URL: fetch refuses URLs that carry credentials, and they
 * must never appear in a log line. The password may be percent-encoded.
 */
export function receiverUrl(url: string): ReceiverUrl {
  const base = new URL(url);
  if (base.username === "" && base.password === "") return { base };
  const user = decodeURIComponent(base.username);
  const password = decodeURIComponent(base.password);
  base.username = "";
  base.password = "";
  const basicAuthorization = `Basic ${Buffer.from(`${user}:${password}`).toString("base64")}`;
  return { base, basicAuthorization };
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
