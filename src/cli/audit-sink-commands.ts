import type { Command } from "commander";
import type { AuditSinks } from "../audit/sinks/audit-sinks.ts";
import type { SinkView, ParkedRecordView } from "../audit/sinks/sink-view.ts";
import { invalidInput } from "../errors/domain-error.ts";
import type { Runtime } from "../runtime.ts";
import { CommandFailed, consoleTrail, output, withRuntime, type CliIo } from "./cli-context.ts";
import { parseWholeNumber } from "./parse-whole-number.ts";
import { printable, textTable } from "./text-table.ts";

interface JsonOption {
  json?: boolean;
}

interface AddOptions extends JsonOption {
  type: string;
  url?: string;
  name?: string;
  format?: string;
  token?: string;
  secret?: string;
  tokenStdin?: boolean;
  secretStdin?: boolean;
  option: string[];
  from?: string;
}

/**
 * `package-broker audit sink add|list|show|test|pause|resume|rotate-secret|parked|remove`: where
 * the audit log is forwarded (docs/audit-forwarding.md). A sink is named by its id or its name.
 */
export function registerAuditSinkCommands(
  audit: Command,
  io: CliIo,
  run: (work: () => Promise<void>) => Promise<void>,
): void {
  const sink = audit
    .command("sink")
    .description("forward the audit log to SIEMs: Splunk, Datadog, Elastic ...");
  const act = <T>(work: (sinks: AuditSinks, runtime: Runtime) => Promise<T>): Promise<T> =>
    withRuntime(io, (runtime) => work(runtime.auditSinks, runtime));

  sink
    .command("add")
    .description("add a sink; delivery starts with the next server round, from the oldest retained event")
    .requiredOption(
      "--type <type>",
      "splunk-hec, datadog, elasticsearch, logstash, loki, otlp, syslog or webhook",
    )
    .option(
      "--url <url>",
      "the receiver (https://..., or tcp:// / tls://host:port for syslog); Datadog: its site's intake by default",
    )
    .option("--name <name>", "a name to tell sinks apart (default: type and host)")
    .option("--format <format>", "json, ecs or cef")
    .option("--token <token>", "the receiver's credential (Splunk HEC token, Datadog API key ...)")
    .option("--token-stdin", "read the token from standard input instead")
    .option("--secret <secret>", "a webhook's signing secret (16 characters or more)")
    .option("--secret-stdin", "read the signing secret from standard input instead")
    .option(
      "--option <key=value>",
      "an option of the type, repeatable (index=main, site=datadoghq.eu ...)",
      collect,
      [],
    )
    .option("--from <start|now>", "forward every retained event (start, the default) or only new ones (now)")
    .option("--json", "print JSON")
    .action((options: AddOptions) =>
      run(async () => {
        const input = await addInput(io, options);
        const view = await act((sinks, runtime) => sinks.add(input, consoleTrail(runtime)));
        output(
          io,
          options.json === true,
          view,
          () => `Added sink ${view.id} (${view.name})\n${describeSink(view)}`,
        );
      }),
    );

  sink
    .command("list")
    .description("every sink with its lag, last success and last error")
    .option("--json", "print JSON")
    .action((options: JsonOption) =>
      run(async () => {
        const sinks = await act((s) => s.list());
        output(io, options.json === true, { sinks }, () => describeList(sinks));
      }),
    );

  sink
    .command("show")
    .description("one sink's settings and health")
    .argument("<sink>", "its id or name")
    .option("--json", "print JSON")
    .action((name: string, options: JsonOption) =>
      run(async () => {
        const view = await act(async (s) => s.get(await resolveSink(s, name)));
        output(io, options.json === true, view, () => describeSink(view));
      }),
    );

  sink
    .command("test")
    .description("send one test event now (exit 0 delivered, 1 not delivered)")
    .argument("<sink>", "its id or name")
    .option("--json", "print JSON")
    .action((name: string, options: JsonOption) =>
      run(async () => {
        const result = await act(async (s, runtime) =>
          s.test(await resolveSink(s, name), consoleTrail(runtime)),
        );
        output(io, options.json === true, result, () =>
          result.delivered
            ? `Delivered in ${result.durationMs} ms`
            : `Not delivered (${result.durationMs} ms): ${printable(result.error ?? "unknown error")}`,
        );
        if (!result.delivered) throw new CommandFailed(1);
      }),
    );

  for (const [command, paused, description] of [
    ["pause", true, "stop delivering; the sink keeps its place"],
    ["resume", false, "deliver again, from where the sink stopped"],
  ] as const) {
    sink
      .command(command)
      .description(description)
      .argument("<sink>", "its id or name")
      .option("--json", "print JSON")
      .action((name: string, options: JsonOption) =>
        run(async () => {
          const view = await act(async (s, runtime) =>
            s.update(await resolveSink(s, name), { paused }, consoleTrail(runtime)),
          );
          output(io, options.json === true, view, () => `${view.name}: ${paused ? "paused" : "delivering"}`);
        }),
      );
  }

  sink
    .command("rotate-secret")
    .description("a new signing secret for a webhook; the old one keeps signing during the overlap")
    .argument("<sink>", "its id or name")
    .option("--secret <secret>", "the new secret (16 characters or more)")
    .option("--secret-stdin", "read the new secret from standard input instead")
    .option("--overlap-hours <hours>", "how long the previous secrets keep signing (default 24)")
    .option("--json", "print JSON")
    .action(
      (
        name: string,
        options: JsonOption & { secret?: string; secretStdin?: boolean; overlapHours?: string },
      ) =>
        run(async () => {
          const secret = await credential(io, "--secret", options.secret, options.secretStdin);
          if (secret === undefined)
            throw invalidInput("SecretRequired", "give the new secret: --secret or --secret-stdin");
          const overlapHours =
            options.overlapHours === undefined ? undefined : parseWholeNumber(options.overlapHours);
          const view = await act(async (s, runtime) =>
            s.rotateSecret(
              await resolveSink(s, name),
              { secret, ...(overlapHours === undefined ? {} : { overlapHours }) },
              consoleTrail(runtime),
            ),
          );
          output(io, options.json === true, view, () =>
            view.credentials.signingKeys
              .map(
                (key) =>
                  `${key.keyId}  since ${key.createdAt}${key.retiresAt === null ? "" : `  until ${key.retiresAt}`}`,
              )
              .join("\n"),
          );
        }),
    );

  sink
    .command("parked")
    .description("records the receiver refused for good, with its error")
    .argument("<sink>", "its id or name")
    .option("--json", "print JSON")
    .action((name: string, options: JsonOption) =>
      run(async () => {
        const parked = await act(async (s) => s.parked(await resolveSink(s, name)));
        output(io, options.json === true, { parked }, () => describeParked(parked));
      }),
    );

  sink
    .command("remove")
    .description("stop forwarding to a sink and forget its cursor")
    .argument("<sink>", "its id or name")
    .option("--json", "print JSON")
    .action((name: string, options: JsonOption) =>
      run(async () => {
        const id = await act(async (s, runtime) => {
          const found = await resolveSink(s, name);
          await s.remove(found, consoleTrail(runtime));
          return found;
        });
        output(io, options.json === true, { id, removed: true }, () => `Removed sink ${id}`);
      }),
    );
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

async function addInput(io: CliIo, options: AddOptions): Promise<Record<string, unknown>> {
  const token = await credential(io, "--token", options.token, options.tokenStdin);
  const secret = await credential(io, "--secret", options.secret, options.secretStdin);
  return {
    type: options.type,
    ...(options.url === undefined ? {} : { url: options.url }),
    ...(options.name === undefined ? {} : { name: options.name }),
    ...(options.format === undefined ? {} : { format: options.format }),
    ...(token === undefined ? {} : { token }),
    ...(secret === undefined ? {} : { secret }),
    ...(options.option.length === 0 ? {} : { options: parseOptions(options.option) }),
    ...(options.from === undefined ? {} : { from: options.from }),
  };
}

/** A credential from its flag or from standard input (one line), never both. */
async function credential(
  io: CliIo,
  flag: string,
  value: string | undefined,
  fromStdin: boolean | undefined,
): Promise<string | undefined> {
  if (fromStdin !== true) return value;
  if (value !== undefined) throw invalidInput("CredentialTwice", `give ${flag} or ${flag}-stdin, not both`);
  if (io.readStdin === undefined) throw invalidInput("NoStdin", `${flag}-stdin needs standard input`);
  const line = (await io.readStdin()).replace(/\r?\n$/, "");
  if (line === "") throw invalidInput("EmptyCredential", `${flag}-stdin read nothing`);
  return line;
}

/** `key=value` pairs; `true`/`false` become booleans and whole numbers numbers. */
export function parseOptions(pairs: readonly string[]): Record<string, string | number | boolean> {
  const options: Record<string, string | number | boolean> = {};
  for (const pair of pairs) {
    const at = pair.indexOf("=");
    if (at <= 0) throw invalidInput("InvalidOption", `--option takes key=value, got ${JSON.stringify(pair)}`);
    const key = pair.slice(0, at);
    const value = pair.slice(at + 1);
    if (Object.hasOwn(options, key)) throw invalidInput("InvalidOption", `--option ${key} is given twice`);
    options[key] =
      value === "true"
        ? true
        : value === "false"
          ? false
          : /^-?[0-9]{1,15}$/.test(value)
            ? Number(value)
            : value;
  }
  return options;
}

/** A sink's id from its id or its name. */
async function resolveSink(sinks: AuditSinks, idOrName: string): Promise<string> {
  if (idOrName.startsWith("snk_")) return idOrName;
  const found = (await sinks.list()).find((sink) => sink.name === idOrName);
  return found?.id ?? idOrName;
}

function describeList(sinks: readonly SinkView[]): string {
  if (sinks.length === 0) return "No sinks. Add one: package-broker audit sink add --type TYPE --url URL";
  return textTable([
    ["ID", "NAME", "TYPE", "STATE", "LAG", "LAST SUCCESS", "LAST ERROR"],
    ...sinks.map((sink) => [
      sink.id,
      printable(sink.name),
      sink.type,
      sink.paused ? "paused" : sink.failures > 0 ? `retrying (${sink.failures})` : "delivering",
      `${sink.lag.events} events / ${sink.lag.seconds}s`,
      sink.lastSuccessAt ?? "never",
      sink.lastError === null ? "-" : printable(sink.lastError).slice(0, 60),
    ]),
  ]);
}

function describeSink(sink: SinkView): string {
  return [
    `Name:         ${printable(sink.name)}`,
    `Type:         ${sink.type} (${sink.format})`,
    `URL:          ${printable(sink.url)}`,
    `State:        ${sink.paused ? `paused since ${sink.pausedAt ?? "?"}` : "delivering"}`,
    `Lag:          ${sink.lag.events} events, ${sink.lag.seconds} s`,
    `Delivered:    ${sink.delivered} records, up to seq ${sink.cursor}`,
    `Last success: ${sink.lastSuccessAt ?? "never"}`,
    `Last error:   ${sink.lastError === null ? "-" : `${printable(sink.lastError)} (${sink.lastErrorAt ?? "?"})`}`,
    `Next attempt: ${sink.nextAttemptAt ?? "now"}`,
    `Parked:       ${sink.parked}`,
  ].join("\n");
}

function describeParked(parked: readonly ParkedRecordView[]): string {
  if (parked.length === 0) return "Nothing parked.";
  return textTable([
    ["SEQ", "KIND", "RECORD", "PARKED AT", "ERROR"],
    ...parked.map((entry) => [
      String(entry.seq),
      entry.kind,
      entry.recordId,
      entry.parkedAt,
      printable(entry.error).slice(0, 80),
    ]),
  ]);
}
