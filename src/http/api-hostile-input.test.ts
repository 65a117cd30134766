import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TestRuntime } from "../../test/builders/test-runtime.ts";
import { databaseSnapshot } from "../../test/support/database-snapshot.ts";
import { rowToEvent } from "../audit/audit-row.ts";
import { LIMITS } from "../runtime.ts";

/**
 * Hostile bodies against every operation of the published document that takes a JSON body, sent
 * by an admin (who may do everything, so only the input can be the reason for a refusal): each
 * gets its clear 4xx problem, a change records its failed audit event, and nothing is stored.
 */

const t = await TestRuntime.start();
const withJsonBody = t.openApi
  .documented()
  .map(({ method, template, operation }) => ({
    method,
    path: template.replace(/\{\w+\}/g, "nope"),
    operation,
  }))
  .filter(({ operation }) => operation.requestBody?.content["application/json"] !== undefined);

let headers: Record<string, string> = {};

beforeAll(async () => {
  headers = { ...(await t.signInAs("admin")).headers };
});

afterAll(async () => {
  await t.cleanup();
});

const HOSTILE: readonly { name: string; type: string; body: string; status: number; code: string }[] = [
  { name: "an array", type: "application/json", body: "[]", status: 400, code: "InvalidRequest" },
  { name: "a string", type: "application/json", body: '"text"', status: 400, code: "InvalidRequest" },
  { name: "null", type: "application/json", body: "null", status: 400, code: "InvalidRequest" },
  { name: "broken JSON", type: "application/json", body: '{"a":', status: 400, code: "InvalidJson" },
  { name: "invalid UTF-8", type: "application/json", body: "", status: 400, code: "InvalidJson" },
  {
    name: "an unknown field",
    type: "application/json",
    body: JSON.stringify({ unexpectedField: { nested: [1, 2, 3] } }),
    status: 400,
    code: "InvalidRequest",
  },
  {
    name: "a body over the limit",
    type: "application/json",
    body: `{"a":"${"x".repeat(LIMITS.maxJsonBytes)}"}`,
    status: 413,
    code: "BodyTooLarge",
  },
  { name: "the wrong media type", type: "text/plain", body: "{}", status: 415, code: "UnsupportedMediaType" },
];

describe("hostile bodies against every operation with a JSON body", () => {
  it("finds the operations in the document", () => {
    expect(withJsonBody.length).toBeGreaterThan(8);
  });

  const cases = withJsonBody.flatMap((route) => HOSTILE.map((hostile) => ({ ...route, hostile })));
  let before = "";

  beforeAll(async () => {
    before = await databaseSnapshot(t.runtime.database.db);
  });

  it.each(cases)("$method $path with $hostile.name", async ({ method, path, operation, hostile }) => {
    const mark = (await t.runtime.audit.records.state()).size;
    // `{"a":"\xff"}`: a byte that is no UTF-8.
    const body =
      hostile.name === "invalid UTF-8"
        ? Buffer.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xff, 0x22, 0x7d])
        : Buffer.from(hostile.body);
    const response = await t.request(path, {
      method,
      headers: { ...headers, "content-type": hostile.type },
      body: new Uint8Array(body),
    });
    expect(response.status, await response.clone().text()).toBe(hostile.status);
    expect(response.headers.get("content-type")).toBe("application/problem+json");
    // A service with its own check names it (the settings' InvalidSettings).
    const code = ((await response.json()) as { code: string }).code;
    expect(
      code === hostile.code || (hostile.code === "InvalidRequest" && code === "InvalidSettings"),
      code,
    ).toBe(true);
    const audited = operation["x-audit-event"];
    if (audited === undefined) return;
    const [event, action] = audited.split(".");
    const rows = await t.runtime.audit.records.range(mark + 1, 100);
    const recorded = rows.map(rowToEvent).find((e) => e.event === event && e.action === action);
    expect(recorded, `${audited} recorded`).toMatchObject({
      outcome: "failure",
      actor: { type: "user" },
      details: { code },
    });
  });

  it("changed nothing", async () => {
    expect(await databaseSnapshot(t.runtime.database.db)).toBe(before);
  });
});
