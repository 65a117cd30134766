import type { Context } from "hono";
import type { AuditDetails, AuditTarget } from "../../audit/audit-event.ts";
import type { AuditProofs } from "../../audit/audit-proofs.ts";
import type { AuditExporter } from "../../audit/audit-export.ts";
import type { AuditSearch } from "../../audit/audit-search.ts";
import type { AuditHistogram } from "../../audit/search/audit-histogram.ts";
import type { RawIpReads } from "../../audit/privacy/raw-ip-reads.ts";
import type { AuditVerification } from "../../audit/audit-verification.ts";
import { DomainError, invalidInput } from "../../errors/domain-error.ts";
import type { AppEnv } from "../app-env.ts";
import type { TokenGuard } from "../middleware/require-token.ts";
import { ApiRouter } from "../openapi/api-router.ts";
import { problemResponse } from "../openapi/problem-schema.ts";
import {
  consistencyProofSchema,
  consistencyQuerySchema,
  exportQuerySchema,
  histogramQuerySchema,
  histogramSchema,
  inclusionProofSchema,
  proofQuerySchema,
  rawIpSchema,
  searchPageSchema,
  searchQuerySchema,
  verifyResultSchema,
} from "./audit-schemas.ts";

export interface AuditRoutesDeps {
  readonly guard: TokenGuard;
  readonly search: AuditSearch;
  readonly histogram: AuditHistogram;
  readonly exporter: AuditExporter;
  readonly rawIps: RawIpReads;
  readonly proofs: AuditProofs;
  readonly verification: AuditVerification;
  /** The C2SP verifier key of the checkpoints. */
  readonly verifierKey: string;
}

const TEXT = "text/plain; charset=utf-8";

/**
 * /audit: the checkpoint key and the latest signed checkpoint, as plain text.
 *
 * - `GET /audit/public-key` is public: it is a public key, and whoever checks a checkpoint must be
 *   able to get it without holding a token of this server (better still, save it once and pin it).
 * - `GET /audit/checkpoint` needs `audit:read` (it reveals the log's size and growth); when no
 *   checkpoint was signed yet, one is signed now. 404 while the log is empty.
 */
export function auditNoteRoutes(deps: AuditRoutesDeps): ApiRouter {
  const api = new ApiRouter({
    base: "/audit",
    tag: "Audit checkpoints",
    tagDescription: "The checkpoint key and the latest signed checkpoint (C2SP signed notes).",
    guard: deps.guard,
    maxJsonBytes: 0,
  });

  api.add(
    {
      method: "get",
      path: "/public-key",
      operationId: "getAuditPublicKey",
      summary: "The checkpoint verifier key",
      description: "Save it once and pin it: `package-broker audit verify --key` checks against it.",
      access: "public",
      responses: { 200: { description: "The C2SP verifier key, one line.", contentType: TEXT } },
    },
    (c) =>
      c.body(`${deps.verifierKey}\n`, 200, { "content-type": TEXT, "cache-control": "public, max-age=300" }),
  );

  api.add(
    {
      method: "get",
      path: "/checkpoint",
      operationId: "getAuditCheckpoint",
      summary: "The latest signed checkpoint",
      description: "Signed now when none was signed yet; 404 while the log is empty.",
      access: "audit:read",
      responses: {
        200: { description: "The signed note.", contentType: TEXT },
        404: problemResponse("The log is empty."),
      },
    },
    async (c) => {
      const checkpoint = await audited(
        c,
        "checkpoint_read",
        { type: "audit_log" },
        {},
        () => deps.proofs.latestCheckpoint(),
        (latest) => ({ size: latest.size, root_hash: latest.rootHash }),
      );
      return c.body(checkpoint.note, 200, { "content-type": TEXT, "cache-control": "no-store" });
    },
  );

  return api;
}

/**
 * /api/audit: search, histogram, export, proofs and verification (`audit:read`; raw addresses
 * `audit:raw-ip`). Every read (also a refused one: bad parameters, unknown event) is itself an
 * `audit` event on the request's trail, committed before the response is sent. The query
 * parameters are checked by the services, not by the operations' schemas, so that a refused read
 * is recorded like any other.
 */
