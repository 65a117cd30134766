import type { CreatedLink } from "../access/account-links.ts";
import { systemContext } from "../audit/audit-event.ts";
import { auditTrail } from "../audit/audit-trail.ts";
import { DomainError } from "../errors/domain-error.ts";
import type { Logger } from "../observability/logger.ts";
import { logSetupLinkCreated } from "../observability/log-events.ts";
import type { Runtime } from "../runtime.ts";

/**
 * What `serve` does on a start without an active admin: makes a setup link (replacing the link
 * of an earlier start), prints it for the person who started the server, and logs that it did,
 * without the link: the log may be shipped elsewhere, and the link makes its holder an admin.
 * Null when an admin exists (also when one was made a moment ago by someone else).
 */
export async function offerFirstRunSetupLink(
  runtime: Runtime,
  logger: Logger,
  print: (text: string) => void,
): Promise<CreatedLink | null> {
  if (await runtime.users.hasActiveAdmin()) return null;
  let created: CreatedLink;
  try {
    created = await runtime.auditedAccountLinks.createSetupLink(auditTrail(runtime.audit.log, systemContext));
  } catch (error) {
    if (error instanceof DomainError && error.code === "AdminExists") return null;
    throw error;
  }
  logSetupLinkCreated(logger, { linkId: created.link.id, expiresAt: created.link.expiresAt });
  const hours = Math.round(
    (Date.parse(created.link.expiresAt) - Date.parse(created.link.createdAt)) / 3_600_000,
  );
  print(`No administrator yet. Open this link within ${hours} hours to create one: ${created.url}\n`);
  return created;
}
