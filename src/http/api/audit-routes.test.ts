import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TestRuntime, type TestToken } from "../../../test/builders/test-runtime.ts";
import { consoleContext, type AuditEvent } from "../../audit/audit-event.ts";
import { rowToEvent } from "../../audit/audit-row.ts";
import { auditTrail } from "../../audit/audit-trail.ts";
import type { ConsistencyProofDocument, InclusionProofDocument } from "../../audit/audit-proofs.ts";
import { canonicalJson } from "../../audit/integrity/canonical-json.ts";
import { openCheckpoint, type Checkpoint } from "../../audit/integrity/checkpoint.ts";
import { leafHashHex, verifyConsistency, verifyInclusion } from "../../audit/integrity/merkle.ts";
import { parseVerifierKey } from "../../audit/integrity/signed-note.ts";
import { verifyBundle } from "../../audit/integrity/verify-bundle.ts";

const PROBLEM = "application/problem+json";
const hex = (value: string): Buffer => Buffer.from(value, "hex");

async function recordEvents(t: TestRuntime, count: number): Promise<AuditEvent[]> {
  const trail = auditTrail(t.runtime.audit.log, consoleContext);
  return Promise.all(
    Array.from({ length: count }, (_, index) =>
      trail.record({
        event: "package",
        action: "uploaded",
        outcome: "success",
        target: { type: "package", name: `acme/pkg-${index}`, version: "1.0.0" },
        details: { index, text: "ünïcødé ✓" },
      }),
    ),
  );
}

async function latestAuditEvent(t: TestRuntime, action: string): Promise<AuditEvent> {
  const row = await t.runtime.audit.records.latestEvent("audit", action);
  if (row === null) throw new Error(`no audit/${action} event`);
  return rowToEvent(row);
}