export function auditApiRoutes(deps: AuditRoutesDeps): ApiRouter {
  const api = new ApiRouter({
    base: "/api/audit",
    tag: "Audit log",
    tagDescription: "Search, export, inclusion and consistency proofs, verification.",
    guard: deps.guard,
    maxJsonBytes: 0,
  });

  api.add(
    {
      method: "get",
      path: "/events",
      operationId: "searchAuditEvents",
      summary: "Search the audit log",
      description:
        'Keyset pages, newest first: new events never shift a page. `Link: <...>; rel="next"` while more exist.',
      access: "audit:read",
      query: searchQuerySchema,
      responses: {
        200: {
          description: "A page of events.",
          schema: searchPageSchema,
          headers: { link: "The next page, while there is one." },
        },
        503: problemResponse("The search index is still catching up (Retry-After says when to retry)."),
      },
    },
    async (c, { query }) => {
      const page = await deps.search.pageAndRecord(c.get("audit"), {
        q: query.q ?? "",
        ...(query.order === undefined ? {} : { order: query.order }),
        ...(query.limit === undefined ? {} : { limit: parseLimit(query.limit) }),
        ...(query.cursor === undefined ? {} : { cursor: query.cursor }),
      });
      if (page.nextCursor !== null) {
        const next = new URL(c.req.url);
        next.searchParams.set("cursor", page.nextCursor);
        c.header("link", `<${next.pathname}${next.search}>; rel="next"`);
      }
      return c.json({ events: page.events, next_cursor: page.nextCursor });
    },
  );

  api.add(
    {
      method: "get",
      path: "/histogram",
      operationId: "getAuditHistogram",
      summary: "Count a search's events over time",
      description:
        "Exact counts per bucket of a round width (1 s to weeks, aligned to UTC), for the same events as `GET /api/audit/events` with the same `q`.",
      access: "audit:read",
      query: histogramQuerySchema,
      responses: {
        200: { description: "The counts, oldest bucket first.", schema: histogramSchema },
        503: problemResponse("The search index is still catching up (Retry-After says when to retry)."),
      },
    },
    async (c, { query }) => {
      const result = await deps.histogram.countAndRecord(c.get("audit"), {
        q: query.q ?? "",
        ...(query.buckets === undefined ? {} : { buckets: query.buckets }),
        ...(query.from === undefined ? {} : { from: query.from }),
        ...(query.to === undefined ? {} : { to: query.to }),
      });
      return c.json(result, 200, { "cache-control": "no-store" });
    },
  );

  api.add(
    {
      method: "get",
      path: "/export",
      operationId: "exportAuditEvents",
      summary: "Export matching events",
      description: "Oldest first, streamed, no cap on size or time. `X-Audit-Export-Events` says how many.",
      access: "audit:read",
      query: exportQuerySchema,
      responses: {
        200: {
          description: "The events in the format asked for, as a download.",
          contentTypes: [
            "application/x-ndjson",
            "text/csv; charset=utf-8; header=present",
            "text/plain; charset=utf-8",
          ],
          headers: { "x-audit-export-events": "How many events the export holds." },
        },
      },
    },
    async (c, { query }) => {
      const opened = await deps.exporter.open(c.get("audit"), {
        format: query.format ?? "jsonl",
        q: query.q ?? "",
      });
      const encoder = new TextEncoder();
      // Pulled as the client reads (backpressure); a client that goes away stops the reading.
      const body = ReadableStream.from(
        (async function* () {
          for await (const chunk of opened.chunks) yield encoder.encode(chunk.text);
        })(),
      );
      return c.body(body, 200, {
        "content-type": opened.contentType,
        "content-disposition": `attachment; filename="${opened.fileName}"`,
        "cache-control": "no-store",
        "x-audit-export-events": String(opened.total),
      });
    },
  );

  api.add(
    {
      method: "get",
      path: "/events/:id/raw-ip",
      operationId: "getAuditEventRawIp",
      summary: "An event's raw client address",
      description: "When PB_AUDIT_RAW_IP_DAYS kept it. Recorded as `raw_ip_read` (severity warning).",
      access: "audit:raw-ip",
      params: { id: "The event's id." },
      responses: { 200: { description: "The address, or why there is none.", schema: rawIpSchema } },
    },
    async (c, { params }) =>
      c.json(await deps.rawIps.readAndRecord(c.get("audit"), params.id), 200, {
        "cache-control": "no-store",
      }),
  );

  api.add(
    {
      method: "get",
      path: "/events/:id/proof",
      operationId: "getAuditEventProof",
      summary: "Inclusion proof of an event",
      description: "In the tree of `size` leaves; by default the latest checkpoint, signed first if needed.",
      access: "audit:read",
      params: { id: "The event's id." },
      query: proofQuerySchema,
      responses: { 200: { description: "The proof.", schema: inclusionProofSchema } },
    },
    async (c, { params, query }) => {
      const sizeText = query.size;
      const proof = await audited(
        c,
        "proof_read",
        { type: "audit_event", id: params.id.slice(0, 64) },
        sizeText === undefined ? {} : { requested_size: sizeText.slice(0, 32) },
        () => deps.proofs.inclusion(params.id, parseTreeSize(sizeText, "size")),
        (document) => ({ seq: document.leafIndex + 1, tree_size: document.treeSize }),
      );
      return c.json(proof);
    },
  );

  api.add(
    {
      method: "get",
      path: "/consistency",
      operationId: "getAuditConsistencyProof",
      summary: "Consistency proof between two tree sizes",
      description: "1 ≤ from ≤ to ≤ the log's size, else 400.",
      access: "audit:read",
      query: consistencyQuerySchema,
      responses: { 200: { description: "The proof.", schema: consistencyProofSchema } },
    },
    async (c, { query }) => {
      const proof = await audited(
        c,
        "consistency_read",
        { type: "audit_log" },
        {
          ...(query.from === undefined ? {} : { requested_from: query.from.slice(0, 32) }),
          ...(query.to === undefined ? {} : { requested_to: query.to.slice(0, 32) }),
        },
        () => {
          const from = parseTreeSize(query.from, "from");
          if (from === undefined) throw invalidInput("InvalidTreeSize", "from is required: ?from=M[&to=N]");
          return deps.proofs.consistency(from, parseTreeSize(query.to, "to"));
        },
        (document) => ({ from: document.from, to: document.to }),
      );
      return c.json(proof);
    },
  );

  api.add(
    {
      method: "get",
      path: "/verify",
      operationId: "verifyAuditLog",
      summary: "Verify the whole stored log",
      description: "Against its signed checkpoints; 200 with the verdict either way.",
      access: "audit:read",
      responses: { 200: { description: "The verdict.", schema: verifyResultSchema } },
    },
    async (c) => {
      const report = await deps.verification.verifyAndRecord(c.get("audit"));
      return c.json(report.result);
    },
  );

  return api;
}

