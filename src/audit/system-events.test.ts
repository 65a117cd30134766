import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { loadConfig } from "../config/load-config.ts";
import { createSilentLogger } from "../observability/logger.ts";
import { openRuntime } from "../runtime.ts";
import { systemContext } from "./audit-event.ts";
import { rowToEvent } from "./audit-row.ts";
import { auditTrail } from "./audit-trail.ts";
import { recordConfiguration } from "./system-events.ts";

describe("recordConfiguration", () => {
  const roots: string[] = [];
  afterEach(() => {
    for (const root of roots.splice(0)) fs.rmSync(root, { recursive: true, force: true });
  });

  it("records the SMTP server without its password, and a change of it as before and after", async () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), "pb-config-events-"));
    roots.push(root);
    const base = { PB_DATA_DIR: root, PB_SMTP_FROM: "PACKAGE.broker <broker@example.com>" };
    for (const url of [
      "smtp://broker:first-secret@mail.example.com:587",
      "smtps://broker:second-secret@mail.example.com",
    ]) {
      const config = loadConfig({ ...base, PB_SMTP_URL: url });
      const runtime = await openRuntime(config, createSilentLogger());
      try {
        await recordConfiguration(runtime.audit, config);
      } finally {
        await runtime.close();
      }
    }
    const config = loadConfig(base);
    const runtime = await openRuntime(config, createSilentLogger());
    try {
      await runtime.audit.log.flush();
      const rows = await runtime.audit.records.range(1, 1000);
      const events = rows.map(rowToEvent).filter((event) => event.event === "configuration");
      expect(JSON.stringify(rows)).not.toMatch(/first-secret|second-secret/);
      expect(events[0]?.details).toMatchObject({
        settings: {
          PB_SMTP_URL: "smtp://broker:***@mail.example.com:587",
          PB_SMTP_FROM: "PACKAGE.broker <broker@example.com>",
        },
      });
      expect(events.find((event) => event.action === "setting_changed")).toMatchObject({
        target: { type: "setting", name: "PB_SMTP_URL" },
        details: {
          before: "smtp://broker:***@mail.example.com:587",
          after: "smtps://broker:***@mail.example.com",
        },
      });
    } finally {
      await runtime.close();
    }
  });

  it("records where dists are stored, and the object store's credentials only as set", async () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), "pb-config-events-"));
    roots.push(root);
    const config = loadConfig({
      PB_DATA_DIR: root,
      PB_BLOB_URL: "s3://dists-bucket/broker/prod",
      PB_S3_ENDPOINT: "https://minio.internal:9000",
      PB_S3_FORCE_PATH_STYLE: "true",
      PB_S3_ACCESS_KEY_ID: "AKIAIDOFTHEACCOUNT",
      PB_S3_SECRET_ACCESS_KEY: "the-s3-secret-key",
    });
    const runtime = await openRuntime(config, createSilentLogger());
    try {
      await recordConfiguration(runtime.audit, config);
      const rows = await runtime.audit.records.range(1, 1000);
      expect(JSON.stringify(rows)).not.toMatch(/the-s3-secret-key|AKIAIDOFTHEACCOUNT/);
      const loaded = rows.map(rowToEvent).find((event) => event.action === "loaded");
      expect(loaded?.details).toMatchObject({
        settings: {
          PB_BLOB_URL: "s3://dists-bucket/broker/prod",
          PB_S3_ENDPOINT: "https://minio.internal:9000/",
          PB_S3_REGION: "us-east-1",
          PB_S3_FORCE_PATH_STYLE: true,
          PB_S3_ACCESS_KEY_ID: "set",
          PB_S3_SECRET_ACCESS_KEY: "set",
        },
      });
    } finally {
      await runtime.close();
    }
  });

  it("records PB_AUDIT_IP_MODE as set, and beside it the IP mode in force", async () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), "pb-config-events-"));
    roots.push(root);
    const config = loadConfig({ PB_DATA_DIR: root, PB_AUDIT_IP_MODE: "full" });
    const runtime = await openRuntime(config, createSilentLogger());
    try {
      await recordConfiguration(runtime.audit, config);
      await runtime.settings.update(
        { audit: { ipMode: "none" } },
        auditTrail(runtime.audit.log, systemContext),
      );
      await recordConfiguration(runtime.audit, config);
      const events = (await runtime.audit.records.range(1, 1000)).map(rowToEvent);
      const loaded = events.filter((event) => event.action === "loaded");
      expect(loaded.map((event) => event.details)).toMatchObject([
        { settings: { PB_AUDIT_IP_MODE: "full" }, in_force: { "audit.ipMode": "full" } },
        { settings: { PB_AUDIT_IP_MODE: "full" }, in_force: { "audit.ipMode": "none" } },
      ]);
      // The stored setting's change is its own event, not a change of PB_AUDIT_IP_MODE.
      expect(events.filter((event) => event.action === "setting_changed")).toEqual([]);
    } finally {
      await runtime.close();
    }
  });

  it("takes a setting the previous start did not know (a new version's) as no change", async () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), "pb-config-events-"));
    roots.push(root);
    const config = loadConfig({ PB_DATA_DIR: root });
    const runtime = await openRuntime(config, createSilentLogger());
    try {
      // What an older version recorded: only some of today's settings.
      await auditTrail(runtime.audit.log, systemContext).record({
        event: "configuration",
        action: "loaded",
        outcome: "success",
        target: { type: "configuration" },
        details: { settings: { PB_HOST: config.host, PB_PORT: config.port } },
      });
      await recordConfiguration(runtime.audit, config);
      const events = (await runtime.audit.records.range(1, 1000)).map(rowToEvent);
      expect(events.filter((event) => event.action === "setting_changed")).toEqual([]);
    } finally {
      await runtime.close();
    }
  });

  it("records a replaced signing key by its key id", async () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), "pb-config-events-"));
    roots.push(root);
    const seed = (byte: number): string => Buffer.alloc(32, byte).toString("base64");
    const ids: string[] = [];
    for (const key of [seed(1), seed(2)]) {
      const config = loadConfig({ PB_DATA_DIR: root, PB_AUDIT_SIGNING_KEY: key });
      const runtime = await openRuntime(config, createSilentLogger());
      try {
        ids.push(runtime.audit.verifierKey.split("+")[1] ?? "");
        await recordConfiguration(runtime.audit, config);
      } finally {
        await runtime.close();
      }
    }
    const runtime = await openRuntime(
      loadConfig({ PB_DATA_DIR: root, PB_AUDIT_SIGNING_KEY: seed(2) }),
      createSilentLogger(),
    );
    try {
      const events = (await runtime.audit.records.range(1, 1000)).map(rowToEvent);
      const changes = events.filter((event) => event.action === "setting_changed");
      expect(changes.map((event) => [event.target?.name, event.details])).toEqual([
        [
          "PB_AUDIT_SIGNING_KEY",
          { before: `set, key id ${ids[0] ?? ""}`, after: `set, key id ${ids[1] ?? ""}` },
        ],
      ]);
      expect(ids[0]).not.toBe(ids[1]);
    } finally {
      await runtime.close();
    }
  });
});
