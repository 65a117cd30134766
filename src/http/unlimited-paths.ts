/**
 * Paths the rate limits never count: a load balancer's probes and the metrics scraper must always
 * see the node.
 */
export const UNLIMITED_PATHS: ReadonlySet<string> = new Set(["/health", "/ready", "/metrics"]);
