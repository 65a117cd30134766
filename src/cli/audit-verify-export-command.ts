import fs from "node:fs";
import readline from "node:readline";
import type { Command } from "commander";
import { verifyBundle, type BundleVerifyResult } from "../audit/integrity/verify-bundle.ts";
import { invalidInput } from "../errors/domain-error.ts";
import { readVerifierKey } from "./read-verifier-key.ts";
import { CommandFailed, output, type CliIo } from "./cli-context.ts";

interface VerifyExportOptions {
  key?: string;
  json?: boolean;
}

/**
 * `package-broker audit verify-export BUNDLE [--key VKEY]`: checks a bundle written by
 * `audit export --bundle` offline — no database, no network, no configuration. Exit 0 verified,
 * 1 not verified, 2 bad usage.
 */
export function registerAuditVerifyExportCommand(
  audit: Command,
  io: CliIo,
  run: (work: () => Promise<void>) => Promise<void>,
): void {
  audit
    .command("verify-export")
    .description(
      "check an export bundle offline: every event against its proof and the signed checkpoint, and the " +
        "signed manifest against the events present (exit 0 verified, 1 not verified, 2 bad usage)",
    )
    .argument("<bundle>", "the file written by `audit export --bundle`")
    .option(
      "--key <vkey>",
      "trust only this key (the text of GET /audit/public-key, or a file holding it); without it the " +
        "bundle's own key is used, which cannot tell a forgery",
    )
    .option("--json", "print JSON")
    .action((file: string, options: VerifyExportOptions) =>
      run(async () => {
        const trustedKey = options.key === undefined ? undefined : readVerifierKey(options.key);
        const stream = openBundle(file);
        const lines = readline.createInterface({ input: stream, crlfDelay: Infinity });
        let result: BundleVerifyResult;
        try {
          result = await verifyBundle(lines, trustedKey);
        } finally {
          lines.close();
          stream.destroy();
        }
        output(io, options.json === true, result, () => describe(result, file));
        if (!result.ok) throw new CommandFailed(1);
      }),
    );
}

function openBundle(file: string): fs.ReadStream {
  try {
    // Opened synchronously so that a missing file is a usage error, not a failed verification.
    return fs.createReadStream("", { fd: fs.openSync(file, "r"), encoding: "utf8" });
  } catch (error) {
    throw invalidInput("BundleUnreadable", `cannot read ${file}: ${(error as Error).message}`);
  }
}

function describe(result: BundleVerifyResult, file: string): string {
  if (!result.ok) {
    const where = result.line === 0 ? "" : ` at line ${result.line}`;
    return `Bundle ${file} NOT verified${where}: ${result.reason}\n  ${result.detail}`;
  }
  const lines = [
    `Bundle ${file} verified: ${result.events} events of ${result.origin} (tree of ${result.treeSize}), exported ${result.exportedAt}.`,
    `  Query: ${result.query === "" ? "(all events)" : result.query}`,
  ];
  lines.push(
    result.key === "pinned"
      ? `  Key: pinned, ${result.verifierKey}`
      : `  Key: the bundle's own (${result.verifierKey}); pass --key with the server's published key to rule out a forgery.`,
  );
  return lines.join("\n");
}
