import type { Command } from "commander";
import { createAuditReads } from "../audit/audit-reads.ts";
import type { AuditEvent } from "../audit/audit-event.ts";
import type { AuditSearchPage } from "../audit/audit-search.ts";
import { consoleTrail, output, withRuntime, type CliIo } from "./cli-context.ts";

interface SearchOptions {
  limit?: string;
  cursor?: string;
  order?: string;
  json?: boolean;
}

/** `package-broker audit search "QUERY"`: the query language of docs/audit-search.md. */
export function registerAuditSearchCommand(
  audit: Command,
  io: CliIo,
  run: (work: () => Promise<void>) => Promise<void>,
): void {
  audit
    .command("search")
    .description(
      'search the audit log (e.g. "action:token -actor:console created:>=2026-01-01"); newest first',
    )
    .argument("[query]", "the query; empty matches every event", "")
    // A query may start with a negation ("-event:system"): not an option, the query.
    .allowUnknownOption()
    .option("--limit <n>", "events per page, 1 to 1000", "100")
    .option("--cursor <cursor>", "continue after the page that printed this cursor")
    .option("--order <order>", "desc (newest first) or asc", "desc")
    .option("--json", "print JSON: {events, next_cursor}")
    .action((query: string, options: SearchOptions) =>
      run(async () => {
        const page = await withRuntime(io, (runtime) =>
          createAuditReads(runtime.audit, runtime.database.db, {
            indexWaitMs: Number.POSITIVE_INFINITY,
          }).search.pageAndRecord(consoleTrail(runtime), {
            q: query,
            limit: /^[0-9]{1,7}$/.test(options.limit ?? "") ? Number(options.limit) : Number.NaN,
            ...(options.order === undefined ? {} : { order: options.order }),
            ...(options.cursor === undefined ? {} : { cursor: options.cursor }),
          }),
        );
        output(io, options.json === true, { events: page.events, next_cursor: page.nextCursor }, () =>
          describePage(page),
        );
      }),
    );
}

function describePage(page: AuditSearchPage): string {
  if (page.events.length === 0) return "No events match.";
  const lines = page.events.map(describeEvent);
  if (page.nextCursor !== null) lines.push(`More events: add --cursor ${page.nextCursor}`);
  return lines.join("\n");
}

/** One line: seq, time, category.action, outcome, who, from where, on what. */
export function describeEvent(event: AuditEvent): string {
  const target =
    event.target === null
      ? ""
      : [event.target.type, event.target.name ?? event.target.id, event.target.version];
  return [
    `#${event.seq}`,
    event.timestamp,
    `${event.event}.${event.action}`,
    event.outcome,
    event.user,
    event.ip_address ?? "-",
    ...(Array.isArray(target) ? target.filter((part) => part !== undefined) : []),
  ].join("  ");
}
