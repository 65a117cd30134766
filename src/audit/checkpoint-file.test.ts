import { generateKeyPairSync } from "node:crypto";
import { describe, expect, it } from "vitest";
import { readCheckpointFile } from "./checkpoint-file.ts";
import { signCheckpoint } from "./integrity/checkpoint.ts";
import { createNoteSigner } from "./integrity/signed-note.ts";

const signer = createNoteSigner({
  name: "broker.test/audit",
  privateKey: generateKeyPairSync("ed25519").privateKey,
});
const note = (size: number): string =>
  signCheckpoint({ origin: "broker.test/audit", size, rootHash: Buffer.alloc(32, size) }, signer);

const logLine = (message: string, context: object): string =>
  JSON.stringify({ level: "info", message, timestamp: "2026-01-01T00:00:00.000Z", context });

describe("readCheckpointFile", () => {
  it("reads signed notes separated by blank lines, as saved from GET /audit/checkpoint", () => {
    const text = `${note(1)}\n${note(2)}\n\n\n${note(3)}`;
    const found = readCheckpointFile(text, "notes.txt");
    expect(found.map((c) => c.note)).toEqual([note(1), note(2), note(3)]);
    expect(found.map((c) => c.source)).toEqual(["notes.txt line 1", "notes.txt line 7", "notes.txt line 15"]);
  });

  it("reads notes written back to back, and with CRLF line ends", () => {
    expect(readCheckpointFile(note(1) + note(2), "f").map((c) => c.note)).toEqual([note(1), note(2)]);
    const crlf = `${note(4)}\n${note(5)}`.replaceAll("\n", "\r\n");
    expect(readCheckpointFile(crlf, "f").map((c) => c.note)).toEqual([note(4), note(5)]);
  });

  it("takes the checkpoints out of an operational log and skips every other line", () => {
    const text = [
      logLine("Request completed", { method: "GET", path: "/packages.json", status: 200 }),
      logLine("Audit checkpoint", { size: 7, rootHash: "00", checkpoint: note(7) }),
      '{"truncated":',
      logLine("Audit checkpoint", { size: 9 }),
      logLine("Audit checkpoint", { size: 8, rootHash: "00", checkpoint: note(8) }),
      "",
    ].join("\n");
    const found = readCheckpointFile(text, "ops.log");
    expect(found).toEqual([
      { note: note(7), source: "ops.log line 2" },
      { note: note(8), source: "ops.log line 5" },
    ]);
  });

  it("reads checkpoints forwarded by an audit sink, as a SIEM exports them", () => {
    const forwarded = (size: number) => ({
      record_type: "checkpoint",
      id: `checkpoint-${size}`,
      tree_size: size,
      signed_note: note(size),
    });
    const text = [
      JSON.stringify(forwarded(3)),
      JSON.stringify({ time: 1767225600, sourcetype: "_json", event: forwarded(4) }),
      JSON.stringify({ _id: "checkpoint-5", _source: { package_broker: { checkpoint: forwarded(5) } } }),
      JSON.stringify({ id: "01J0", seq: 6, event: "audit", action: "searched", details: { q: "x" } }),
      JSON.stringify({ record_type: "checkpoint", signed_note: 7 }),
      JSON.stringify({ a: { b: { c: { d: { e: forwarded(8) } } } } }),
    ].join("\n");
    const found = readCheckpointFile(text, "siem.jsonl");
    expect(found).toEqual([
      { note: note(3), source: "siem.jsonl line 1" },
      { note: note(4), source: "siem.jsonl line 2" },
      { note: note(5), source: "siem.jsonl line 3" },
    ]);
  });

  it("reads a mix of both", () => {
    const text = `${logLine("Audit checkpoint", { checkpoint: note(1) })}\n${note(2)}\n${logLine("x", {})}\n`;
    expect(readCheckpointFile(text, "f").map((c) => c.note)).toEqual([note(1), note(2)]);
  });

  it("refuses text that is not a note, and a file without checkpoints", () => {
    expect(() => readCheckpointFile("hello\nworld\n", "f")).toThrow(
      /f line 1: a block of text without signature/,
    );
    expect(() => readCheckpointFile(`origin\n5\n\nnot a signature\n`, "f")).toThrow(/f line 1/);
    expect(() => readCheckpointFile(logLine("Request completed", {}), "ops.log")).toThrow(
      /ops.log holds no signed checkpoint notes/,
    );
    expect(codeOf(() => readCheckpointFile("", "empty"))).toBe("CheckpointFileEmpty");
    expect(codeOf(() => readCheckpointFile("a\n", "f"))).toBe("CheckpointFileMalformed");
  });
});

function codeOf(work: () => unknown): unknown {
  try {
    work();
  } catch (error) {
    return (error as { code?: unknown }).code;
  }
  return undefined;
}
