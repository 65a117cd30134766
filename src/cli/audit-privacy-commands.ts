import type { Command } from "commander";
import { createAuditReads } from "../audit/audit-reads.ts";
import { consoleTrail, output, withRuntime, type CliIo } from "./cli-context.ts";

/**
 * `package-broker audit raw-ip EVENT_ID` and `audit erase-subject WHO`: the personal data kept
 * beside the audit log (never in it). Both are audit events of the console.
 */
export function registerAuditPrivacyCommands(
  audit: Command,
  io: CliIo,
  run: (work: () => Promise<void>) => Promise<void>,
): void {
  audit
    .command("raw-ip")
    .description(
      "show the raw client address kept (encrypted) beside an event, if PB_AUDIT_RAW_IP_DAYS kept it",
    )
    .argument("<event-id>", "the event's id")
    .option("--json", "print JSON")
    .action((eventId: string, options: { json?: boolean }) =>
      run(async () => {
        const answer = await withRuntime(io, (runtime) =>
          createAuditReads(runtime.audit, runtime.database.db).rawIps.readAndRecord(
            consoleTrail(runtime),
            eventId,
          ),
        );
        output(io, options.json === true, answer, () =>
          answer.state === "kept"
            ? (answer.ip_address ?? "")
            : answer.state === "shredded"
              ? `The raw address of event seq ${answer.seq} was destroyed (its day's key is shredded).`
              : `No raw address was kept for event seq ${answer.seq}.`,
        );
      }),
    );

  audit
    .command("erase-subject")
    .description(
      "erase a person's e-mail address and name from beside the audit log (GDPR); their events keep " +
        "their pseudonymous id and still verify",
    )
    .argument("<who>", "the subject's id, e-mail address or name")
    .option("--json", "print JSON")
    .action((who: string, options: { json?: boolean }) =>
      run(async () => {
        const result = await withRuntime(io, (runtime) =>
          runtime.auditSubjects.eraseAndRecord(consoleTrail(runtime), who),
        );
        output(
          io,
          options.json === true,
          result,
          () => `Erased the e-mail address and name of ${result.erased.join(", ")}.`,
        );
      }),
    );
}
