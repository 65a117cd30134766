import fs from "node:fs/promises";
import type { Command } from "commander";
import { createAccessGrant } from "../access/access-grant.ts";
import { invalidInput } from "../errors/domain-error.ts";
import { consoleTrail, output, withRuntime, type CliIo } from "./cli-context.ts";

/** The operator at the console may publish any package. */
const consoleGrant = createAccessGrant({
  tokenId: "console",
  fingerprint: "console",
  scopes: ["admin"],
  packagePatterns: [],
});

/** `package-broker package ...`: uploaded archives. */
export function registerPackageCommands(
  program: Command,
  io: CliIo,
  run: (work: () => Promise<void>) => Promise<void>,
): void {
  const pkg = program.command("package").description("manage uploaded packages");

  pkg
    .command("upload <file>")
    .description("publish a zip whose composer.json names the package and its version")
    .option("--json", "print JSON")
    .action((file: string, options: { json?: boolean }) =>
      run(() =>
        withRuntime(io, async (runtime) => {
          const stat = await fs.stat(file).catch(() => null);
          if (stat?.isFile() !== true) throw invalidInput("FileNotFound", `no such file: ${file}`);
          if (stat.size > runtime.config.maxUploadBytes) {
            throw invalidInput(
              "FileTooLarge",
              `${file} is larger than PB_MAX_UPLOAD_BYTES (${runtime.config.maxUploadBytes})`,
            );
          }
          const uploaded = await runtime.packages.upload(
            await fs.readFile(file),
            consoleGrant,
            consoleTrail(runtime),
          );
          output(io, options.json === true, uploaded, () =>
            uploaded.created
              ? `Published ${uploaded.packageName} ${uploaded.version} (sha1 ${uploaded.distSha1})`
              : `${uploaded.packageName} ${uploaded.version} was already published with these exact contents`,
          );
        }),
      ),
    );

  pkg
    .command("delete <package> <version>")
    .description("delete an uploaded version (as published, 1.2.0, or normalized, 1.2.0.0)")
    .option("--json", "print JSON")
    .action((name: string, version: string, options: { json?: boolean }) =>
      run(() =>
        withRuntime(io, async (runtime) => {
          const deleted = await runtime.packages.delete(name, version, consoleGrant, consoleTrail(runtime));
          const result = {
            packageName: deleted.packageName,
            version: deleted.version,
            versionNormalized: deleted.versionNormalized,
          };
          output(
            io,
            options.json === true,
            result,
            () => `Deleted ${deleted.packageName} ${deleted.version}`,
          );
        }),
      ),
    );
}
