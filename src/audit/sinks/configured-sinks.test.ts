import fs from "node:fs";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ScriptedReceiver } from "../../../test/builders/scripted-sink-transport.ts";
import { TestRuntime } from "../../../test/builders/test-runtime.ts";
import { domainErrorOf } from "../../../test/support/domain-error-of.ts";
import { systemContext } from "../audit-event.ts";
import { auditTrail, type AuditTrail } from "../audit-trail.ts";
import { applyConfiguredSinks } from "./configured-sinks.ts";

let t: TestRuntime;
let trail: AuditTrail;
let file: string;

beforeEach(async () => {
  t = await TestRuntime.start({ runtimeOptions: { sinkTransportFactory: new ScriptedReceiver().factory } });
  trail = auditTrail(t.runtime.audit.log, systemContext);
  file = path.join(t.root, "sinks.yaml");
});

afterEach(async () => {
  await t.cleanup();
});

const write = (text: string): void => {
  fs.writeFileSync(file, text);
};
const apply = () => applyConfiguredSinks(file, t.runtime.auditSinks, trail);
const eventsOf = async (action: string): Promise<number> =>
  (await t.runtime.audit.records.range(1, 10_000)).filter((row) => row.action === action).length;

describe("applyConfiguredSinks", () => {
  it("creates the listed sinks, changes nothing when applied again, and follows a change", async () => {
    fs.writeFileSync(path.join(t.root, "hec.token"), "hec-token-from-a-file\n");
    write(`sinks:
  - name: splunk
    type: splunk-hec
    url: https://indexer:pw@splunk.example.com:8088
    tokenFile: ${path.join(t.root, "hec.token")}
    options: { index: audit }
  - name: hook
    type: webhook
    url: https://hooks.example.com/audit
    secret: first-signing-secret-0123
`);
    expect(await apply()).toEqual({ created: ["splunk", "hook"], updated: [], unchanged: [] });
    const splunk = await t.runtime.auditSinks.configured("splunk");
    expect(splunk).toMatchObject({
      url: "https://indexer:pw@splunk.example.com:8088/",
      token: "hec-token-from-a-file",
      options: { index: "audit" },
    });
    const created = await eventsOf("sink_created");
    expect(await apply()).toEqual({ created: [], updated: [], unchanged: ["splunk", "hook"] });
    expect(await eventsOf("sink_created")).toBe(created);
    expect(await eventsOf("sink_updated")).toBe(0);

    write(`sinks:
  - name: splunk
    type: splunk-hec
    url: https://indexer:pw@splunk.example.com:8088
    token: a-new-token
    options: { index: security }
  - name: hook
    type: webhook
    url: https://hooks.example.com/audit
    secret: second-signing-secret-0123
`);
    expect(await apply()).toEqual({ created: [], updated: ["splunk", "hook"], unchanged: [] });
    expect(await t.runtime.auditSinks.configured("splunk")).toMatchObject({
      token: "a-new-token",
      options: { index: "security" },
    });
    const hook = await t.runtime.auditSinks.configured("hook");
    expect(hook?.signingSecret).toBe("second-signing-secret-0123");
    expect((await t.runtime.auditSinks.get(hook?.id ?? "")).credentials.signingKeys).toHaveLength(2);
    expect(await eventsOf("sink_secret_rotated")).toBe(1);
  });

  it("leaves sinks made through the API alone", async () => {
    await t.runtime.auditSinks.add({ type: "loki", url: "https://loki.example.com", name: "mine" }, trail);
    write(`sinks: []\n`);
    expect(await apply()).toEqual({ created: [], updated: [], unchanged: [] });
    expect((await t.runtime.auditSinks.list()).map((sink) => sink.name)).toEqual(["mine"]);
  });

  it("refuses a file it cannot read or use, naming what is wrong", async () => {
    const cases: [string, string][] = [
      ["sinks: [", "AuditSinksFileUnreadable"],
      ["- just a list\n", "AuditSinksFileInvalid"],
      ["sinks:\n  - { type: loki, url: https://l.example }\n", "AuditSinksFileInvalid"],
      ["sinks:\n  - { name: a, type: loki, url: https://l.example, colour: red }\n", "AuditSinksFileInvalid"],
      [
        "sinks:\n  - { name: a, type: loki, url: https://l.example }\n  - { name: a, type: loki, url: https://m.example }\n",
        "AuditSinksFileInvalid",
      ],
      [
        "sinks:\n  - { name: a, type: splunk-hec, url: https://s.example, token: x, tokenFile: /etc/x }\n",
        "AuditSinksFileInvalid",
      ],
      [
        "sinks:\n  - { name: a, type: splunk-hec, url: https://s.example, tokenFile: /nonexistent/x }\n",
        "AuditSinksFileUnreadable",
      ],
      [
        `a: &a ["x","x","x","x","x","x","x","x","x"]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\nsinks: [*c]\n`,
        "AuditSinksFileUnreadable",
      ],
    ];
    for (const [text, code] of cases) {
      write(text);
      expect((await domainErrorOf(apply())).code, text).toBe(code);
    }
    const missing = path.join(t.root, "absent.yaml");
    const error = await domainErrorOf(applyConfiguredSinks(missing, t.runtime.auditSinks, trail));
    expect(error.message).toContain(missing);
    expect(await t.runtime.auditSinks.list()).toEqual([]);
  });
});
