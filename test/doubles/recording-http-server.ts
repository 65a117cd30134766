import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/** A request as a double received it: the exact bytes and headers. */
export interface RecordedRequest {
  readonly method: string;
  /** The path with its query string. */
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
}

/** What a double answers. */
export interface DoubleReply {
  readonly status: number;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: string | object;
}

/** `hang`: accept the request and never answer (the client must give up through its signal). */
export type ScriptedReply = DoubleReply | "hang";

export type DoubleHandler = (request: RecordedRequest) => ScriptedReply;

/**
 * The HTTP server under every conformance double: on 127.0.0.1, port 0, recording every request,
 * answering from a queue of scripted replies first (failures, hangs) and then from the double's
 * own handler.
 */
export class RecordingHttpServer {
  readonly requests: RecordedRequest[] = [];
  readonly #scripted: ScriptedReply[] = [];
  readonly #handler: DoubleHandler;
  readonly #server: Server;
  #url = "";

  private constructor(handler: DoubleHandler) {
    this.#handler = handler;
    this.#server = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on("data", (chunk: Buffer) => chunks.push(chunk));
      request.on("end", () => {
        this.#answer(
          {
            method: request.method ?? "",
            path: request.url ?? "",
            headers: request.headers,
            body: Buffer.concat(chunks),
          },
          response,
        );
      });
    });
  }

  static async start(handler: DoubleHandler): Promise<RecordingHttpServer> {
    const recording = new RecordingHttpServer(handler);
    await new Promise<void>((resolve) => recording.#server.listen(0, "127.0.0.1", resolve));
    const { port } = recording.#server.address() as AddressInfo;
    recording.#url = `http://127.0.0.1:${port}`;
    return recording;
  }

  /** `http://127.0.0.1:<port>`. */
  get url(): string {
    return this.#url;
  }

  /** The next requests get these replies, in order, whatever they hold. */
  script(...replies: ScriptedReply[]): void {
    this.#scripted.push(...replies);
  }

  /** Drops the scripted replies not given yet: the double answers from its handler again. */
  unscript(): void {
    this.#scripted.length = 0;
  }

  async close(): Promise<void> {
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) =>
      this.#server.close(() => {
        resolve();
      }),
    );
  }

  #answer(request: RecordedRequest, response: ServerResponse): void {
    this.requests.push(request);
    const reply = this.#scripted.shift() ?? this.#handler(request);
    if (reply !== "hang") send(response, reply);
  }
}

function send(response: ServerResponse, reply: DoubleReply): void {
  const body =
    reply.body === undefined ? "" : typeof reply.body === "string" ? reply.body : JSON.stringify(reply.body);
  const type = typeof reply.body === "object" ? { "content-type": "application/json" } : {};
  response.writeHead(reply.status, { ...type, ...reply.headers });
  response.end(body);
}

/** A header's single value (the last one when repeated). */
export function headerValue(request: RecordedRequest, name: string): string | undefined {
  const value = request.headers[name.toLowerCase()];
  return Array.isArray(value) ? value.at(-1) : value;
}

/** A receiver's double: a RecordingHttpServer that answers through the double's `handle`. */
export abstract class ReceiverDouble {
  server!: RecordingHttpServer;

  /** `http://127.0.0.1:<port>`. */
  get url(): string {
    return this.server.url;
  }

  close(): Promise<void> {
    return this.server.close();
  }

  /** Starts listening; what each double's `start` returns. */
  protected async listen(): Promise<this> {
    this.server = await RecordingHttpServer.start((request) => this.handle(request));
    return this;
  }

  protected abstract handle(request: RecordedRequest): DoubleReply;
}
