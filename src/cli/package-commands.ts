import fs from "node:fs/promises";
import type { Command } from "commander";
import { createAccessGrant } from "../access/access-grant.ts";
import { PACKAGE_PAGE_SIZE, type PackageDetails, type PackageSummary } from "../catalog/package-browser.ts";
import { invalidInput } from "../errors/domain-error.ts";
import { consoleTrail, output, withRuntime, type CliIo } from "./cli-context.ts";
import { printable, textTable } from "./text-table.ts";

/** The operator at the console may publish and see any package. */
const consoleGrant = createAccessGrant({
  tokenId: "console",
  fingerprint: "console",
  scopes: ["admin"],
  packagePatterns: [],
});

/** `package-broker package ...`: the catalog's packages, and uploaded archives. */
export function registerPackageCommands(
  program: Command,
  io: CliIo,
  run: (work: () => Promise<void>) => Promise<void>,
): void {
  const pkg = program.command("package").description("browse packages, manage uploaded ones");

  pkg
    .command("list")
    .description("list packages by name, with their latest stable version and downloads")
    .option("--query <text>", "only packages whose name contains this text")
    .option("--json", "print JSON")
    .action((options: { query?: string; json?: boolean }) =>
      run(() =>
        withRuntime(io, async (runtime) => {
          const packages: PackageSummary[] = [];
          let cursor: string | null = null;
          do {
            const page = await runtime.packageBrowser.list(consoleGrant, {
              limit: PACKAGE_PAGE_SIZE.max,
              ...(options.query === undefined ? {} : { search: options.query }),
              ...(cursor === null ? {} : { cursor }),
            });
            packages.push(...page.packages);
            cursor = page.nextCursor;
          } while (cursor !== null);
          output(io, options.json === true, packages, () => packageTable(packages, options.query));
        }),
      ),
    );

  pkg
    .command("show <package>")
    .description("show a package and its versions, newest first, with their downloads")
    .option("--json", "print JSON")
    .action((name: string, options: { json?: boolean }) =>
      run(() =>
        withRuntime(io, async (runtime) => {
          const details = await runtime.packageBrowser.get(consoleGrant, name);
          output(io, options.json === true, details, () => packageReport(details));
        }),
      ),
    );

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

function packageTable(packages: readonly PackageSummary[], query: string | undefined): string {
  if (packages.length === 0) {
    return query === undefined
      ? "No packages yet. Upload one (package upload FILE) or add a repository (repo add --url URL)."
      : `No package name contains ${JSON.stringify(query)}.`;
  }
  return textTable([
    ["NAME", "LATEST", "VERSIONS", "DOWNLOADS", "ORIGIN", "DESCRIPTION"],
    ...packages.map((p) => [
      p.name,
      p.latestVersion ?? "-",
      String(p.versionCount),
      String(p.downloads),
      p.origin,
      shorten(p.description ?? "", 60),
    ]),
  ]);
}

function packageReport(details: PackageDetails): string {
  const links = Object.entries(details.latest.require).map(
    ([target, constraint]) => `${target} ${constraint}`,
  );
  const lines = [
    details.description === null ? details.name : `${details.name}: ${printable(details.description)}`,
    `Latest stable: ${printable(details.latestVersion ?? "none")}; ${details.versionCount} version(s), ${details.downloads} download(s)`,
    ...(details.latest.license.length === 0
      ? []
      : [`License: ${printable(details.latest.license.join(", "))}`]),
    ...(links.length === 0
      ? []
      : [`Requires (${printable(details.latest.version)}): ${printable(links.join(", "))}`]),
    "",
    textTable([
      ["VERSION", "STABILITY", "ORIGIN", "DOWNLOADS", "TIME", "REFERENCE"],
      ...details.versions.map((v) => [
        v.version,
        v.stability,
        v.repositoryId === null ? v.origin : `${v.origin} (${v.repositoryId})`,
        String(v.downloads),
        v.time ?? "-",
        v.reference.slice(0, 12),
      ]),
    ]),
  ];
  return lines.join("\n");
}

function shorten(text: string, length: number): string {
  return text.length > length ? `${text.slice(0, length - 1)}…` : text;
}
