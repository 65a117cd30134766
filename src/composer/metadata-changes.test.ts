import { describe, expect, it } from "vitest";
import { readMetadataChanges } from "./metadata-changes.ts";

describe("readMetadataChanges", () => {
  it("reads Packagist's answer: updates, deletes, ~dev documents, and its timestamp", () => {
    const body = JSON.stringify({
      actions: [
        { type: "update", package: "acme/lib", time: 1_700_000_000 },
        { type: "update", package: "acme/lib~dev", time: 1_700_000_001 },
        { type: "delete", package: "acme/gone", time: 1_700_000_002 },
      ],
      timestamp: 17_000_000_020_000,
    });
    expect(readMetadataChanges(body)).toEqual({
      kind: "changes",
      changes: [
        { type: "update", packageName: "acme/lib", dev: false },
        { type: "update", packageName: "acme/lib", dev: true },
        { type: "delete", packageName: "acme/gone", dev: false },
      ],
      skipped: 0,
      timestamp: "17000000020000",
    });
  });

  it("skips unknown action types and names that are not package names", () => {
    const body = JSON.stringify({
      actions: [
        { type: "frobnicate", package: "acme/lib" },
        { type: "update", package: "Not A Name" },
        { type: "update", package: "../../etc/passwd" },
        { type: "update", package: 42 },
        { type: "update" },
        null,
        "update",
        { type: "update", package: "acme/ok" },
      ],
      timestamp: 5,
    });
    expect(readMetadataChanges(body)).toEqual({
      kind: "changes",
      changes: [{ type: "update", packageName: "acme/ok", dev: false }],
      skipped: 7,
      timestamp: "5",
    });
  });

  it("turns an error answer (since missing or too old) and a resync action into a resync", () => {
    expect(
      readMetadataChanges('{"error":"Invalid or missing \\"since\\"","timestamp":17000000000000}'),
    ).toEqual({
      kind: "resync",
      timestamp: "17000000000000",
    });
    const resync = {
      actions: [
        { type: "update", package: "a/b" },
        { type: "resync", package: "*" },
      ],
      timestamp: 9,
    };
    expect(readMetadataChanges(JSON.stringify(resync))).toEqual({ kind: "resync", timestamp: "9" });
  });

  it.each([
    ["not JSON", "<html>", /it is not JSON/],
    ["an array", "[]", /not a JSON object/],
    ["no timestamp", '{"actions":[]}', /no numeric "timestamp"/],
    ["a negative timestamp", '{"actions":[],"timestamp":-1}', /no numeric "timestamp"/],
    ["a fractional timestamp", '{"actions":[],"timestamp":1.5}', /no numeric "timestamp"/],
    ["actions that are not a list", '{"actions":{},"timestamp":1}', /no "actions" list/],
  ])("refuses %s", (_, body, message) => {
    expect(() => readMetadataChanges(body)).toThrow(message);
  });

  it("refuses more than 100,000 actions", () => {
    const actions = Array.from({ length: 100_001 }, () => ({ type: "update", package: "a/b" }));
    expect(() => readMetadataChanges(JSON.stringify({ actions, timestamp: 1 }))).toThrow(
      /more than 100000 actions/,
    );
  });
});
