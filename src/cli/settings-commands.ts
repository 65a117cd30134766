import type { Command } from "commander";
import { invalidInput } from "../errors/domain-error.ts";
import { settingsLeaves, type RuntimeSettings } from "../settings/runtime-settings.ts";
import { patchOfKey } from "../settings/settings-patch.ts";
import { consoleTrail, output, withRuntime, type CliIo } from "./cli-context.ts";

/** A key as typed: dotted names (`security.requireTwoFactor`), checked by the settings themselves. */
const KEY_SHAPE = /^[A-Za-z0-9_]+(\.[A-Za-z0-9_]+){0,7}$/;
const INTEGER = /^-?[0-9]{1,15}$/;

/**
 * `package-broker settings get|set`: the runtime settings (docs/settings.md). Changes are
 * recorded as the `console` actor, like every change made at the console.
 */
export function registerSettingsCommands(
  program: Command,
  io: CliIo,
  run: (work: () => Promise<void>) => Promise<void>,
): void {
  const settings = program
    .command("settings")
    .description(
      "runtime settings: two-factor policy, business hours, audit retention, audit IP mode (docs/settings.md)",
    );

  settings
    .command("get")
    .description("print every setting and its value")
    .option("--json", "print the settings document as JSON")
    .action((options: { json?: boolean }) =>
      run(() =>
        withRuntime(io, async (runtime) => {
          const document = await runtime.settings.get();
          output(io, options.json === true, document, () => describeSettings(document));
        }),
      ),
    );

  settings
    .command("set")
    .description("change one setting: `settings set security.requireTwoFactor true`")
    .argument("<key>", "the setting's dotted name, as `settings get` prints it")
    .argument("<value>", "true/false, a whole number, null, JSON, or text")
    .option("--json", "print the settings document as JSON")
    .action((key: string, value: string, options: { json?: boolean }) =>
      run(async () => {
        if (!KEY_SHAPE.test(key)) {
          throw invalidInput("InvalidSettings", `not a setting name: ${JSON.stringify(key.slice(0, 80))}`, {
            field: "key",
          });
        }
        const patch = patchOfKey(key, parseValue(value));
        await withRuntime(io, async (runtime) => {
          const document = await runtime.settings.update(patch, consoleTrail(runtime));
          const shown = settingsLeaves(document).find(([leaf]) => leaf === key);
          output(io, options.json === true, document, () => `${key} = ${formatValue(shown?.[1])}`);
        });
      }),
    );
}

/**
 * A value typed at the shell: `true`/`false`, `null`, a whole number, JSON (an object, array or
 * quoted string), else the text itself. Whether it suits the setting is the settings' check.
 */
function parseValue(text: string): unknown {
  if (text === "true") return true;
  if (text === "false") return false;
  if (text === "null") return null;
  if (INTEGER.test(text)) return Number(text);
  if (/^[[{"]/.test(text)) {
    try {
      return JSON.parse(text) as unknown;
    } catch {
      throw invalidInput("InvalidSettings", "the value looks like JSON but is not valid JSON", {
        field: "value",
      });
    }
  }
  return text;
}

function describeSettings(document: RuntimeSettings): string {
  const rows = settingsLeaves(document);
  const width = Math.max(...rows.map(([key]) => key.length));
  return rows.map(([key, value]) => `${key.padEnd(width)}  ${formatValue(value)}`).join("\n");
}

function formatValue(value: unknown): string {
  if (value === undefined) return "-";
  return typeof value === "string" ? value : JSON.stringify(value);
}
