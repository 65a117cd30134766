import type { Logger } from "./logger.ts";

/**
 * Named operational log lines. Keeping them here keeps their shape stable for people who parse
 * the stream (the docs show these exact messages).
 */
export function logRequestCompleted(
  logger: Logger,
  requestId: string,
  context: { method: string; path: string; status: number; duration: number },
): void {
  logger.info({ requestId, context }, "Request completed");
}

export function logServerListening(logger: Logger, context: { url: string; database: string }): void {
  logger.info({ context }, "Server listening");
}

export function logServerStopping(logger: Logger, context: { signal: string }): void {
  logger.info({ context }, "Server stopping");
}

export function logWorkerStarted(logger: Logger, context: { worker: number; port: number }): void {
  logger.info({ context }, "Worker started");
}

/** A worker of `serve` exited while the server was not stopping; it is replaced after `restartInMs`. */
export function logWorkerExited(
  logger: Logger,
  context: { worker: number; code: number | null; signal: string | null; restartInMs: number },
): void {
  logger.error({ context }, "Worker exited");
}

export function logWorkerStopTimeout(logger: Logger, context: { worker: number; afterMs: number }): void {
  logger.warn({ context }, "Worker did not stop in time, killed");
}

export function logMigrationsApplied(logger: Logger, context: { applied: string[] }): void {
  logger.info({ context }, "Database migrations applied");
}

export function logUnhandledError(logger: Logger, requestId: string, error: unknown): void {
  logger.error({ requestId, error }, "Unhandled error");
}

export function logSyncFinished(
  logger: Logger,
  context: { repositoryId: string; status: string; added: number; removed: number; skipped: number },
): void {
  logger.info({ context }, "Repository sync finished");
}

/** An invitation or password-reset e-mail could not be sent; the admin got the link all the same. */
export function logMailDeliveryFailed(
  logger: Logger,
  context: { linkId: string; purpose: string; error: string },
): void {
  logger.warn({ context }, "E-mail not sent");
}

/**
 * `serve` found no active admin and made a setup link. The link itself (its token) is printed for
 * the person starting the server, never logged.
 */
export function logSetupLinkCreated(logger: Logger, context: { linkId: string; expiresAt: string }): void {
  logger.warn({ context }, "No administrator yet: setup link created");
}

export function logRedisUnavailable(logger: Logger, context: { url: string; error: string }): void {
  logger.warn({ context }, "Redis unreachable");
}

export function logRedisConnected(logger: Logger, context: { url: string }): void {
  logger.info({ context }, "Redis connected");
}

export function logRateLimitsUnchecked(logger: Logger, context: { error: string }): void {
  logger.warn({ context }, "Rate limits not checked: requests are let through until the limiter answers");
}

export function logRateLimitsChecked(logger: Logger, context: { unchecked: number }): void {
  logger.info({ context }, "Rate limits checked again");
}
