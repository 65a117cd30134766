import fs from "node:fs";
import type { Command } from "commander";
import { createAuditReads } from "../audit/audit-reads.ts";
import type { AuditVerificationReport } from "../audit/audit-verification.ts";
import { readCheckpointFile } from "../audit/checkpoint-file.ts";
import type { KnownCheckpoint } from "../audit/integrity/verify-log.ts";
import { invalidInput, notFound } from "../errors/domain-error.ts";
import { registerAuditExportCommand } from "./audit-export-command.ts";
import { registerAuditPrivacyCommands } from "./audit-privacy-commands.ts";
import { registerAuditRetentionCommands } from "./audit-retention-commands.ts";
import { registerAuditHistogramCommand } from "./audit-histogram-command.ts";
import { registerAuditSearchCommand } from "./audit-search-command.ts";
import { registerAuditSinkCommands } from "./audit-sink-commands.ts";
import { registerAuditVerifyExportCommand } from "./audit-verify-export-command.ts";
import { readVerifierKey } from "./read-verifier-key.ts";
import { CommandFailed, consoleTrail, output, withRuntime, type CliIo } from "./cli-context.ts";

interface VerifyOptions {
  against?: string;
  key?: string;
  json?: boolean;
}

/** `package-broker audit ...`: the audit log's integrity, from the console. */
export function registerAuditCommands(
  program: Command,
  io: CliIo,
  run: (work: () => Promise<void>) => Promise<void>,
): void {
  const audit = program.command("audit").description("search, export and verify the audit log");
  registerAuditSearchCommand(audit, io, run);
  registerAuditHistogramCommand(audit, io, run);
  registerAuditExportCommand(audit, io, run);
  registerAuditVerifyExportCommand(audit, io, run);
  registerAuditRetentionCommands(audit, io, run);
  registerAuditPrivacyCommands(audit, io, run);
  registerAuditSinkCommands(audit, io, run);

  audit
    .command("verify")
    .description(
      "verify the stored audit log: every event against its hash, seq continuity, and the signed checkpoints " +
        "(exit 0 verified, 1 not verified, 2 bad usage)",
    )
    .option(
      "--against <file>",
      'also check checkpoints saved outside the database: signed notes, or operational log lines ("Audit checkpoint")',
    )
    .option(
      "--key <vkey>",
      "trust only this checkpoint key (the text of GET /audit/public-key, or a file holding it) " +
        "instead of the server's own",
    )
    .option("--json", "print JSON")
    .action((options: VerifyOptions) =>
      run(async () => {
        // Read the inputs before opening the database: a wrong path is a usage error.
        const external = options.against === undefined ? undefined : readAgainst(options.against);
        const trustedKey = options.key === undefined ? undefined : readVerifierKey(options.key);
        const report = await withRuntime(io, (runtime) =>
          createAuditReads(runtime.audit, runtime.database.db).verification.verifyAndRecord(
            consoleTrail(runtime),
            {
              ...(external === undefined ? {} : { external }),
              ...(trustedKey === undefined ? {} : { trustedKey }),
              details: {
                ...(options.against === undefined ? {} : { against: options.against }),
                key_pinned: trustedKey !== undefined,
              },
            },
          ),
        );
        output(io, options.json === true, report.result, () => describeReport(report, options.against));
        if (!report.result.ok) throw new CommandFailed(1);
      }),
    );

  audit
    .command("checkpoint")
    .description("sign a checkpoint of the log if it grew since the last one, and print the latest")
    .option("--json", "print JSON")
    .action((options: { json?: boolean }) =>
      run(() =>
        withRuntime(io, async (runtime) => {
          const checkpoint = await runtime.audit.checkpointer.checkpointNow();
          if (checkpoint === null) {
            throw notFound("AuditLogEmpty", "the audit log has no events yet, so no checkpoint");
          }
          await consoleTrail(runtime).record({
            event: "audit",
            action: "checkpoint_read",
            outcome: "success",
            target: { type: "audit_log", name: runtime.audit.origin },
            details: { size: checkpoint.size, root_hash: checkpoint.rootHash },
          });
          output(io, options.json === true, checkpoint, () => checkpoint.note.trimEnd());
        }),
      ),
    );
}

function readAgainst(file: string): KnownCheckpoint[] {
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (error) {
    throw invalidInput("CheckpointFileUnreadable", `cannot read ${file}: ${(error as Error).message}`);
  }
  return readCheckpointFile(text, file);
}

function describeReport(report: AuditVerificationReport, against: string | undefined): string {
  const { result, checkpoints } = report;
  const sources = `${checkpoints.database} from the database${
    against === undefined ? "" : `, ${checkpoints.external} from ${against}`
  }`;
  if (!result.ok) {
    return [
      `Audit log verification FAILED at seq ${result.firstBadSeq}: ${result.reason}`,
      `  ${result.detail}`,
      `  Checkpoints checked: ${sources}; trusted key ${report.trustedKey}`,
    ].join("\n");
  }
  const lines = [
    `Audit log verified: ${result.size} events.`,
    `  Checkpoints: ${sources}; trusted key ${report.trustedKey}`,
  ];
  if (result.checkpoint === null) {
    lines.push(
      "  No signed checkpoint anchors these events: their hashes and seq were checked, nothing more.",
      "  Sign one with `package-broker audit checkpoint` (the server signs them on its own).",
    );
  } else {
    lines.push(
      `  Latest matching checkpoint: size ${result.checkpoint.size}, root ${result.checkpoint.rootHash}`,
    );
    const after = result.size - result.checkpoint.size;
    if (after > 0) lines.push(`  ${after} events after it are checked row by row only (no checkpoint yet).`);
  }
  return lines.join("\n");
}
