import { invalidInput } from "../errors/domain-error.ts";
import { isValidPackageName } from "./package-name.ts";

/** At most this many actions are read from one answer of a change feed. */
export const MAX_CHANGE_ACTIONS = 100_000;

/** One change of a feed: a document to refetch, or a package that is gone. */
export interface MetadataChange {
  readonly type: "update" | "delete";
  readonly packageName: string;
  /** The `~dev` document (Packagist names it `vendor/name~dev`). */
  readonly dev: boolean;
}

/**
 * What a `metadata-changes-url` answered (Packagist's `/metadata/changes.json?since=T`):
 * - `changes`: `{"actions": [{"type": "update"|"delete", "package", "time"}], "timestamp"}`;
 * - `resync`: the cursor is too old or missing (`{"error", "timestamp"}`, or a `resync` action):
 *   everything must be checked again; `timestamp` is where to start next time.
 * `timestamp` is the feed's own clock (Packagist: 1/10000 s), kept as the decimal string it sent.
 * Unknown action types and names that are not valid package names are skipped and counted.
 */
export type MetadataChanges =
  | {
      readonly kind: "changes";
      readonly changes: readonly MetadataChange[];
      readonly skipped: number;
      readonly timestamp: string;
    }
  | { readonly kind: "resync"; readonly timestamp: string };

export function readMetadataChanges(body: string): MetadataChanges {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    throw invalid("it is not JSON");
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    throw invalid("it is not a JSON object");
  }
  const answer = parsed as Record<string, unknown>;
  const timestamp = timestampOf(answer.timestamp);
  if (timestamp === null) throw invalid('it has no numeric "timestamp"');
  if (answer.actions === undefined && answer.error !== undefined) return { kind: "resync", timestamp };
  if (!Array.isArray(answer.actions)) throw invalid('it has no "actions" list');
  if (answer.actions.length > MAX_CHANGE_ACTIONS) {
    throw invalid(`it has more than ${MAX_CHANGE_ACTIONS} actions`);
  }
  const changes: MetadataChange[] = [];
  let skipped = 0;
  for (const item of answer.actions as unknown[]) {
    const action = typeof item === "object" && item !== null ? (item as Record<string, unknown>) : {};
    if (action.type === "resync") return { kind: "resync", timestamp };
    const change = changeOf(action);
    if (change === null) skipped += 1;
    else changes.push(change);
  }
  return { kind: "changes", changes, skipped, timestamp };
}

function changeOf(action: Record<string, unknown>): MetadataChange | null {
  if ((action.type !== "update" && action.type !== "delete") || typeof action.package !== "string") {
    return null;
  }
  const dev = action.package.endsWith("~dev");
  const packageName = dev ? action.package.slice(0, -4) : action.package;
  return isValidPackageName(packageName) ? { type: action.type, packageName, dev } : null;
}

function timestampOf(value: unknown): string | null {
  if (typeof value === "number" && Number.isSafeInteger(value) && value >= 0) return String(value);
  if (typeof value === "string" && /^\d{1,20}$/.test(value)) return value;
  return null;
}

function invalid(reason: string) {
  return invalidInput("InvalidChangeFeed", `the upstream's metadata change feed was refused: ${reason}`);
}