describe("audit routes", () => {
  let t: TestRuntime;
  let admin: TestToken;
  let reader: TestToken;
  let publicKey: string;

  beforeAll(async () => {
    t = await TestRuntime.start();
    admin = await t.createToken({ scopes: ["admin"], description: "auditor" });
    reader = await t.createToken({ scopes: ["write"], description: "ci" });
    await recordEvents(t, 25);
    publicKey = (await (await t.request("/audit/public-key")).text()).trim();
  });

  afterAll(async () => {
    await t.cleanup();
  });

  const get = (path: string, token: string = admin.token): Promise<Response> => t.request(path, { token });

  async function openNote(note: string): Promise<Checkpoint> {
    return Promise.resolve(openCheckpoint(note, [parseVerifierKey(publicKey)]).checkpoint);
  }

  describe("GET /audit/public-key", () => {
    it("serves the checkpoint verifier key without a token", async () => {
      const response = await t.request("/audit/public-key");
      expect(response.status).toBe(200);
      expect(response.headers.get("content-type")).toBe("text/plain; charset=utf-8");
      expect(await response.text()).toBe(`${t.runtime.audit.verifierKey}\n`);
      expect(parseVerifierKey(publicKey).name).toBe(t.runtime.audit.origin);
    });
  });

  describe("GET /audit/checkpoint", () => {
    it("signs a checkpoint when there is none, and serves the latest one as text", async () => {
      expect(await t.runtime.audit.records.latestCheckpoint()).toBeNull();
      const response = await get("/audit/checkpoint");
      expect(response.status).toBe(200);
      expect(response.headers.get("content-type")).toBe("text/plain; charset=utf-8");
      const note = await response.text();
      const checkpoint = await openNote(note);
      expect(checkpoint.origin).toBe(t.runtime.audit.origin);
      expect(checkpoint.size).toBeGreaterThanOrEqual(25);
      expect(await latestAuditEvent(t, "checkpoint_read")).toMatchObject({
        outcome: "success",
        actor: { type: "token", id: admin.fingerprint },
        details: { size: checkpoint.size },
      });
      // Served again as is while no new checkpoint is signed.
      expect(await (await get("/audit/checkpoint")).text()).toBe(note);
    });

    it("needs an admin token", async () => {
      expect((await t.request("/audit/checkpoint")).status).toBe(401);
      expect((await get("/audit/checkpoint", reader.token)).status).toBe(403);
    });
  });

  describe("GET /api/audit/events/{id}/proof", () => {
    it("proves an event against the latest checkpoint, signing one first if needed", async () => {
      const [event] = await recordEvents(t, 1);
      const response = await get(`/api/audit/events/${event!.id}/proof`);
      expect(response.status).toBe(200);
      const proof = (await response.json()) as InclusionProofDocument;
      expect(proof.event).toEqual(event);
      expect(proof.leafIndex).toBe(event!.seq - 1);
      expect(proof.leafHash).toBe(leafHashHex(canonicalJson(proof.event)));
      expect(proof.checkpoint).not.toBeNull();
      const checkpoint = await openNote(proof.checkpoint ?? "");
      expect(checkpoint.size).toBe(proof.treeSize);
      expect(checkpoint.rootHash.toString("hex")).toBe(proof.rootHash);
      expect(proof.treeSize).toBeGreaterThanOrEqual(event!.seq);
      expect(
        verifyInclusion(
          hex(proof.leafHash),
          proof.leafIndex,
          proof.treeSize,
          proof.proof.map(hex),
          checkpoint.rootHash,
        ),
      ).toBe(true);
      expect(await latestAuditEvent(t, "proof_read")).toMatchObject({
        outcome: "success",
        target: { type: "audit_event", id: event!.id },
        details: { seq: event!.seq, tree_size: proof.treeSize },
      });
    });

    it("proves against an explicit tree size, with the checkpoint of that size if there is one", async () => {
      const [first] = await recordEvents(t, 1);
      await recordEvents(t, 3);
      const size = first!.seq + 2;
      const response = await get(`/api/audit/events/${first!.id}/proof?size=${size}`);
      expect(response.status).toBe(200);
      const proof = (await response.json()) as InclusionProofDocument;
      expect(proof).toMatchObject({ treeSize: size, checkpoint: null });
      expect(
        verifyInclusion(
          hex(proof.leafHash),
          proof.leafIndex,
          size,
          proof.proof.map(hex),
          hex(proof.rootHash),
        ),
      ).toBe(true);

      const latest = await t.runtime.audit.checkpointer.checkpointNow();
      const atCheckpoint = (await (
        await get(`/api/audit/events/${first!.id}/proof?size=${latest!.size}`)
      ).json()) as InclusionProofDocument;
      expect(atCheckpoint.checkpoint).toBe(latest!.note);
    });

    it("answers bad sizes with 400 and unknown events with 404, and records the refusal", async () => {
      const [event] = await recordEvents(t, 1);
      const logSize = (await t.runtime.audit.records.state()).size;
      for (const size of [
        "abc",
        "0",
        "-1",
        "1e3",
        "",
        String(event!.seq - 1),
        String(logSize + 1000),
        "99999999999999999",
      ]) {
        const response = await get(`/api/audit/events/${event!.id}/proof?size=${encodeURIComponent(size)}`);
        expect(response.status, size).toBe(400);
        expect(response.headers.get("content-type")).toBe(PROBLEM);
        expect(await response.json()).toMatchObject({ status: 400, code: "InvalidTreeSize" });
      }
      expect(await latestAuditEvent(t, "proof_read")).toMatchObject({
        outcome: "failure",
        details: { code: "InvalidTreeSize" },
      });
      const missing = await get("/api/audit/events/01NOSUCHEVENT0000000000000/proof");
      expect(missing.status).toBe(404);
      expect(await missing.json()).toMatchObject({ code: "AuditEventNotFound" });
    });
  });

  describe("GET /api/audit/events", () => {
    it("searches newest first and pages with next_cursor and a Link header", async () => {
      const trail = auditTrail(t.runtime.audit.log, consoleContext);
      for (let index = 1; index <= 11; index += 1) {
        await trail.record({
          event: "package",
          action: "uploaded",
          outcome: "success",
          target: { type: "package", name: `acme/page-${index}`, version: "1.0.0" },
        });
      }
      const q = encodeURIComponent("package:acme/page-1*");
      const first = await get(`/api/audit/events?q=${q}&limit=2`);
      expect(first.status).toBe(200);
      const body = (await first.json()) as { events: AuditEvent[]; next_cursor: string | null };
      expect(body.events.map((event) => event.target?.name)).toEqual(["acme/page-11", "acme/page-10"]);
      expect(body.next_cursor).toEqual(expect.any(String));
      const link = first.headers.get("link") ?? "";
      expect(link).toMatch(/^<\/api\/audit\/events\?q=.*cursor=.*>; rel="next"$/);
      const next = await get(link.slice(1, link.indexOf(">")));
      const rest = (await next.json()) as { events: AuditEvent[]; next_cursor: string | null };
      expect(rest.events.map((event) => event.target?.name)).toEqual(["acme/page-1"]);
      expect(rest.next_cursor).toBeNull();
      expect(next.headers.get("link")).toBeNull();
      const all = await get(`/api/audit/events?q=${encodeURIComponent("package:acme/page-*")}&limit=4`);
      const page = (await all.json()) as { events: AuditEvent[]; next_cursor: string | null };
      const after = await get(
        `/api/audit/events?q=${encodeURIComponent("package:acme/page-*")}&limit=4&cursor=${page.next_cursor ?? ""}`,
      );
      const second = (await after.json()) as { events: AuditEvent[] };
      expect([...page.events, ...second.events].map((event) => event.target?.name)).toEqual(
        [11, 10, 9, 8, 7, 6, 5, 4].map((index) => `acme/page-${index}`),
      );
      expect(await latestAuditEvent(t, "searched")).toMatchObject({
        outcome: "success",
        details: { query: "package:acme/page-*", limit: 4, returned: 4, more: true },
      });
    });

    it("takes the JSON filters of the docs", async () => {
      const q = encodeURIComponent('{"event":"package","action":"uploaded"}');
      const body = (await (await get(`/api/audit/events?q=${q}&limit=1`)).json()) as { events: AuditEvent[] };
      expect(body.events).toHaveLength(1);
      expect(body.events[0]).toMatchObject({ event: "package", action: "uploaded" });
    });

    it.each([
      ["q=foo:bar", "InvalidQuery", { position: 0 }],
      [`q=${encodeURIComponent('"unterminated')}`, "InvalidQuery", { position: 0 }],
      ["q=created:2026-02-30", "InvalidQuery", { position: 8 }],
      ["limit=0", "InvalidLimit", {}],
      ["limit=abc", "InvalidLimit", {}],
      ["limit=99999999999", "InvalidLimit", {}],
      ["order=sideways", "InvalidOrder", {}],
      ["cursor=garbage", "InvalidCursor", {}],
    ])("answers %s with a 400 problem and records the refusal", async (parameters, code, extra) => {
      const response = await get(`/api/audit/events?${parameters}`);
      expect(response.status).toBe(400);
      expect(response.headers.get("content-type")).toBe(PROBLEM);
      expect(await response.json()).toMatchObject({ status: 400, code, ...extra });
      expect(await latestAuditEvent(t, "searched")).toMatchObject({ outcome: "failure", details: { code } });
    });
  });

  describe("GET /api/audit/export", () => {
    it("streams JSON lines of the matching events, oldest first, as a download", async () => {
      const q = encodeURIComponent("package:acme/pkg-2*");
      const response = await get(`/api/audit/export?format=jsonl&q=${q}`);
      expect(response.status).toBe(200);
      expect(response.headers.get("content-type")).toBe("application/x-ndjson");
      expect(response.headers.get("content-disposition")).toMatch(
        /^attachment; filename="audit-log-\d{4}-\d\d-\d\dT[\d-]+Z\.jsonl"$/,
      );
      const lines = (await response.text()).trimEnd().split("\n");
      const events = lines.map((line) => JSON.parse(line) as AuditEvent);
      expect(new Set(events.map((event) => event.target?.name))).toEqual(
        new Set(["acme/pkg-2", "acme/pkg-20", "acme/pkg-21", "acme/pkg-22", "acme/pkg-23", "acme/pkg-24"]),
      );
      expect(events.map((event) => event.seq)).toEqual(
        [...events.map((event) => event.seq)].sort((a, b) => a - b),
      );
      expect(response.headers.get("x-audit-export-events")).toBe(String(events.length));
      expect(await latestAuditEvent(t, "exported")).toMatchObject({
        outcome: "success",
        details: { format: "jsonl", query: "package:acme/pkg-2*", events: events.length },
      });
    });

    it("writes spreadsheet-safe CSV", async () => {
      await auditTrail(t.runtime.audit.log, consoleContext).record({
        event: "package",
        action: "uploaded",
        outcome: "success",
        target: { type: "package", name: '=HYPERLINK("http://evil")', version: "1.0.0" },
      });
      const response = await get(
        `/api/audit/export?format=csv&q=${encodeURIComponent("package:=HYPERLINK*")}`,
      );
      expect(response.status).toBe(200);
      expect(response.headers.get("content-type")).toMatch(/^text\/csv/);
      const [header, row, end] = (await response.text()).split("\r\n");
      expect(header).toMatch(/^seq,id,timestamp,event,action/);
      expect(row).toContain(`"'=HYPERLINK(""http://evil"")"`);
      expect(end).toBe("");
    });

    it.each([
      ["ecs", (line: string) => JSON.parse(line) as Record<string, unknown>, "@timestamp"],
      ["ocsf", (line: string) => JSON.parse(line) as Record<string, unknown>, "class_uid"],
      ["cef", (line: string) => ({ header: line.split("|").slice(0, 3).join("|") }), "header"],
    ])("exports %s", async (format, read, member) => {
      const response = await get(
        `/api/audit/export?format=${format}&q=${encodeURIComponent("package:acme/pkg-3")}`,
      );
      expect(response.status).toBe(200);
      const lines = (await response.text()).trimEnd().split("\n");
      expect(lines).toHaveLength(1);
      expect(read(lines[0] ?? "")).toHaveProperty(member);
    });

    it("exports a verifiable bundle", async () => {
      const response = await get(
        `/api/audit/export?format=bundle&q=${encodeURIComponent("package:acme/pkg-4")}`,
      );
      expect(response.status).toBe(200);
      expect(response.headers.get("content-disposition")).toMatch(/\.bundle\.jsonl"$/);
      const lines = (await response.text()).trimEnd().split("\n");
      const result = await verifyBundle(lines, parseVerifierKey(publicKey));
      expect(result).toMatchObject({ ok: true, events: lines.length - 2, key: "pinned" });
    });

    it.each([
      ["format=xml", "InvalidExportFormat"],
      ["format=jsonl&q=foo:bar", "InvalidQuery"],
    ])("answers %s with a 400 before any byte, and records the refusal", async (parameters, code) => {
      const response = await get(`/api/audit/export?${parameters}`);
      expect(response.status).toBe(400);
      expect(await response.json()).toMatchObject({ code });
      expect(await latestAuditEvent(t, "exported")).toMatchObject({ outcome: "failure", details: { code } });
    });
  });

  describe("GET /api/audit/consistency", () => {
    it("proves that an earlier checkpoint's tree is a prefix of a later one's", async () => {
      const older = (await t.runtime.audit.checkpointer.checkpointNow())!;
      await recordEvents(t, 7);
      const newer = (await t.runtime.audit.checkpointer.checkpointNow())!;
      const response = await get(`/api/audit/consistency?from=${older.size}&to=${newer.size}`);
      expect(response.status).toBe(200);
      const proof = (await response.json()) as ConsistencyProofDocument;
      expect(proof).toMatchObject({
        from: older.size,
        to: newer.size,
        checkpoints: { from: older.note, to: newer.note },
      });
      const [a, b] = [await openNote(older.note), await openNote(newer.note)];
      expect(proof.fromRoot).toBe(a.rootHash.toString("hex"));
      expect(proof.toRoot).toBe(b.rootHash.toString("hex"));
      expect(verifyConsistency(a.size, b.size, proof.proof.map(hex), a.rootHash, b.rootHash)).toBe(true);
      expect(await latestAuditEvent(t, "consistency_read")).toMatchObject({
        outcome: "success",
        details: { from: older.size, to: newer.size },
      });

      // `to` defaults to the latest checkpoint.
      const defaulted = (await (
        await get(`/api/audit/consistency?from=3`)
      ).json()) as ConsistencyProofDocument;
      expect(defaulted.to).toBeGreaterThanOrEqual(newer.size);
      expect(defaulted.checkpoints.to).not.toBeNull();
      const latest = await openNote(defaulted.checkpoints.to ?? "");
      expect(
        verifyConsistency(3, latest.size, defaulted.proof.map(hex), hex(defaulted.fromRoot), latest.rootHash),
      ).toBe(true);
    });

    it("answers bad or out-of-range parameters with 400, never 500", async () => {
      const logSize = (await t.runtime.audit.records.state()).size;
      for (const query of [
        "",
        "from=",
        "from=0&to=5",
        "from=x&to=5",
        "from=5&to=y",
        "from=6&to=5",
        "from=1.5&to=5",
        `from=1&to=${logSize + 1000}`,
        `from=${logSize + 1000}`,
        "from=1&to=123456789012345678901",
      ]) {
        const response = await get(`/api/audit/consistency?${query}`);
        expect(response.status, query).toBe(400);
        expect(await response.json()).toMatchObject({ status: 400, code: "InvalidTreeSize" });
      }
      expect(await latestAuditEvent(t, "consistency_read")).toMatchObject({ outcome: "failure" });
    });
  });

  describe("GET /api/audit/verify", () => {
    it("verifies the log and records that it did", async () => {
      await t.runtime.audit.checkpointer.checkpointNow();
      const response = await get("/api/audit/verify");
      expect(response.status).toBe(200);
      const result = (await response.json()) as { ok: boolean; size: number; checkpoint: { size: number } };
      expect(result.ok).toBe(true);
      expect(result.checkpoint.size).toBeLessThanOrEqual(result.size);
      expect(await latestAuditEvent(t, "verified")).toMatchObject({
        outcome: "success",
        actor: { type: "token", id: admin.fingerprint },
        details: { size: result.size },
      });
    });
  });

  it("refuses every audit endpoint to a token without the admin scope", async () => {
    const [event] = await recordEvents(t, 1);
    for (const path of [
      "/audit/checkpoint",
      "/api/audit/events?q=event:token",
      "/api/audit/export?format=csv",
      `/api/audit/events/${event!.id}/proof`,
      "/api/audit/consistency?from=1&to=2",
      "/api/audit/verify",
    ]) {
      const response = await get(path, reader.token);
      expect(response.status, path).toBe(403);
    }
    expect(await t.runtime.audit.records.latestEvent("authentication", "scope_denied")).not.toBeNull();
  });
});

describe("audit verify over the API on a tampered log", () => {
  let t: TestRuntime;
  let admin: TestToken;

  beforeAll(async () => {
    t = await TestRuntime.start();
    admin = await t.createToken({ scopes: ["admin"] });
    await recordEvents(t, 10);
    await t.runtime.audit.checkpointer.checkpointNow();
  });

  afterAll(async () => {
    await t.cleanup();
  });

  it("reports the first bad seq and records the failure", async () => {
    const { db } = t.runtime.database;
    await sql`drop trigger audit_logs_no_update`.execute(db);
    const row = (await t.runtime.audit.records.latestEvent("package", "uploaded"))!;
    await db.updateTable("audit_logs").set({ user: "someone-else" }).where("seq", "=", row.seq).execute();
    const response = await t.request("/api/audit/verify", { token: admin.token });
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ ok: false, firstBadSeq: row.seq, reason: "hash-mismatch" });
    const recorded = rowToEvent((await t.runtime.audit.records.latestEvent("audit", "verified"))!);
    expect(recorded).toMatchObject({
      outcome: "failure",
      severity: "error",
      details: { first_bad_seq: row.seq, reason: "hash-mismatch" },
    });
  });
});

