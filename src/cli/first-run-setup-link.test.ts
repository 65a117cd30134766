import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { rowToEvent } from "../audit/audit-row.ts";
import { loadConfig } from "../config/load-config.ts";
import { createLogger, type Logger } from "../observability/logger.ts";
import { openRuntime, type Runtime } from "../runtime.ts";
import { offerFirstRunSetupLink } from "./first-run-setup-link.ts";

describe("offerFirstRunSetupLink", () => {
  let root: string;
  let runtime: Runtime;
  let logger: Logger;
  let logged: string;
  let printed: string;
  const print = (text: string): void => {
    printed += text;
  };

  beforeEach(async () => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), "pb-first-run-"));
    logged = "";
    printed = "";
    logger = createLogger({
      level: "info",
      destination: {
        write: (line: string) => {
          logged += line;
        },
      },
    });
    const config = loadConfig({
      PB_DATA_DIR: root,
      PB_DATABASE_URL: "sqlite::memory:",
      PB_BASE_URL: "https://pb.example",
    });
    runtime = await openRuntime(config, logger);
  });

  afterEach(async () => {
    await runtime.close();
    fs.rmSync(root, { recursive: true, force: true });
  });

  it("prints a setup link for people, logs that it did without the link, and each call replaces the last", async () => {
    const first = await offerFirstRunSetupLink(runtime, logger, print);
    expect(printed).toBe(
      `No administrator yet. Open this link within 24 hours to create one: ${first?.url ?? "?"}\n`,
    );
    expect(first?.url).toMatch(/^https:\/\/pb\.example\/setup#[A-Za-z0-9_-]{43}$/);
    logger.flush();
    const line = JSON.parse(logged.trim().split("\n").at(-1) ?? "{}") as Record<string, unknown>;
    expect(line).toMatchObject({
      level: "warn",
      message: "No administrator yet: setup link created",
      context: { linkId: first?.link.id, expiresAt: first?.link.expiresAt },
    });
    const token = first?.url.split("#")[1] ?? "?";
    expect(logged).not.toContain(token);

    const second = await offerFirstRunSetupLink(runtime, logger, print);
    expect(second?.replaced.map((link) => link.id)).toEqual([first?.link.id]);
    await expect(runtime.accountLinks.describe(token)).rejects.toMatchObject({ code: "LinkInvalid" });

    await runtime.audit.log.flush();
    const events = (await runtime.audit.records.range(1, 1000))
      .map(rowToEvent)
      .filter((e) => e.event === "user");
    expect(events.map((e) => [e.action, e.actor.id, e.severity])).toEqual([
      ["setup_link_created", "system", "warning"],
      ["setup_link_created", "system", "warning"],
    ]);
  });

  it("does nothing once an active admin exists", async () => {
    await runtime.users.create({ email: "root@example.org", role: "admin" });
    expect(await offerFirstRunSetupLink(runtime, logger, print)).toBeNull();
    expect(printed).toBe("");
  });
});
