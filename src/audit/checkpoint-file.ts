import { invalidInput } from "../errors/domain-error.ts";
import type { KnownCheckpoint } from "./integrity/verify-log.ts";

/** The operational log message under which `AuditCheckpointer` writes each checkpoint. */
export const CHECKPOINT_LOG_MESSAGE = "Audit checkpoint";

const SIGNATURE_PREFIX = "\u2014 ";

/**
 * Reads the checkpoints an auditor saved outside the database (`audit verify --against FILE`).
 * The file may hold, in any mix:
 *
 * - signed checkpoint notes as served by `GET /audit/checkpoint`: the text lines, a blank line,
 *   the signature lines (`— <name> <base64>`), the notes separated by blank lines;
 * - lines of the operational log (JSON): those whose `message` is "Audit checkpoint" carry the
 *   note in `context.checkpoint`;
 * - checkpoints as an audit sink forwarded them, exported from the SIEM as JSON lines (the record,
 *   or the SIEM's document wrapping it); every other JSON line is skipped.
 *
 * Notes are returned as written, signatures unchecked (the verifier checks them). A block of text
 * that is not a note (no signature lines) is an error, and so is a file without any checkpoint:
 * an auditor must not get "verified" from the wrong file.
 */
export function readCheckpointFile(text: string, name: string): KnownCheckpoint[] {
  const found: KnownCheckpoint[] = [];
  const lines = text.split("\n").map((line) => (line.endsWith("\r") ? line.slice(0, -1) : line));
  let block: { start: number; text: string[]; signatures: string[]; blank: boolean } | undefined;

  const endBlock = (): void => {
    if (block === undefined) return;
    if (block.signatures.length === 0) {
      throw invalidInput(
        "CheckpointFileMalformed",
        `${name} line ${block.start}: a block of text without signature lines is not a signed checkpoint note ` +
          "(to read an operational log, keep only its JSON lines)",
      );
    }
    found.push({
      note: `${block.text.join("\n")}\n\n${block.signatures.join("\n")}\n`,
      source: `${name} line ${block.start}`,
    });
    block = undefined;
  };

  lines.forEach((line, index) => {
    const number = index + 1;
    if (block !== undefined) {
      if (line.startsWith(SIGNATURE_PREFIX) && block.blank) {
        block.signatures.push(line);
        return;
      }
      if (block.signatures.length === 0 && line !== "" && !block.blank && !isJsonLine(line)) {
        block.text.push(line);
        return;
      }
      if (line === "" && block.signatures.length === 0 && !block.blank) {
        block.blank = true;
        return;
      }
      endBlock();
    }
    if (line.trim() === "") return;
    if (isJsonLine(line)) {
      const note = checkpointFromLogLine(line);
      if (note !== undefined) found.push({ note, source: `${name} line ${number}` });
      return;
    }
    block = { start: number, text: [line], signatures: [], blank: false };
  });
  endBlock();
  if (found.length === 0) {
    throw invalidInput(
      "CheckpointFileEmpty",
      `${name} holds no signed checkpoint notes and no "${CHECKPOINT_LOG_MESSAGE}" log lines`,
    );
  }
  return found;
}

function isJsonLine(line: string): boolean {
  return line.trimStart().startsWith("{");
}

function checkpointFromLogLine(line: string): string | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(line);
  } catch {
    return undefined;
  }
  if (typeof parsed !== "object" || parsed === null) return undefined;
  const entry = parsed as { message?: unknown; context?: unknown };
  if (entry.message !== CHECKPOINT_LOG_MESSAGE) return forwardedCheckpoint(parsed, 0);
  if (typeof entry.context !== "object" || entry.context === null) return undefined;
  const note = (entry.context as { checkpoint?: unknown }).checkpoint;
  return typeof note === "string" ? note : undefined;
}

/** How deep a SIEM may have wrapped a forwarded checkpoint (`_source.package_broker.checkpoint`). */
const MAX_WRAPPING = 4;

/**
 * A checkpoint as an audit sink forwarded it (`{"record_type": "checkpoint", "signed_note": ...}`,
 * docs/audit-forwarding.md), found as a SIEM exports it: the record itself, or wrapped in its
 * envelope (Splunk's `event`, Elasticsearch's `_source.package_broker.checkpoint` ...).
 */
function forwardedCheckpoint(value: object, depth: number): string | undefined {
  const record = value as { record_type?: unknown; signed_note?: unknown };
  if (record.record_type === "checkpoint" && typeof record.signed_note === "string")
    return record.signed_note;
  if (depth >= MAX_WRAPPING) return undefined;
  for (const inner of Object.values(value)) {
    if (typeof inner !== "object" || inner === null || Array.isArray(inner)) continue;
    const note = forwardedCheckpoint(inner as object, depth + 1);
    if (note !== undefined) return note;
  }
  return undefined;
}
