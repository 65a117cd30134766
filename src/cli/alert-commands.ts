import type { Command } from "commander";
import type { AlertNotice } from "../audit/alerts/alert-notice.ts";
import { alertText } from "../audit/alerts/alert-channel.ts";
import { consoleTrail, output, withRuntime, type CliIo } from "./cli-context.ts";
import { parseWholeNumber } from "./parse-whole-number.ts";
import { printable, textTable } from "./text-table.ts";

interface JsonOption {
  json?: boolean;
}

/** `package-broker alerts list|show|ack|rules`: what the alert rules raised (docs/alert-rules.md). */
export function registerAlertCommands(
  program: Command,
  io: CliIo,
  run: (work: () => Promise<void>) => Promise<void>,
): void {
  const alerts = program.command("alerts").description("alerts the rules raised over the audit log");

  alerts
    .command("list")
    .description("alerts, newest first")
    .option("--open", "only those not acknowledged yet")
    .option("--limit <n>", "how many (1-500, default 50)")
    .option("--json", "print JSON")
    .action((options: JsonOption & { open?: boolean; limit?: string }) =>
      run(async () => {
        const limit = options.limit === undefined ? undefined : parseWholeNumber(options.limit, 3);
        const page = await withRuntime(io, (runtime) =>
          runtime.alerts.list({
            ...(options.open === true ? { status: "open" as const } : {}),
            ...(limit === undefined ? {} : { limit }),
          }),
        );
        output(io, options.json === true, page, () => describeList(page.alerts));
      }),
    );

  alerts
    .command("show")
    .description("one alert: its rule, evidence, response and notifications")
    .argument("<id>", "the alert's id (alt_...)")
    .option("--json", "print JSON")
    .action((id: string, options: JsonOption) =>
      run(async () => {
        const alert = await withRuntime(io, (runtime) => runtime.alerts.get(id));
        output(io, options.json === true, alert, () => describeAlert(alert));
      }),
    );

  alerts
    .command("ack")
    .description("acknowledge an alert (recorded with who and the note)")
    .argument("<id>", "the alert's id (alt_...)")
    .option("--note <text>", "what was done about it")
    .option("--json", "print JSON")
    .action((id: string, options: JsonOption & { note?: string }) =>
      run(async () => {
        const alert = await withRuntime(io, (runtime) =>
          runtime.alerts.acknowledge(id, options.note ?? null, consoleTrail(runtime)),
        );
        output(
          io,
          options.json === true,
          alert,
          () => `Acknowledged ${alert.id} (${printable(alert.title)})`,
        );
      }),
    );

  alerts
    .command("rules")
    .description("the rules in force; --sigma prints them as Sigma YAML for a SIEM")
    .option("--sigma", "print Sigma YAML")
    .option("--json", "print JSON")
    .action((options: JsonOption & { sigma?: boolean }) =>
      run(async () => {
        const { rules, sigma } = await withRuntime(io, (runtime) =>
          Promise.resolve({ rules: runtime.alerts.rules(), sigma: runtime.alerts.sigma() }),
        );
        if (options.sigma === true) {
          io.stdout(sigma.endsWith("\n") ? sigma : `${sigma}\n`);
          return;
        }
        const listed = rules.map((rule) => ({
          id: rule.id,
          name: rule.name,
          title: rule.title,
          level: rule.level,
        }));
        output(io, options.json === true, { rules: listed }, () =>
          textTable([
            ["LEVEL", "NAME", "TITLE"],
            ...listed.map((rule) => [rule.level, rule.name, rule.title]),
          ]),
        );
      }),
    );
}

function describeList(alerts: readonly AlertNotice[]): string {
  if (alerts.length === 0) return "No alerts.";
  return textTable([
    ["ID", "RAISED", "LEVEL", "STATUS", "TITLE"],
    ...alerts.map((alert) => [alert.id, alert.firedAt, alert.level, alert.status, printable(alert.title)]),
  ]);
}

function describeAlert(alert: AlertNotice): string {
  const lines = [...alertText(alert).split("\n").map(printable), `Status: ${alert.status}`];
  if (alert.acknowledgedAt !== null) {
    lines.push(
      `Acknowledged ${alert.acknowledgedAt} by ${alert.acknowledgedBy ?? "?"}${alert.note === null ? "" : `: ${printable(alert.note)}`}`,
    );
  }
  for (const notification of alert.notifications) {
    lines.push(
      `Notified ${notification.channel}: ${notification.status}${notification.error === null ? "" : ` (${printable(notification.error)})`}`,
    );
  }
  return lines.join("\n");
}
