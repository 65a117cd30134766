import type { SecretBox } from "../../access/secret-box.ts";
import type { Clock } from "../../clock/clock.ts";
import type { AuditSinkRow } from "../../storage/database/audit-sink-records.ts";
import {
  activeSecrets,
  parseSinkCredentials,
  withUserinfo,
  type SinkCredentials,
} from "./sink-credentials.ts";
import type { SinkFormat, SinkTransport, SinkTransportConfig, SinkType } from "./sink-transport.ts";

/** Builds a transport from its configuration; throws a DomainError for a configuration it refuses. */
export type SinkTransportFactory = (config: SinkTransportConfig) => SinkTransport;

/**
 * The open transport of each sink (a syslog transport keeps its connection between batches),
 * rebuilt when the sink's settings change and closed when it goes.
 */
export class SinkTransportPool {
  readonly #factory: SinkTransportFactory;
  readonly #secrets: SecretBox;
  readonly #clock: Clock;
  readonly #open = new Map<string, { readonly version: string; readonly transport: SinkTransport }>();

  constructor(options: { factory: SinkTransportFactory; secrets: SecretBox; clock: Clock }) {
    this.#factory = options.factory;
    this.#secrets = options.secrets;
    this.#clock = options.clock;
  }

  /** The sink's transport, built now if its settings changed since the last one. */
  get(sink: AuditSinkRow): SinkTransport {
    const version = `${sink.updated_at}|${this.#credentialsVersion(sink)}`;
    const open = this.#open.get(sink.id);
    if (open?.version === version) return open.transport;
    if (open !== undefined) void open.transport.close();
    const transport = this.#factory(this.configOf(sink));
    this.#open.set(sink.id, { version, transport });
    return transport;
  }

  /** A transport of its own for the sink (a test delivery), which the caller closes. */
  fresh(sink: AuditSinkRow): SinkTransport {
    return this.#factory(this.configOf(sink));
  }

  /** A transport for a configuration (to check it), which the caller closes. */
  build(config: SinkTransportConfig): SinkTransport {
    return this.#factory(config);
  }

  /** The transport configuration of a stored sink, its credentials opened. */
  configOf(sink: AuditSinkRow): SinkTransportConfig {
    const credentials = this.credentialsOf(sink);
    const secrets = activeSecrets(credentials, this.#clock.now());
    return {
      type: sink.type as SinkType,
      url: withUserinfo(sink.url, credentials.userinfo),
      format: sink.format as SinkFormat,
      ...(credentials.token === undefined ? {} : { token: credentials.token }),
      ...(secrets.length === 0 ? {} : { secrets }),
      options: JSON.parse(sink.options) as SinkTransportConfig["options"],
    };
  }

  credentialsOf(sink: Pick<AuditSinkRow, "secret">): SinkCredentials {
    return sink.secret === null ? {} : parseSinkCredentials(this.#secrets.open(sink.secret));
  }

  /** Closes the transports of sinks that are gone. */
  async retainOnly(sinks: readonly AuditSinkRow[]): Promise<void> {
    const ids = new Set(sinks.map((sink) => sink.id));
    for (const [id, open] of this.#open) {
      if (ids.has(id)) continue;
      this.#open.delete(id);
      await open.transport.close();
    }
  }

  async closeAll(): Promise<void> {
    const open = [...this.#open.values()];
    this.#open.clear();
    await Promise.all(open.map((entry) => entry.transport.close()));
  }

  /** Secrets retire with time alone: the transport is rebuilt when the set of active keys changes. */
  #credentialsVersion(sink: AuditSinkRow): string {
    if (sink.secret === null || sink.type !== "webhook") return "";
    return activeSecrets(this.credentialsOf(sink), this.#clock.now())
      .map((secret) => secret.keyId)
      .join(",");
  }
}
