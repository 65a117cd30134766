import fs from "node:fs";
import { isDeepStrictEqual } from "node:util";
import { parse } from "yaml";
import { z } from "zod";
import { invalidInput } from "../../errors/domain-error.ts";
import type { AuditTrail } from "../audit-trail.ts";
import type { AuditSinks } from "./audit-sinks.ts";
import { newSinkSchema } from "./sink-input.ts";

/** Sinks one file may configure. */
const MAX_CONFIGURED_SINKS = 100;

const configuredSinkSchema = z.strictObject({
  ...newSinkSchema.shape,
  name: newSinkSchema.shape.name.unwrap(),
  tokenFile: z.string().min(1).optional(),
  secretFile: z.string().min(1).optional(),
});
type ConfiguredSinkEntry = z.infer<typeof configuredSinkSchema>;
const fileSchema = z.strictObject({ sinks: z.array(configuredSinkSchema).max(MAX_CONFIGURED_SINKS) });

/** What applying the file did, by sink name. */
export interface ConfiguredSinksReport {
  readonly created: readonly string[];
  readonly updated: readonly string[];
  readonly unchanged: readonly string[];
}

/**
 * Applies PB_AUDIT_SINKS_FILE at start (docs/audit-forwarding.md, "Sinks in a file"): a YAML or
 * JSON file `{sinks: [{name, type, url, ...}]}`. A sink of a listed name that does not exist is
 * created, one that differs is changed (a webhook's new secret is a rotation), and the others are
 * left alone; sinks made through the API or the CLI are never touched. Every change is audited
 * as any other, by the system. An unreadable or invalid file stops the start, naming the entry.
 */
export async function applyConfiguredSinks(
  file: string,
  sinks: AuditSinks,
  trail: AuditTrail,
): Promise<ConfiguredSinksReport> {
  const entries = readConfiguredSinks(file);
  const report = { created: [] as string[], updated: [] as string[], unchanged: [] as string[] };
  for (const entry of entries) {
    const { tokenFile, secretFile, ...input } = entry;
    const token = input.token ?? readSecretFile(tokenFile, file);
    const secret = input.secret ?? readSecretFile(secretFile, file);
    const wanted = {
      ...input,
      ...(token === undefined ? {} : { token }),
      ...(secret === undefined ? {} : { secret }),
    };
    const current = await sinks.configured(entry.name);
    if (current === null) {
      await sinks.add(wanted, trail);
      report.created.push(entry.name);
      continue;
    }
    const change = {
      ...(wanted.url === undefined || sameUrl(current.url, wanted.url) ? {} : { url: wanted.url }),
      ...(wanted.format === undefined || current.format === wanted.format ? {} : { format: wanted.format }),
      ...(isDeepStrictEqual(current.options, wanted.options ?? {}) ? {} : { options: wanted.options ?? {} }),
      ...(token === undefined || current.token === token ? {} : { token }),
    };
    const rotate = secret !== undefined && current.signingSecret !== secret;
    if (Object.keys(change).length === 0 && !rotate) {
      report.unchanged.push(entry.name);
      continue;
    }
    if (Object.keys(change).length > 0) await sinks.update(current.id, change, trail);
    if (rotate) await sinks.rotateSecret(current.id, { secret }, trail);
    report.updated.push(entry.name);
  }
  return report;
}

function readConfiguredSinks(file: string): ConfiguredSinkEntry[] {
  let document: unknown;
  try {
    document = parse(fs.readFileSync(file, "utf8"), { maxAliasCount: 10 });
  } catch (error) {
    throw invalidInput(
      "AuditSinksFileUnreadable",
      `PB_AUDIT_SINKS_FILE ${file}: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
  const parsed = fileSchema.safeParse(document);
  if (!parsed.success) {
    const problems = parsed.error.issues.map(
      (issue) => `${issue.path.join(".") || "(file)"}: ${issue.message}`,
    );
    throw invalidInput(
      "AuditSinksFileInvalid",
      `PB_AUDIT_SINKS_FILE ${file}: ${problems.slice(0, 10).join("; ")}`,
    );
  }
  const names = parsed.data.sinks.map((entry) => entry.name);
  const twice = names.find((name, index) => names.indexOf(name) !== index);
  if (twice !== undefined) {
    throw invalidInput(
      "AuditSinksFileInvalid",
      `PB_AUDIT_SINKS_FILE ${file}: the name "${twice}" is used twice`,
    );
  }
  for (const entry of parsed.data.sinks) {
    if (entry.token !== undefined && entry.tokenFile !== undefined) {
      throw invalidInput(
        "AuditSinksFileInvalid",
        `PB_AUDIT_SINKS_FILE ${file}: ${entry.name} has token and tokenFile`,
      );
    }
    if (entry.secret !== undefined && entry.secretFile !== undefined) {
      throw invalidInput(
        "AuditSinksFileInvalid",
        `PB_AUDIT_SINKS_FILE ${file}: ${entry.name} has secret and secretFile`,
      );
    }
  }
  return parsed.data.sinks;
}

/** A credential kept in a file of its own (a mounted secret), without its final newline. */
function readSecretFile(path: string | undefined, file: string): string | undefined {
  if (path === undefined) return undefined;
  try {
    return fs.readFileSync(path, "utf8").replace(/\r?\n$/, "");
  } catch (error) {
    throw invalidInput(
      "AuditSinksFileUnreadable",
      `PB_AUDIT_SINKS_FILE ${file}: ${path}: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
}

function sameUrl(a: string, b: string): boolean {
  return (URL.parse(a)?.href ?? a) === (URL.parse(b)?.href ?? b);
}
