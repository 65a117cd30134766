/**
 * The `Via` header (RFC 9110, section 7.6.3) on our upstream requests, and proxy loop detection.
 * Our entry is `1.1 <host[:port] of PB_BASE_URL> (PACKAGE.broker)`. A request that reaches us with
 * our own entry in its Via went round a loop (we asked an upstream that asks us): it is refused.
 */
export function ownViaName(baseUrl: string): string {
  return new URL(baseUrl).host.toLowerCase();
}

/** The Via header to send upstream: the one we received (if any), then our entry. */
export function forwardedVia(received: string | undefined, ownName: string): string {
  const own = `1.1 ${ownName} (PACKAGE.broker)`;
  const earlier = received?.trim() ?? "";
  return earlier === "" ? own : `${earlier.slice(0, 2000)}, ${own}`;
}

/** Whether a received Via header already names us. */
export function viaNames(received: string | undefined, ownName: string): boolean {
  if (received === undefined) return false;
  return received.split(",").some((entry) => {
    const receivedBy = entry.trim().split(/\s+/)[1];
    return receivedBy?.toLowerCase() === ownName;
  });
}
