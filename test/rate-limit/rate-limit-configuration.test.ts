import fs from "node:fs";
import os from "node:os";
import net from "node:net";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { rowToEvent } from "../../src/audit/audit-row.ts";
import { recordConfiguration } from "../../src/audit/system-events.ts";
import { systemClock } from "../../src/clock/clock.ts";
import { loadConfig } from "../../src/config/load-config.ts";
import { createSilentLogger } from "../../src/observability/logger.ts";
import { openRuntime } from "../../src/runtime.ts";
import { freePort } from "../support/free-port.ts";

describe("the rate limit settings in the startup audit event", () => {
  const roots: string[] = [];
  afterEach(() => {
    for (const root of roots.splice(0)) fs.rmSync(root, { recursive: true, force: true });
  });

  it("records PB_REDIS_URL without its password, and the limits", async () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), "pb-rate-limit-config-"));
    roots.push(root);
    // Nothing listens there: the runtime starts all the same.
    const port = await freePort();
    const config = loadConfig({
      PB_DATA_DIR: root,
      PB_REDIS_URL: `redis://broker:very-secret@127.0.0.1:${port}/3`,
      PB_RATE_LIMIT_REQUESTS: "1200",
      PB_RATE_LIMIT_WINDOW_SECONDS: "30",
    });
    const runtime = await openRuntime(config, createSilentLogger());
    try {
      await recordConfiguration(runtime.audit, config);
      await runtime.audit.log.flush();
      const rows = await runtime.audit.records.range(1, 1000);
      expect(JSON.stringify(rows)).not.toContain("very-secret");
      const loaded = rows.map(rowToEvent).find((event) => event.action === "loaded");
      expect(loaded?.details).toMatchObject({
        settings: {
          PB_REDIS_URL: `redis://broker:***@127.0.0.1:${port}/3`,
          PB_RATE_LIMIT_REQUESTS: 1200,
          PB_RATE_LIMIT_WINDOW_SECONDS: 30,
        },
      });
    } finally {
      await runtime.close();
    }
  });

  it("leaves Redis alone where no request is answered (the CLI, the primary of serve)", async () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), "pb-rate-limit-config-"));
    roots.push(root);
    const port = await freePort();
    const seen: string[] = [];
    const probe = net.createServer((socket) => {
      seen.push("connection");
      socket.destroy();
    });
    await new Promise<void>((resolve) => probe.listen(port, "127.0.0.1", resolve));
    try {
      const config = loadConfig({ PB_DATA_DIR: root, PB_REDIS_URL: `redis://127.0.0.1:${port}` });
      const runtime = await openRuntime(config, createSilentLogger(), systemClock, {
        answersRequests: false,
      });
      try {
        expect(runtime.rateLimits).toBeNull();
      } finally {
        await runtime.close();
      }
      expect(seen).toEqual([]);
    } finally {
      await new Promise((resolve) => probe.close(resolve));
    }
  });
});
