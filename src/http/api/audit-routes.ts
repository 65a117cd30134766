import { Hono, type Context } from "hono";
import type { AuditDetails, AuditTarget } from "../../audit/audit-event.ts";
import type { AuditProofs } from "../../audit/audit-proofs.ts";
import type { AuditExporter } from "../../audit/audit-export.ts";
import type { AuditSearch } from "../../audit/audit-search.ts";
import type { RawIpReads } from "../../audit/privacy/raw-ip-reads.ts";
import type { AuditVerification } from "../../audit/audit-verification.ts";
import { DomainError, invalidInput } from "../../errors/domain-error.ts";
import type { AppEnv } from "../app-env.ts";
import type { TokenGuard } from "../middleware/require-token.ts";

export interface AuditRoutesDeps {
  readonly guard: TokenGuard;
  readonly search: AuditSearch;
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
export function auditNoteRoutes(deps: AuditRoutesDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  app.get("/public-key", (c) =>
    c.body(`${deps.verifierKey}\n`, 200, { "content-type": TEXT, "cache-control": "public, max-age=300" }),
  );

  app.get("/checkpoint", deps.guard("audit:read"), async (c) => {
    const checkpoint = await audited(
      c,
      "checkpoint_read",
      { type: "audit_log" },
      {},
      () => deps.proofs.latestCheckpoint(),
      (latest) => ({ size: latest.size, root_hash: latest.rootHash }),
    );
    return c.body(checkpoint.note, 200, { "content-type": TEXT, "cache-control": "no-store" });
  });

  return app;
}

/**
 * /api/audit: search, export, proofs and verification (`audit:read`; raw addresses `audit:raw-ip`). Every read (also a refused one: bad
 * parameters, unknown event) is itself an `audit` event on the request's trail, committed before
 * the response is sent.
 *
 * - `GET /events?q=&limit=&cursor=&order=`: search (docs/audit-search.md), newest first, keyset
 *   pages: `{events, next_cursor}` and a `Link: <...>; rel="next"` header while more exist.
 * - `GET /export?format=jsonl|csv|ecs|ocsf|cef&q=`: the matching events, oldest first, streamed
 *   as a download (no cap on size or time); `X-Audit-Export-Events` says how many.
 * - `GET /events/{id}/raw-ip`: the event's raw client address when PB_AUDIT_RAW_IP_DAYS kept it
 *   (`state`: kept, shredded, not-kept); recorded as `raw_ip_read`.
 * - `GET /events/{id}/proof[?size=N]`: inclusion proof of the event in the tree of N leaves
 *   (default: the latest checkpoint, signed first when it does not cover the event yet).
 * - `GET /consistency?from=M[&to=N]`: consistency proof between the trees of M and N leaves
 *   (N defaults to the latest checkpoint). 1 ≤ M ≤ N ≤ the log's size, else 400.
 * - `GET /verify`: verifies the whole stored log against its signed checkpoints; 200 with
 *   `{ok: true, ...}` or `{ok: false, firstBadSeq, reason, detail}`.
 */
export function auditApiRoutes(deps: AuditRoutesDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const reader = deps.guard("audit:read");

  app.get("/events", reader, async (c) => {
    const q = c.req.query("q") ?? "";
    const cursor = c.req.query("cursor");
    const limitText = c.req.query("limit");
    const order = c.req.query("order");
    // Checked by the search, so that a refused search is recorded like any other.
    const page = await deps.search.pageAndRecord(c.get("audit"), {
      q,
      ...(order === undefined ? {} : { order }),
      ...(limitText === undefined ? {} : { limit: parseLimit(limitText) }),
      ...(cursor === undefined ? {} : { cursor }),
    });
    if (page.nextCursor !== null) {
      const next = new URL(c.req.url);
      next.searchParams.set("cursor", page.nextCursor);
      c.header("link", `<${next.pathname}${next.search}>; rel="next"`);
    }
    return c.json({ events: page.events, next_cursor: page.nextCursor });
  });

  app.get("/export", reader, async (c) => {
    const opened = await deps.exporter.open(c.get("audit"), {
      format: c.req.query("format") ?? "jsonl",
      q: c.req.query("q") ?? "",
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
  });

  app.get("/events/:id/raw-ip", deps.guard("audit:raw-ip"), async (c) =>
    c.json(await deps.rawIps.readAndRecord(c.get("audit"), c.req.param("id")), 200, {
      "cache-control": "no-store",
    }),
  );

  app.get("/events/:id/proof", reader, async (c) => {
    const id = c.req.param("id");
    const sizeText = c.req.query("size");
    const proof = await audited(
      c,
      "proof_read",
      { type: "audit_event", id: id.slice(0, 64) },
      sizeText === undefined ? {} : { requested_size: sizeText.slice(0, 32) },
      () => deps.proofs.inclusion(id, parseTreeSize(sizeText, "size")),
      (document) => ({ seq: document.leafIndex + 1, tree_size: document.treeSize }),
    );
    return c.json(proof);
  });

  app.get("/consistency", reader, async (c) => {
    const fromText = c.req.query("from");
    const toText = c.req.query("to");
    const proof = await audited(
      c,
      "consistency_read",
      { type: "audit_log" },
      {
        ...(fromText === undefined ? {} : { requested_from: fromText.slice(0, 32) }),
        ...(toText === undefined ? {} : { requested_to: toText.slice(0, 32) }),
      },
      () => {
        const from = parseTreeSize(fromText, "from");
        if (from === undefined) throw invalidInput("InvalidTreeSize", "from is required: ?from=M[&to=N]");
        return deps.proofs.consistency(from, parseTreeSize(toText, "to"));
      },
      (document) => ({ from: document.from, to: document.to }),
    );
    return c.json(proof);
  });

  app.get("/verify", reader, async (c) => {
    const report = await deps.verification.verifyAndRecord(c.get("audit"));
    return c.json(report.result);
  });

  return app;
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
