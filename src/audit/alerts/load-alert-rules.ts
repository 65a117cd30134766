import fs from "node:fs";
import { invalidInput } from "../../errors/domain-error.ts";
import type { AlertRule } from "./alert-rule.ts";
import { defaultAlertRulesYaml } from "./default-alert-rules.ts";
import { parseAlertRules } from "./parse-alert-rules.ts";

/**
 * The rules in force: the default rules, and those of PB_ALERT_RULES_FILE beside them (a file's
 * correlation may refer to a default rule; a file's rule with a default rule's id replaces it).
 * An unreadable or invalid file stops the start with the rule and field at fault.
 */
export function loadAlertRules(file: string | null): AlertRule[] {
  const defaults = parseAlertRules(defaultAlertRulesYaml);
  if (file === null) return defaults;
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (error) {
    throw invalidInput(
      "AlertRulesUnreadable",
      `PB_ALERT_RULES_FILE ${file} cannot be read: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
  const own = parseAlertRules(text, { alongside: defaults });
  const replaced = new Set(own.map((rule) => rule.id));
  return [...defaults.filter((rule) => !replaced.has(rule.id)), ...own];
}
