import { generateKeyPairSync } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCliCaptured } from "../../test/support/run-cli-captured.ts";
import { consoleContext } from "../audit/audit-event.ts";
import { auditTrail } from "../audit/audit-trail.ts";
import { createNoteVerifier, formatVerifierKey } from "../audit/integrity/signed-note.ts";
import { loadConfig } from "../config/load-config.ts";
import { createLogger } from "../observability/logger.ts";
import { openRuntime } from "../runtime.ts";

let root: string;
let env: Record<string, string>;
let bundle: string;
let lines: string[];
let publicKey: string;
const cli = (args: readonly string[]) => runCliCaptured(args, env);

beforeAll(async () => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), "pb-audit-bundle-"));
  env = { PB_DATA_DIR: path.join(root, "data"), PB_BASE_URL: "http://broker.test" };
  const runtime = await openRuntime(loadConfig(env), createLogger({ level: "silent" }));
  try {
    const trail = auditTrail(runtime.audit.log, consoleContext);
    for (let index = 0; index < 40; index += 1) {
      await trail.record({
        event: "package",
        action: "uploaded",
        outcome: "success",
        target: { type: "package", name: `acme/pkg-${index % 4}`, version: `1.0.${index}` },
        details: { index, text: "ünïcødé ✓" },
      });
    }
    publicKey = runtime.audit.verifierKey;
  } finally {
    await runtime.close();
  }
  bundle = path.join(root, "acme-1.bundle.jsonl");
  const run = await cli(["audit", "export", "--bundle", "--query", "package:acme/pkg-1", "--output", bundle]);
  expect(run.code, run.stderr).toBe(0);
  lines = fs.readFileSync(bundle, "utf8").trimEnd().split("\n");
});

afterAll(() => {
  fs.rmSync(root, { recursive: true, force: true });
});

/** A copy of the bundle with its lines changed by `edit`. */
function variant(name: string, edit: (lines: string[]) => string[]): string {
  const file = path.join(root, `${name}.bundle.jsonl`);
  fs.writeFileSync(file, `${edit([...lines]).join("\n")}\n`);
  return file;
}

function editEvent(line: string, change: (event: Record<string, unknown>) => void): string {
  const parsed = JSON.parse(line) as { event: Record<string, unknown> };
  change(parsed.event);
  return JSON.stringify(parsed);
}

/** The header with the checkpoint's root hash replaced (its signature no longer matches). */
function forgeCheckpointRoot(line: string): string {
  const header = JSON.parse(line) as { checkpoint: string };
  const [origin, size, , ...rest] = header.checkpoint.split("\n");
  header.checkpoint = [origin, size, Buffer.alloc(32, 7).toString("base64"), ...rest].join("\n");
  return JSON.stringify(header);
}

describe("audit export --bundle and audit verify-export", () => {
  it("writes a header, one line per event with its proof, and a signed manifest", () => {
    const types = lines.map((line) => (JSON.parse(line) as { type: string }).type);
    expect(types).toEqual(["header", ...Array<string>(10).fill("event"), "manifest"]);
    expect(JSON.parse(lines[0] ?? "")).toMatchObject({
      format: "package-broker-audit-bundle",
      version: 1,
      query: "package:acme/pkg-1",
      verifier_key: publicKey,
    });
  });

  it("verifies the bundle offline, with the bundle's key or a pinned one", async () => {
    const own = await cli(["audit", "verify-export", bundle]);
    expect(own.code, own.stdout + own.stderr).toBe(0);
    expect(own.stdout).toMatch(/^Bundle .* verified: 10 events of broker\.test\/audit/);
    expect(own.stdout).toContain("pass --key with the server's published key");

    const pinned = await cli(["audit", "verify-export", bundle, "--key", publicKey, "--json"]);
    expect(pinned.code).toBe(0);
    expect(JSON.parse(pinned.stdout)).toMatchObject({ ok: true, events: 10, key: "pinned" });
  });

  it("needs no database: it runs with a data directory that does not exist", async () => {
    const missing = path.join(root, "no-such-data-dir");
    const run = await runCliCaptured(["audit", "verify-export", bundle], { PB_DATA_DIR: missing });
    expect(run.code, run.stderr).toBe(0);
    expect(fs.existsSync(missing)).toBe(false);
  });

  it.each([
    [
      "a changed event",
      (l: string[]) => [l[0]!, editEvent(l[1]!, (e) => (e.outcome = "failure")), ...l.slice(2)],
      "changed-event",
    ],
    [
      "a changed detail",
      (l: string[]) => [l[0]!, l[1]!, editEvent(l[2]!, (e) => (e.details = { index: 0 })), ...l.slice(3)],
      "changed-event",
    ],
    ["a missing event", (l: string[]) => [l[0]!, ...l.slice(2)], "manifest-mismatch"],
    ["a missing last event", (l: string[]) => [...l.slice(0, -2), l.at(-1)!], "manifest-mismatch"],
    ["an added (repeated) event", (l: string[]) => [l[0]!, l[1]!, ...l.slice(1)], "order"],
    ["swapped events", (l: string[]) => [l[0]!, l[2]!, l[1]!, ...l.slice(3)], "order"],
    ["no manifest", (l: string[]) => l.slice(0, -1), "manifest-mismatch"],
    ["a line after the manifest", (l: string[]) => [...l, l[1]!], "malformed"],
    [
      "a checkpoint with another root",
      (l: string[]) => [forgeCheckpointRoot(l[0]!), ...l.slice(1)],
      "bad-signature",
    ],
    ["not a bundle", () => ["{}"], "malformed"],
    ["garbage", () => ["\u0000not json"], "malformed"],
  ])("refuses %s (exit 1)", async (name, edit, reason) => {
    const run = await cli(["audit", "verify-export", variant(name.replaceAll(" ", "-"), edit), "--json"]);
    expect(run.code, run.stdout).toBe(1);
    expect(JSON.parse(run.stdout)).toMatchObject({ ok: false, reason });
  });

  it("refuses an added event taken from another export of the same log", async () => {
    const other = path.join(root, "pkg-2.bundle.jsonl");
    expect(
      (await cli(["audit", "export", "--bundle", "--query", "package:acme/pkg-2", "--output", other])).code,
    ).toBe(0);
    const stranger = fs.readFileSync(other, "utf8").split("\n")[1] ?? "";
    // Its proof is valid, but against the other export's checkpoint, and the manifest does not list it.
    const file = variant("stranger", (l) => [...l.slice(0, -1), stranger, l.at(-1)!]);
    const run = await cli(["audit", "verify-export", file, "--json"]);
    expect(run.code).toBe(1);
    expect(JSON.parse(run.stdout)).toMatchObject({ ok: false });
  });

  it("refuses a bundle re-signed with another key when the server's key is pinned", async () => {
    const { publicKey: otherKey } = generateKeyPairSync("ed25519");
    const other = formatVerifierKey(createNoteVerifier({ name: "broker.test/audit", publicKey: otherKey }));
    const run = await cli(["audit", "verify-export", bundle, "--key", other, "--json"]);
    expect(run.code).toBe(1);
    expect(JSON.parse(run.stdout)).toMatchObject({ ok: false, reason: "key-mismatch" });
  });

  it.each([
    [["audit", "verify-export", "/no/such/bundle"], /cannot read \/no\/such\/bundle/],
    [["audit", "verify-export"], /missing required argument 'bundle'/],
    [["audit", "export", "--bundle", "--format", "csv"], /a bundle is JSON lines/],
  ])("answers %j with a usage error (exit 2)", async (args, message) => {
    const run = await cli(args);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(message);
  });
});
