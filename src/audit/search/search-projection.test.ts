import { describe, expect, it } from "vitest";
import { searchProjection, type IndexableRow } from "./search-projection.ts";

function row(overrides: Partial<IndexableRow> = {}): IndexableRow {
  return {
    seq: 7,
    id: "01JF0000000000000000000007",
    schema_version: 1,
    timestamp: "2026-03-01T10:00:00.000Z",
    event: "package_access",
    action: "download",
    severity: "info",
    outcome: "success",
    user: "tok_1234",
    actor: JSON.stringify({ type: "token", id: "tok_1234", auth_method: "basic" }),
    ip_address: "203.0.113.7",
    user_agent: "Composer/2.8.4",
    request_id: "req_01",
    target: JSON.stringify({ type: "package", name: "acme/widget", version: "1.2.0" }),
    details: JSON.stringify({ status: 200 }),
    leaf_hash: "ab".repeat(32),
    purged_at: null,
    ip_key: "00000000000000000000ffffcb007107",
    ...overrides,
  };
}

describe("searchProjection", () => {
  it("keeps the envelope's keys and derives package, version and token from the JSON members", () => {
    expect(searchProjection(row())).toEqual({
      seq: 7,
      timestamp: "2026-03-01T10:00:00.000Z",
      event: "package_access",
      action: "download",
      severity: "info",
      outcome: "success",
      user: "tok_1234",
      package_name: "acme/widget",
      package_version: "1.2.0",
      repository_name: null,
      token_ref: "tok_1234",
      ip_key: "00000000000000000000ffffcb007107",
      request_id: "req_01",
      text:
        '01JF0000000000000000000007 package_access download info success tok_1234 {"type":"token","id":"tok_1234","auth_method":"basic"} ' +
        '203.0.113.7 Composer/2.8.4 req_01 {"type":"package","name":"acme/widget","version":"1.2.0"} {"status":200}',
    });
  });

  it("takes the repository from a repository target, or from details.repository", () => {
    const target = JSON.stringify({ type: "repository", name: "acme/private" });
    expect(searchProjection(row({ target })).repository_name).toBe("acme/private");
    const sync = row({ target: null, details: JSON.stringify({ repository: "acme/mirror" }) });
    expect(searchProjection(sync)).toMatchObject({ repository_name: "acme/mirror", package_name: null });
  });

  it("finds a token as the target of a token action, and none for a user actor", () => {
    const projection = searchProjection(
      row({
        actor: JSON.stringify({ type: "user", id: "usr_1" }),
        target: JSON.stringify({ type: "token", name: "tok_9" }),
      }),
    );
    expect(projection.token_ref).toBe("tok_9");
    expect(
      searchProjection(row({ actor: JSON.stringify({ type: "user", id: "usr_1" }) })).token_ref,
    ).toBeNull();
  });

  it("accepts a numeric version and ignores members of other types", () => {
    const numeric = row({ target: JSON.stringify({ type: "package", name: "acme/x", version: 2 }) });
    expect(searchProjection(numeric).package_version).toBe("2");
    const odd = row({ target: JSON.stringify({ type: "package", name: ["a"], version: { v: 1 } }) });
    expect(searchProjection(odd)).toMatchObject({ package_name: null, package_version: null });
  });

  it.each([
    ["not JSON", "{broken"],
    ["an array", "[1,2]"],
    ["a string", '"package"'],
    ["null", "null"],
  ])("derives no keys from a JSON column that is %s, and still indexes its text", (_name, stored) => {
    const projection = searchProjection(row({ actor: stored, target: stored, details: stored }));
    expect(projection).toMatchObject({ package_name: null, repository_name: null, token_ref: null });
    expect(projection.text).toContain(stored);
  });

  it("leaves absent columns out of the text", () => {
    const projection = searchProjection(
      row({ ip_address: null, user_agent: null, request_id: null, target: null }),
    );
    expect(projection.text).toBe(
      '01JF0000000000000000000007 package_access download info success tok_1234 {"type":"token","id":"tok_1234","auth_method":"basic"} {"status":200}',
    );
  });
});
