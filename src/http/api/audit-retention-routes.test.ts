import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TestRuntime, type TestToken } from "../../../test/builders/test-runtime.ts";
import { consoleContext, type AuditEvent } from "../../audit/audit-event.ts";
import { rowToEvent } from "../../audit/audit-row.ts";
import { auditTrail } from "../../audit/audit-trail.ts";
import { canonicalJson } from "../../audit/integrity/canonical-json.ts";
import { openCheckpoint } from "../../audit/integrity/checkpoint.ts";
import { leafHashHex, verifyInclusion } from "../../audit/integrity/merkle.ts";
import { parseVerifierKey } from "../../audit/integrity/signed-note.ts";

const DAY = 86_400_000;

describe("/api/audit/retention", () => {
  let t: TestRuntime;
  let admin: TestToken;
  let writer: TestToken;

  beforeAll(async () => {
    t = await TestRuntime.start();
    admin = await t.createToken({ scopes: ["admin"], description: "auditor" });
    writer = await t.createToken({ scopes: ["write"], description: "ci" });
    const trail = auditTrail(t.runtime.audit.log, consoleContext);
    for (let day = 0; day < 5; day += 1) {
      await trail.record({
        event: "package_access",
        action: "download",
        outcome: "success",
        target: { type: "package", name: `acme/old-${day}`, version: "1.0.0" },
      });
      t.clock.advance(DAY);
    }
  });

  afterAll(async () => {
    await t.cleanup();
  });

  const send = (path: string, init: { method?: string; body?: object; token?: string } = {}) =>
    t.request(`/api/audit/retention${path}`, { token: admin.token, ...init });

  async function latest(action: string): Promise<AuditEvent> {
    const row = await t.runtime.audit.records.latestEvent("audit", action);
    if (row === null) throw new Error(`no audit/${action}`);
    return rowToEvent(row);
  }

  it("shows the default policy and what is retained", async () => {
    const response = await send("");
    expect(response.status).toBe(200);
    const status = (await response.json()) as {
      days: Record<string, number>;
      legalHold: { active: boolean };
      categories: { category: string; retained: number; purged: number }[];
    };
    expect(status.days.package_access).toBe(365);
    expect(status.legalHold.active).toBe(false);
    expect(status.categories.find((entry) => entry.category === "package_access")).toMatchObject({
      retained: 5,
      purged: 0,
    });
  });

  it("changes the policy, purges, and keeps proofs of the retained events valid", async () => {
    const set = await send("", { method: "PUT", body: { days: { package_access: 2 } } });
    expect(set.status).toBe(200);
    expect(((await set.json()) as { days: Record<string, number> }).days.package_access).toBe(2);
    expect(await latest("retention_changed")).toMatchObject({
      details: { changed: { package_access: { before: 365, after: 2 } } },
    });

    const purge = await send("/purge", { method: "POST" });
    expect(purge.status).toBe(200);
    expect(await purge.json()).toMatchObject({ trigger: "manual", purged: 3 });

    // A retained event's inclusion proof still checks out against the signed checkpoint.
    const kept = (await t.runtime.audit.records.range(1, 10)).find((row) => row.purged_at === null);
    const proofResponse = await t.request(`/api/audit/events/${kept?.id ?? ""}/proof`, {
      token: admin.token,
    });
    const proof = (await proofResponse.json()) as {
      event: AuditEvent;
      leafIndex: number;
      treeSize: number;
      proof: string[];
      checkpoint: string;
    };
    const key = parseVerifierKey((await (await t.request("/audit/public-key")).text()).trim());
    const { checkpoint } = openCheckpoint(proof.checkpoint, [key]);
    expect(
      verifyInclusion(
        Buffer.from(leafHashHex(canonicalJson(proof.event)), "hex"),
        proof.leafIndex,
        proof.treeSize,
        proof.proof.map((hash) => Buffer.from(hash, "hex")),
        checkpoint.rootHash,
      ),
    ).toBe(true);
    const verify = await t.request("/api/audit/verify", { token: admin.token });
    expect(await verify.json()).toMatchObject({ ok: true });

    // A purged event has no proof to give: its payload is gone.
    const purged = (await t.runtime.audit.records.range(1, 100)).find((row) => row.purged_at !== null);
    const gone = await t.request(`/api/audit/events/${purged?.id ?? ""}/proof`, { token: admin.token });
    expect(gone.status).toBe(409);
    expect(await gone.json()).toMatchObject({ code: "AuditEventPurged" });
  });

  it("places and releases a legal hold; a purge under hold is a 409 and recorded", async () => {
    const hold = await send("/legal-hold", { method: "POST", body: { reason: "case 42" } });
    expect(hold.status).toBe(201);
    expect(await hold.json()).toMatchObject({ active: true, reason: "case 42", by: admin.fingerprint });
    const again = await send("/legal-hold", { method: "POST", body: { reason: "case 43" } });
    expect(again.status).toBe(409);
    const refused = await send("/purge", { method: "POST" });
    expect(refused.status).toBe(409);
    expect(await refused.json()).toMatchObject({ code: "LegalHoldActive" });
    expect(await latest("retention_purged")).toMatchObject({ outcome: "denied" });

    const released = await send("/legal-hold", { method: "DELETE" });
    expect(released.status).toBe(200);
    expect(await latest("legal_hold_released")).toMatchObject({ details: { reason: "case 42" } });
    expect((await send("/legal-hold", { method: "DELETE" })).status).toBe(409);
  });

  it.each([
    [{ days: { nope: 3 } }, 400, "InvalidRetention"],
    [{ days: { token: -1 } }, 400, "InvalidRetention"],
    [{ days: { token: "7" } }, 400, "InvalidRetention"],
    [{ days: [] }, 400, "InvalidRequest"],
    [{ other: 1 }, 400, "InvalidRequest"],
  ])("answers PUT %j with %i", async (body, status, code) => {
    const response = await send("", { method: "PUT", body });
    expect(response.status).toBe(status);
    expect(response.headers.get("content-type")).toBe("application/problem+json");
    expect(await response.json()).toMatchObject({ code });
  });

  it("answers a hold without a reason, or not JSON, with a 4xx", async () => {
    expect((await send("/legal-hold", { method: "POST", body: { reason: " " } })).status).toBe(400);
    expect((await send("/legal-hold", { method: "POST", body: {} })).status).toBe(400);
    const text = await t.request("/api/audit/retention/legal-hold", {
      method: "POST",
      token: admin.token,
      headers: { "content-type": "text/plain" },
      body: "reason",
    });
    expect(text.status).toBe(415);
  });

  it("is for admin tokens only", async () => {
    for (const [path, method] of [
      ["", "GET"],
      ["", "PUT"],
      ["/purge", "POST"],
      ["/legal-hold", "POST"],
      ["/legal-hold", "DELETE"],
    ] as const) {
      expect((await send(path, { method, token: writer.token })).status, `${method} ${path}`).toBe(403);
    }
  });
});