/**
 * Runs a read of the audit log and records it as an `audit` event: success with what was read,
 * or, for a refused read (a domain error: bad parameters, nothing found), failure with the code.
 */
async function audited<T>(
  c: Context<AppEnv>,
  action: string,
  target: AuditTarget,
  request: AuditDetails,
  work: () => Promise<T>,
  describe: (value: T) => AuditDetails,
): Promise<T> {
  let value: T;
  try {
    value = await work();
  } catch (error) {
    if (error instanceof DomainError) {
      await c.get("audit").record({
        event: "audit",
        action,
        outcome: "failure",
        target,
        details: { ...request, code: error.code },
      });
    }
    throw error;
  }
  await c.get("audit").record({
    event: "audit",
    action,
    outcome: "success",
    target,
    details: { ...request, ...describe(value) },
  });
  return value;
}

/** `limit` as a number; the search checks its range. Anything but digits is NaN, so a 400 too. */
function parseLimit(text: string): number {
  return /^[0-9]{1,7}$/.test(text) ? Number(text) : Number.NaN;
}

/** A tree size from the query: absent, or a whole number (anything else is a 400). */
function parseTreeSize(text: string | undefined, name: string): number | undefined {
  if (text === undefined) return undefined;
  const value = /^[0-9]{1,16}$/.test(text) ? Number(text) : Number.NaN;
  if (!Number.isSafeInteger(value)) {
    throw invalidInput(
      "InvalidTreeSize",
      `${name} must be a whole number of events, not ${JSON.stringify(text.slice(0, 32))}`,
    );
  }
  return value;
}
