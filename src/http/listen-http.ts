import { serve, type ServerType } from "@hono/node-server";
import { DomainError } from "../errors/domain-error.ts";

/** An HTTP server accepting connections. */
export interface HttpListener {
  /** The port it listens on (the one chosen by the OS when 0 was asked). */
  readonly port: number;
  /** Stops accepting, closes idle keep-alive connections, and resolves once the open requests are answered. */
  close(): Promise<void>;
}

/**
 * Serves `fetch` with @hono/node-server; resolves once connections are accepted. In a worker of
 * `node:cluster`, the primary owns the socket and hands connections over, so every worker can
 * listen on the same port (the same one for port 0 too).
 */
export async function listenHttp(
  fetch: Parameters<typeof serve>[0]["fetch"],
  options: { readonly host: string; readonly port: number },
): Promise<HttpListener> {
  const server = await new Promise<ServerType>((resolve, reject) => {
    const created = serve({ fetch, port: options.port, hostname: options.host }, () => {
      resolve(created);
    });
    created.once("error", (error: Error) => {
      reject(listenFailure(error, options));
    });
  });
  const address = server.address();
  return {
    port: address !== null && typeof address === "object" ? address.port : options.port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => {
          resolve();
        });
        if ("closeIdleConnections" in server) server.closeIdleConnections();
      }),
  };
}

/** Why the address could not be taken, in words an operator can act on. */
const LISTEN_ERRORS: Readonly<Record<string, string>> = {
  EADDRINUSE: "the address is in use (another server, or a previous run still stopping)",
  EACCES: "permission denied (ports below 1024 need privileges)",
  EADDRNOTAVAIL: "the host is not an address of this machine",
};

function listenFailure(error: Error, options: { readonly host: string; readonly port: number }): Error {
  const code = (error as { code?: unknown }).code;
  const reason = typeof code === "string" ? LISTEN_ERRORS[code] : undefined;
  if (reason === undefined) return error;
  return new DomainError(
    "unavailable",
    "ListenFailed",
    `cannot listen on ${options.host}:${options.port}: ${reason}; choose another with PB_HOST / PB_PORT`,
  );
}
