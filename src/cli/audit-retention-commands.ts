import type { Command } from "commander";
import type { AuditRetention, RetentionStatus } from "../audit/retention/audit-retention.ts";
import { invalidInput } from "../errors/domain-error.ts";
import type { Runtime } from "../runtime.ts";
import { consoleTrail, output, withRuntime, type CliIo } from "./cli-context.ts";

interface JsonOption {
  json?: boolean;
}

/**
 * `package-broker audit retention show|set|hold|release|purge`: the retention policy, the legal
 * hold and the purge, from the console (each change and purge is an audit event of the console).
 */
export function registerAuditRetentionCommands(
  audit: Command,
  io: CliIo,
  run: (work: () => Promise<void>) => Promise<void>,
): void {
  const retention = audit
    .command("retention")
    .description("how long the audit log keeps event payloads, the legal hold, and the purge");
  const act = <T>(work: (retention: AuditRetention, runtime: Runtime) => Promise<T>): Promise<T> =>
    withRuntime(io, (runtime) => work(runtime.auditRetention, runtime));

  retention
    .command("show")
    .description("days per category, the legal hold, and what is retained and purged")
    .option("--json", "print JSON")
    .action((options: JsonOption) =>
      run(async () => {
        const status = await act((r) => r.status());
        output(io, options.json === true, status, () => describeStatus(status));
      }),
    );

  retention
    .command("set")
    .description(
      "keep the payload of a category's events DAYS days: `set CATEGORY DAYS`, or `set --all DAYS`",
    )
    .argument(
      "<category-or-days>",
      "an audit category (authentication, package_access, ...), or DAYS with --all",
    )
    .argument("[days]", "whole days, 1 to 36500")
    .option("--all", "set every category")
    .option("--json", "print JSON")
    .action((first: string, second: string | undefined, options: JsonOption & { all?: boolean }) =>
      run(async () => {
        if ((options.all === true) !== (second === undefined)) {
          throw invalidInput(
            "InvalidRetention",
            "give a category and days (`set token 730`), or --all and days",
          );
        }
        const daysText = second ?? first;
        const days = /^[0-9]{1,6}$/.test(daysText) ? Number(daysText) : Number.NaN;
        const policy = await act(async (r, runtime) => {
          const categories = options.all === true ? Object.keys(await r.days()) : [first];
          return r.setDays(
            consoleTrail(runtime),
            Object.fromEntries(categories.map((category) => [category, days])),
          );
        });
        output(io, options.json === true, { days: policy }, () =>
          Object.entries(policy)
            .map(([category, kept]) => `${category}: ${kept} days`)
            .join("\n"),
        );
      }),
    );

  retention
    .command("hold")
    .description("place a legal hold: nothing is purged until it is released")
    .requiredOption("--reason <text>", "why (a case or ticket reference)")
    .option("--json", "print JSON")
    .action((options: JsonOption & { reason: string }) =>
      run(async () => {
        const hold = await act((r, runtime) => r.hold(consoleTrail(runtime), options.reason));
        output(io, options.json === true, hold, () => `Legal hold placed: ${hold.reason ?? ""}`);
      }),
    );

  retention
    .command("release")
    .description("release the legal hold")
    .option("--json", "print JSON")
    .action((options: JsonOption) =>
      run(async () => {
        const hold = await act((r, runtime) => r.release(consoleTrail(runtime)));
        output(io, options.json === true, hold, () => "Legal hold released.");
      }),
    );

  retention
    .command("purge")
    .description("purge now the payloads older than the policy (refused under legal hold)")
    .option("--json", "print JSON")
    .action((options: JsonOption) =>
      run(async () => {
        const report = await act((r, runtime) => r.purge(consoleTrail(runtime), "manual"));
        output(io, options.json === true, report, () =>
          report === null || report.purged === 0
            ? "Nothing to purge."
            : [
                `Purged the payload of ${report.purged} events:`,
                ...report.categories.map(
                  (entry) =>
                    `  ${entry.category}: ${entry.purged} (before ${entry.before}, seq ${entry.firstSeq ?? "?"}..${entry.lastSeq ?? "?"})`,
                ),
              ].join("\n"),
        );
      }),
    );
}

function describeStatus(status: RetentionStatus): string {
  const hold = status.legalHold.active
    ? `Legal hold: in force since ${status.legalHold.since ?? "?"} (${status.legalHold.reason ?? ""})`
    : "Legal hold: none";
  const rows = status.categories.map(
    (entry) =>
      `  ${entry.category.padEnd(16)} ${String(status.days[entry.category]).padStart(6)} days  ` +
      `${String(entry.retained).padStart(9)} retained  ${String(entry.purged).padStart(9)} purged  ` +
      `oldest ${entry.oldestRetained ?? "-"}`,
  );
  return [hold, "Retention:", ...rows].join("\n");
}
