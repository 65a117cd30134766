import { readFile } from "node:fs/promises";
import net, { type Socket } from "node:net";
import tls from "node:tls";
import { z } from "zod";
import type { ProductInfo } from "../export/product-info.ts";
import { sinkRecordFacts, sinkRecordLine } from "./sink-record-document.ts";
import type {
  DeliveryResult,
  SinkFormat,
  SinkRecord,
  SinkTransport,
  SinkTransportConfig,
  SinkTransportDependencies,
} from "./sink-transport.ts";
import {
  octetCounted,
  syslogFacilities,
  syslogHeaderField,
  syslogMessage,
  type SyslogHeader,
} from "./syslog-message.ts";
import { textOption } from "./transport-options.ts";

const facilityNames = Object.keys(syslogFacilities) as [
  keyof typeof syslogFacilities,
  ...(keyof typeof syslogFacilities)[],
];

export const syslogOptionsSchema = z.strictObject({
  /** The CA that signed the receiver's certificate (tls://): a PEM file's path or the PEM itself. */
  ca: z.string().trim().min(1).max(200_000).optional(),
  /** The name the receiver's certificate must carry, when it is not the URL's host. */
  serverName: textOption.optional(),
  appName: z
    .string()
    .regex(/^[!-~]{1,48}$/, "1 to 48 printable ASCII characters, no spaces")
    .default("package-broker"),
  hostname: z
    .string()
    .regex(/^[!-~]{1,255}$/, "printable ASCII, no spaces")
    .optional(),
  facility: z.union([z.enum(facilityNames), z.coerce.number().int().min(0).max(23)]).default("audit"),
});
export type SyslogOptions = z.output<typeof syslogOptionsSchema>;

const RECEIVER = "syslog receiver";

/**
 * Syslog RFC 5424 over TCP (`tcp://host:port`) or TLS (`tls://host:port`, RFC 5425), framed with
 * RFC 6587 octet counting. One connection is kept and reused; after any error it is dropped and
 * the next delivery opens a new one. A batch is delivered once its bytes are written and flushed
 * to the operating system: plain syslog has no application acknowledgement (see the docs).
 */
export function createSyslogTransport(
  config: SinkTransportConfig,
  options: SyslogOptions,
  deps: SinkTransportDependencies,
): SinkTransport {
  const target = new URL(config.url);
  const header: SyslogHeader = {
    facility: typeof options.facility === "number" ? options.facility : syslogFacilities[options.facility],
    hostname: syslogHeaderField(options.hostname ?? deps.product.host ?? "-", 255),
    appName: options.appName,
  };
  let open: Socket | undefined;

  async function connect(signal: AbortSignal): Promise<Socket> {
    if (open !== undefined && !open.destroyed && open.writable) return open;
    const socket = await openSocket(target, options, signal);
    const drop = (): void => {
      socket.destroy();
      if (open === socket) open = undefined;
    };
    socket.on("error", drop);
    socket.on("end", drop);
    socket.on("close", drop);
    open = socket;
    return socket;
  }

  async function send(bytes: Buffer, signal: AbortSignal): Promise<DeliveryResult> {
    try {
      await written(await connect(signal), bytes, signal);
      return { kind: "delivered" };
    } catch (error) {
      open?.destroy();
      open = undefined;
      return { kind: "retry", error: `${RECEIVER}: ${reason(error, signal)}` };
    }
  }

  // Deliveries take turns on the one connection, so batches never interleave on the wire.
  let turn: Promise<unknown> = Promise.resolve();
  return {
    maxBatch: 500,
    deliver(records, signal) {
      const bytes = syslogFrames(records, header, config.format, deps.product);
      const mine = turn.then(() => send(bytes, signal));
      turn = mine;
      return mine;
    },
    close() {
      const socket = open;
      open = undefined;
      if (socket === undefined || socket.destroyed) return Promise.resolve();
      return new Promise((resolve) => {
        socket.end(() => {
          socket.destroy();
          resolve();
        });
      });
    },
  };
}

/** The records as RFC 5424 messages, each framed with its length (RFC 6587 octet counting). */
function syslogFrames(
  records: readonly SinkRecord[],
  header: SyslogHeader,
  format: SinkFormat,
  product: ProductInfo,
): Buffer {
  return Buffer.concat(
    records.map((record) =>
      octetCounted(
        syslogMessage(record, sinkRecordFacts(record), header, sinkRecordLine(record, format, product)),
      ),
    ),
  );
}

/** A connected socket (TLS handshake and certificate checks done for tls://). */
async function openSocket(target: URL, options: SyslogOptions, signal: AbortSignal): Promise<Socket> {
  const secure = target.protocol === "tls:";
  const host = target.hostname.replace(/^\[(.*)\]$/, "$1");
  const port = Number(target.port);
  const ca = options.ca === undefined ? undefined : await pem(options.ca);
  const socket = secure
    ? tls.connect({
        host,
        port,
        ...(ca === undefined ? {} : { ca }),
        servername: options.serverName ?? serverNameOf(host),
      })
    : net.connect({ host, port });
  await connected(socket, secure ? "secureConnect" : "connect", signal);
  socket.setKeepAlive(true);
  // Nothing is expected back; reading lets a close from the receiver be noticed.
  socket.resume();
  return socket;
}

async function pem(ca: string): Promise<string> {
  return ca.startsWith("-----BEGIN") ? ca : readFile(ca, "utf8");
}

/** SNI takes a host name, never an address. */
function serverNameOf(host: string): string | undefined {
  return net.isIP(host) === 0 ? host : undefined;
}

type Settle = (error?: Error | null) => void;

/**
 * Runs `start`, which calls `settle` when its step is done (with an error if it failed). An
 * error, a close or the signal ends the wait first, destroying the socket.
 */
function settled(socket: Socket, signal: AbortSignal, start: (settle: Settle) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    const settle: Settle = (error) => {
      socket.off("error", settle);
      socket.off("close", onClose);
      signal.removeEventListener("abort", onAbort);
      if (error === undefined || error === null) {
        resolve();
      } else {
        socket.destroy();
        reject(error);
      }
    };
    const onClose = (): void => {
      settle(new Error("the connection was closed"));
    };
    const onAbort = (): void => {
      settle(new Error("the attempt was aborted"));
    };
    if (signal.aborted) {
      onAbort();
      return;
    }
    socket.once("error", settle);
    socket.once("close", onClose);
    signal.addEventListener("abort", onAbort, { once: true });
    start(settle);
  });
}

/** Resolves once the socket is connected (and, for TLS, the handshake and checks are done). */
function connected(socket: Socket, event: "connect" | "secureConnect", signal: AbortSignal): Promise<void> {
  return settled(socket, signal, (settle) => {
    socket.once(event, () => {
      settle();
    });
  });
}

/** Resolves when `bytes` are handed to the operating system (the write callback). */
function written(socket: Socket, bytes: Buffer, signal: AbortSignal): Promise<void> {
  return settled(socket, signal, (settle) => {
    socket.write(bytes, settle);
  });
}

function reason(error: unknown, signal: AbortSignal): string {
  if (signal.aborted) return "no connection or write before the attempt was aborted";
  if (error instanceof Error) {
    const code = (error as Error & { code?: unknown }).code;
    return typeof code === "string" ? `${code} ${error.message}` : error.message;
  }
  return String(error);
}
