/**
 * The environment a bench starts `package-broker serve` with, on top of its own settings (data
 * dir, port, base URL). Brokers built before a setting existed ignore it: PB_WORKERS (they run one
 * process), the rate limit (they have none).
 */
export function benchServeEnv(
  env: Record<string, string | undefined>,
  options: { readonly logLevel: string; readonly brokerWorkers: number },
): Record<string, string | undefined> {
  return {
    ...env,
    PB_HOST: "127.0.0.1",
    PB_LOG_LEVEL: options.logLevel,
    PB_WORKERS: String(options.brokerWorkers),
    // A rate limit no run reaches (a million requests a second): the limiter's cost is in the
    // numbers, its refusals are not.
    PB_RATE_LIMIT_REQUESTS: "1000000",
    PB_RATE_LIMIT_WINDOW_SECONDS: "1",
  };
}
