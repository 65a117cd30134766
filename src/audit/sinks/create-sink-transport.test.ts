import { describe, expect, it } from "vitest";
import { testDependencies } from "../../../test/doubles/transport-harness.ts";
import { DomainError } from "../../errors/domain-error.ts";
import { createSinkTransport } from "./create-sink-transport.ts";
import { sinkTypes, type SinkTransportConfig } from "./sink-transport.ts";

function build(config: Partial<SinkTransportConfig> & Pick<SinkTransportConfig, "type" | "url">) {
  return () => createSinkTransport({ format: "json", options: {}, ...config }, testDependencies());
}

function failure(make: () => unknown): DomainError {
  try {
    make();
  } catch (error) {
    if (error instanceof DomainError) return error;
    throw error;
  }
  throw new Error("expected a DomainError");
}

const valid: Record<(typeof sinkTypes)[number], SinkTransportConfig> = {
  "splunk-hec": {
    type: "splunk-hec",
    url: "https://splunk.example:8088",
    token: "t",
    format: "json",
    options: { ack: "true" },
  },
  datadog: { type: "datadog", url: "", token: "k", format: "json", options: { site: "datadoghq.eu" } },
  elasticsearch: {
    type: "elasticsearch",
    url: "https://u:p@es.example:9200",
    format: "ecs",
    options: { index: "audit" },
  },
  logstash: { type: "logstash", url: "http://logstash.example:8080", format: "json", options: {} },
  loki: { type: "loki", url: "https://loki.example", format: "json", options: { tenant: "t1" } },
  otlp: { type: "otlp", url: "https://otel.example:4318", format: "json", options: {} },
  syslog: {
    type: "syslog",
    url: "tls://siem.example:6514",
    format: "cef",
    options: { facility: 10, appName: "pb" },
  },
  webhook: {
    type: "webhook",
    url: "https://hooks.example/x",
    format: "json",
    secrets: [{ keyId: "k1", secret: "s" }],
    options: {},
  },
};

describe("createSinkTransport", () => {
  it.each(sinkTypes)("builds a %s transport from a valid configuration", async (type) => {
    const transport = createSinkTransport(valid[type], testDependencies());
    expect(transport.maxBatch).toBeGreaterThan(0);
    await transport.close();
  });

  it("refuses unknown and badly typed options with a clear message", () => {
    const unknown = failure(build({ type: "loki", url: "https://loki.example", options: { tennant: "x" } }));
    expect(unknown.code).toBe("InvalidSinkOptions");
    expect(unknown.kind).toBe("invalid");
    expect(unknown.message).toContain("tennant");
    const badFlag = failure(
      build({ type: "splunk-hec", url: "https://s.example", token: "t", options: { ack: "yes" } }),
    );
    expect(badFlag.message).toMatch(/^invalid splunk-hec sink options: ack/);
    const badIndex = failure(
      build({ type: "elasticsearch", url: "https://e.example", options: { index: "Upper" } }),
    );
    expect(badIndex.message).toContain("index");
    const badFacility = failure(
      build({ type: "syslog", url: "tcp://h:514", options: { facility: "local9" } }),
    );
    expect(badFacility.code).toBe("InvalidSinkOptions");
  });

  it("refuses URLs a type cannot use", () => {
    expect(failure(build({ type: "syslog", url: "https://h:514" })).code).toBe("InvalidSinkUrl");
    expect(failure(build({ type: "syslog", url: "tcp://h" })).code).toBe("InvalidSinkUrl");
    expect(failure(build({ type: "loki", url: "tcp://h:1" })).code).toBe("InvalidSinkUrl");
    expect(failure(build({ type: "otlp", url: "not a url" })).code).toBe("InvalidSinkUrl");
    expect(failure(build({ type: "elasticsearch", url: "" })).code).toBe("InvalidSinkUrl");
  });

  it("requires the credentials a receiver cannot work without", () => {
    expect(failure(build({ type: "splunk-hec", url: "https://s.example" })).code).toBe(
      "MissingSinkCredential",
    );
    expect(failure(build({ type: "datadog", url: "" })).code).toBe("MissingSinkCredential");
    expect(failure(build({ type: "webhook", url: "https://h.example" })).code).toBe("MissingSinkCredential");
    const badKey = build({
      type: "webhook",
      url: "https://h.example",
      secrets: [{ keyId: "a b", secret: "s" }],
    });
    expect(failure(badKey).code).toBe("InvalidSinkOptions");
  });
});