describe("proofs over a 100,000-event log", () => {
  let t: TestRuntime;
  let admin: TestToken;
  let events: AuditEvent[];

  beforeAll(async () => {
    t = await TestRuntime.start({ logLevel: "warn" });
    admin = await t.createToken({ scopes: ["admin"] });
    events = await recordEvents(t, 100_000);
    await t.runtime.audit.checkpointer.checkpointNow();
  }, 120_000);

  afterAll(async () => {
    await t.cleanup();
  });

  it("answers inclusion and consistency proofs that verify (memoised, not O(n) per proof)", async () => {
    const checkpoint = (await t.runtime.audit.records.latestCheckpoint())!;
    const root = Buffer.from(checkpoint.rootHash, "hex");
    for (const event of [events[0]!, events[54_321]!, events[99_999]!, events[77]!]) {
      const response = await t.request(`/api/audit/events/${event.id}/proof`, { token: admin.token });
      expect(response.status).toBe(200);
      const proof = (await response.json()) as InclusionProofDocument;
      expect(proof.treeSize).toBe(checkpoint.size);
      expect(
        verifyInclusion(hex(proof.leafHash), proof.leafIndex, proof.treeSize, proof.proof.map(hex), root),
      ).toBe(true);
    }
    const response = await t.request(`/api/audit/consistency?from=65537&to=${checkpoint.size}`, {
      token: admin.token,
    });
    const proof = (await response.json()) as ConsistencyProofDocument;
    expect(verifyConsistency(65_537, checkpoint.size, proof.proof.map(hex), hex(proof.fromRoot), root)).toBe(
      true,
    );
  });
});
