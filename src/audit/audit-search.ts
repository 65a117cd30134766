import { invalidInput } from "../errors/domain-error.ts";
import type { AuditSearchRecords } from "../storage/database/audit-search-records.ts";
import type { AuditEvent } from "./audit-event.ts";
import { rowToEvent } from "./audit-row.ts";
import type { AuditTrail } from "./audit-trail.ts";
import { recordedAuditRead } from "./recorded-audit-read.ts";
import { AuditQueryError, type AuditQuery } from "./search/audit-query.ts";
import { parseAuditQuery } from "./search/parse-audit-query.ts";
import { decodeSearchCursor, encodeSearchCursor, type SearchOrder } from "./search/search-cursor.ts";

export const MAX_SEARCH_LIMIT = 1000;
export const DEFAULT_SEARCH_LIMIT = 100;

export interface AuditSearchRequest {
  /** The query text (docs/audit-search.md); empty matches every event. */
  readonly q: string;
  readonly limit?: number;
  readonly cursor?: string;
  /** `desc` (newest first, the default) or `asc`; anything else is a 400. */
  readonly order?: string;
}

export interface AuditSearchPage {
  readonly events: AuditEvent[];
  /** Pass as `cursor` for the next page; null on the last page. */
  readonly nextCursor: string | null;
}

/**
 * Search over the audit log: parses the query language, pages by keyset (newest first unless
 * asked otherwise), and records every search as an `audit`/`searched` event.
 */
export class AuditSearch {
  readonly #records: AuditSearchRecords;

  constructor(records: AuditSearchRecords) {
    this.#records = records;
  }

  async page(request: AuditSearchRequest): Promise<AuditSearchPage> {
    const order = parseOrder(request.order);
    const limit = request.limit ?? DEFAULT_SEARCH_LIMIT;
    if (!Number.isSafeInteger(limit) || limit < 1 || limit > MAX_SEARCH_LIMIT) {
      throw invalidInput("InvalidLimit", `limit must be a whole number from 1 to ${MAX_SEARCH_LIMIT}`, {
        parameter: "limit",
      });
    }
    const query = parseQuery(request.q);
    const afterSeq = request.cursor === undefined ? null : decodeSearchCursor(request.cursor, order);
    // One more than asked tells whether a next page exists without a count.
    const rows = await this.#records.page({ query, limit: limit + 1, afterSeq, order });
    const events = rows.slice(0, limit).map(rowToEvent);
    const last = events.at(-1);
    return {
      events,
      nextCursor: rows.length > limit && last !== undefined ? encodeSearchCursor(order, last.seq) : null,
    };
  }

  /** `page`, recorded: the query, the page asked for and how many events it returned. */
  async pageAndRecord(trail: AuditTrail, request: AuditSearchRequest): Promise<AuditSearchPage> {
    const details = {
      query: request.q.slice(0, 2000),
      // NaN (a limit that was not a number) has no place in JSON.
      limit: Number.isFinite(request.limit)
        ? request.limit
        : request.limit === undefined
          ? DEFAULT_SEARCH_LIMIT
          : null,
      order: request.order?.slice(0, 32) ?? "desc",
      cursor: request.cursor?.slice(0, 64) ?? null,
    };
    return recordedAuditRead(
      trail,
      "searched",
      details,
      () => this.page(request),
      (page) => ({ returned: page.events.length, more: page.nextCursor !== null }),
    );
  }

  /** Every matching event, streamed in pages (constant memory, no cap); for exports. */
  async *events(q: string, order: SearchOrder = "asc"): AsyncGenerator<AuditEvent> {
    const query = parseQuery(q);
    for await (const row of this.#records.scan(query, order)) yield rowToEvent(row);
  }
}

function parseOrder(order: string | undefined): SearchOrder {
  if (order === undefined || order === "desc" || order === "asc") return order ?? "desc";
  throw invalidInput("InvalidOrder", `order must be asc or desc, not ${JSON.stringify(order.slice(0, 32))}`, {
    parameter: "order",
  });
}

/** The parsed query; a malformed one is a 400 that says where. */
export function parseQuery(q: string): AuditQuery {
  try {
    return parseAuditQuery(q);
  } catch (error) {
    if (error instanceof AuditQueryError) {
      throw invalidInput("InvalidQuery", error.message, { parameter: "q", position: error.position });
    }
    throw error;
  }
}
