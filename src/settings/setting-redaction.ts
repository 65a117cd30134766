import type { SettingDefinition } from "./setting-definitions.ts";

/**
 * A setting's value as the audit log and printed documents may show it: the value itself, or for
 * a secret only whether one is set, so that no event, export or API response carries it.
 */
export function shownSettingValue(definition: Pick<SettingDefinition, "secret">, value: unknown): unknown {
  if (!definition.secret) return value;
  return value === null || value === undefined || value === "" ? "unset" : "set";
}
