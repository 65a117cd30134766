import type { z } from "zod";
import { invalidInput } from "../../errors/domain-error.ts";
import { createDatadogTransport, datadogOptionsSchema } from "./datadog-transport.ts";
import { createElasticsearchTransport, elasticsearchOptionsSchema } from "./elasticsearch-transport.ts";
import { createLogstashTransport, logstashOptionsSchema } from "./logstash-transport.ts";
import { createLokiTransport, lokiOptionsSchema } from "./loki-transport.ts";
import { createOtlpTransport, otlpOptionsSchema } from "./otlp-transport.ts";
import type {
  SigningSecret,
  SinkTransport,
  SinkTransportConfig,
  SinkTransportDependencies,
  SinkType,
} from "./sink-transport.ts";
import { createSplunkHecTransport, splunkHecOptionsSchema } from "./splunk-hec-transport.ts";
import { createSyslogTransport, syslogOptionsSchema } from "./syslog-transport.ts";
import { createWebhookTransport, webhookOptionsSchema } from "./webhook-transport.ts";

/** A webhook key id: it appears in a header, between commas and spaces. */
const KEY_ID = /^[A-Za-z0-9._-]{1,64}$/;

/**
 * The transport of a sink's configuration. Throws an `invalid` DomainError (codes
 * `InvalidSinkUrl`, `InvalidSinkOptions`, `MissingSinkCredential`) for a configuration no
 * delivery could succeed with; nothing is contacted here.
 */
export function createSinkTransport(
  config: SinkTransportConfig,
  deps: SinkTransportDependencies,
): SinkTransport {
  checkUrl(config.type, config.url);
  switch (config.type) {
    case "splunk-hec":
      return createSplunkHecTransport(withToken(config), options(config, splunkHecOptionsSchema), deps);
    case "datadog":
      return createDatadogTransport(withToken(config), options(config, datadogOptionsSchema), deps);
    case "elasticsearch":
      return createElasticsearchTransport(config, options(config, elasticsearchOptionsSchema), deps);
    case "logstash":
      return createLogstashTransport(config, options(config, logstashOptionsSchema), deps);
    case "loki":
      return createLokiTransport(config, options(config, lokiOptionsSchema), deps);
    case "otlp":
      return createOtlpTransport(config, options(config, otlpOptionsSchema), deps);
    case "syslog":
      return createSyslogTransport(config, options(config, syslogOptionsSchema), deps);
    case "webhook":
      return createWebhookTransport(withSecrets(config), options(config, webhookOptionsSchema), deps);
  }
}

function options<Schema extends z.ZodType>(config: SinkTransportConfig, schema: Schema): z.output<Schema> {
  const parsed = schema.safeParse(config.options);
  if (parsed.success) return parsed.data;
  const issues = parsed.error.issues.map((issue) => ({
    option: issue.path.join(".") || (issue.code === "unrecognized_keys" ? issue.keys.join(", ") : ""),
    message: issue.message,
  }));
  const summary = issues.map((issue) =>
    issue.option === "" ? issue.message : `${issue.option}: ${issue.message}`,
  );
  return failOptions(config.type, summary.join("; "), issues);
}

function failOptions(type: SinkType, summary: string, issues: readonly object[]): never {
  throw invalidInput("InvalidSinkOptions", `invalid ${type} sink options: ${summary}`, { issues });
}

function checkUrl(type: SinkType, url: string): void {
  if (type === "datadog" && url === "") return;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw invalidInput("InvalidSinkUrl", `the ${type} sink URL is not a URL`);
  }
  if (type === "syslog") {
    if (
      (parsed.protocol !== "tcp:" && parsed.protocol !== "tls:") ||
      parsed.port === "" ||
      parsed.hostname === ""
    ) {
      throw invalidInput("InvalidSinkUrl", "a syslog sink URL is tcp://host:port or tls://host:port");
    }
    return;
  }
  if (parsed.protocol !== "https:" && parsed.protocol !== "http:") {
    throw invalidInput("InvalidSinkUrl", `a ${type} sink URL starts with https:// (or http://)`);
  }
  if (parsed.hash !== "") throw invalidInput("InvalidSinkUrl", `a ${type} sink URL has no #fragment`);
}

function withToken(config: SinkTransportConfig): SinkTransportConfig & { readonly token: string } {
  const { token } = config;
  if (token === undefined || token === "") {
    throw invalidInput("MissingSinkCredential", `a ${config.type} sink needs a token (its API key)`);
  }
  return { ...config, token };
}

function withSecrets(
  config: SinkTransportConfig,
): SinkTransportConfig & { readonly secrets: readonly SigningSecret[] } {
  const secrets = config.secrets ?? [];
  if (secrets.length === 0) {
    throw invalidInput("MissingSinkCredential", "a webhook sink needs a signing secret");
  }
  const bad = secrets.find((secret) => !KEY_ID.test(secret.keyId) || secret.secret === "");
  if (bad !== undefined) {
    throw invalidInput(
      "InvalidSinkOptions",
      "webhook key ids are 1 to 64 of A-Z a-z 0-9 . _ - and secrets are not empty",
    );
  }
  return { ...config, secrets };
}
