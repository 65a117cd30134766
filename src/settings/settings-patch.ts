import { z } from "zod";
import type { AuditCategory } from "../audit/audit-event.ts";
import { invalidInput } from "../errors/domain-error.ts";
import {
  patchableSettings,
  readOnlySettings,
  RETENTION_DAYS_PREFIX,
  type StoredSettingKey,
  type StoredSettings,
} from "./setting-definitions.ts";

/** A checked change of the settings document, split by who keeps each part. */
export interface SettingsPatch {
  /** Settings the settings service stores, by dotted key. */
  readonly stored: Partial<StoredSettings>;
  /** Retention days per category: applied through the audit retention, with its own event. */
  readonly retentionDays: Partial<Record<AuditCategory, number>>;
}

/** One thing wrong with a patch: where (dotted path) and what. */
export interface SettingsProblem {
  readonly path: string;
  readonly message: string;
}

/** Problems reported per refusal: enough to fix a form, never a flood. */
const MAX_PROBLEMS = 20;
/** Longer path segments (unknown keys are the client's text) are cut. */
const MAX_SEGMENT = 64;
// eslint-disable-next-line no-control-regex -- control characters are what this replaces
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f-\u009f]/g;

type SchemaTree = Map<string, SchemaTree | z.ZodType>;

const leaves = patchableSettings();
const patchSchema = buildSchema();

/** The shape of a patch (nested strict objects of known keys), e.g. for the API's document. */
export const settingsPatchSchema: z.ZodType = patchSchema;

/**
 * Checks a patch of the settings document (`{"security": {"requireTwoFactor": true}}`): nested
 * objects of known keys only, each value of its setting's type. Throws `InvalidSettings`
 * (invalid) with `errors: [{path, message}]` naming every unknown key, wrong type, null and
 * read-only key (the first 20), or when the patch names no setting at all.
 */
export function parseSettingsPatch(input: unknown): SettingsPatch {
  const parsed = patchSchema.safeParse(input);
  if (!parsed.success) throw invalidSettings(problemsOf(parsed.error));
  const values = new Map<string, unknown>();
  flatten(parsed.data, "", values);
  if (values.size === 0) {
    throw invalidSettings([{ path: "", message: "the change names no setting" }]);
  }
  const stored: Partial<Record<StoredSettingKey, unknown>> = {};
  const retentionDays: Partial<Record<AuditCategory, number>> = {};
  for (const [key, value] of values) {
    if (key.startsWith(RETENTION_DAYS_PREFIX)) {
      // The schema let only the categories' keys and whole numbers through.
      retentionDays[key.slice(RETENTION_DAYS_PREFIX.length) as AuditCategory] = value as number;
    } else {
      stored[key as StoredSettingKey] = value;
    }
  }
  return { stored: stored as Partial<StoredSettings>, retentionDays };
}

/** The patch that sets one dotted key (`security.requireTwoFactor`) to `value`: for the CLI. */
export function patchOfKey(key: string, value: unknown): Record<string, unknown> {
  const segments = key.split(".");
  let patch: unknown = value;
  // Computed keys make own properties (even `__proto__`), so the schema sees and refuses them.
  for (const segment of segments.reverse()) patch = { [segment]: patch };
  return patch as Record<string, unknown>;
}

export function isStoredSettingKey(key: string): key is StoredSettingKey {
  return leaves.has(key) && !key.startsWith(RETENTION_DAYS_PREFIX);
}

function invalidSettings(problems: readonly SettingsProblem[]): Error {
  const detail = problems.map((p) => (p.path === "" ? p.message : `${p.path}: ${p.message}`)).join("; ");
  return invalidInput("InvalidSettings", `invalid settings: ${detail}`, {
    errors: problems,
    ...(problems[0] === undefined || problems[0].path === "" ? {} : { field: problems[0].path }),
  });
}

function problemsOf(error: z.ZodError): SettingsProblem[] {
  const problems: SettingsProblem[] = [];
  for (const issue of error.issues) {
    const path = issue.path.map(String);
    if (issue.code === "unrecognized_keys") {
      for (const key of issue.keys)
        problems.push({ path: shownPath([...path, key]), message: "unknown setting" });
    } else {
      problems.push({ path: shownPath(path), message: issue.message });
    }
    if (problems.length >= MAX_PROBLEMS) break;
  }
  return problems.slice(0, MAX_PROBLEMS);
}

function shownPath(segments: readonly string[]): string {
  return segments
    .map((segment) => {
      const clean = segment.replace(CONTROL_CHARACTERS, "?");
      return clean.length > MAX_SEGMENT ? `${clean.slice(0, MAX_SEGMENT)}…` : clean;
    })
    .join(".");
}

/** The values a parsed patch sets, by dotted key (the schema let only known keys through). */
function flatten(value: unknown, prefix: string, into: Map<string, unknown>): void {
  if (leaves.has(prefix)) {
    into.set(prefix, value);
    return;
  }
  if (typeof value !== "object" || value === null) return;
  for (const [key, member] of Object.entries(value)) {
    if (member !== undefined) flatten(member, prefix === "" ? key : `${prefix}.${key}`, into);
  }
}

/** Nested strict objects with every member optional, from the dotted keys. */
function buildSchema(): z.ZodType {
  const root: SchemaTree = new Map();
  for (const [key, schema] of leaves) insert(root, key.split("."), schema);
  for (const [key, reason] of readOnlySettings) insert(root, key.split("."), z.never({ error: reason }));
  return toSchema(root);
}

function insert(tree: SchemaTree, segments: readonly string[], leaf: z.ZodType): void {
  const [head, ...rest] = segments;
  if (head === undefined) return;
  if (rest.length === 0) {
    tree.set(head, leaf);
    return;
  }
  let child = tree.get(head);
  if (!(child instanceof Map)) {
    child = new Map();
    tree.set(head, child);
  }
  insert(child, rest, leaf);
}

function toSchema(tree: SchemaTree): z.ZodType {
  return z.strictObject(
    Object.fromEntries(
      [...tree].map(([key, node]) => [key, (node instanceof Map ? toSchema(node) : node).optional()]),
    ),
  );
}
