import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config/load-config.ts";
import { createSilentLogger } from "../../src/observability/logger.ts";
import { openRuntime } from "../../src/runtime.ts";
import { BrokerServer } from "../support/broker-process.ts";

const SETUP_LINE =
  /^No administrator yet\. Open this link within 24 hours to create one: (http:\/\/broker\.test\/setup#([A-Za-z0-9_-]{43}))$/;

/**
 * `package-broker serve` (the compiled command, as users run it) on a database without an admin:
 * it prints a setup link once per start, from the primary only when there are workers, and logs
 * that it did without the link; each start replaces the last link; once an admin exists, nothing.
 */
describe.each([1, 2])("serve with PB_WORKERS=%i and no admin yet", (workers) => {
  let root: string;
  let env: Record<string, string>;

  beforeAll(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), "pb-first-run-e2e-"));
    env = {
      PB_DATA_DIR: path.join(root, "data"),
      PB_BASE_URL: "http://broker.test",
      PB_WORKERS: String(workers),
    };
  });

  afterAll(() => {
    fs.rmSync(root, { recursive: true, force: true });
  });

  /** Starts, waits for the setup line (or for the server to have started, when `expectLink` is false), stops. */
  async function serveOnce(
    expectLink: boolean,
  ): Promise<{ text: string[]; logs: Record<string, unknown>[] }> {
    const server = await BrokerServer.start(env);
    try {
      const deadline = Date.now() + 15_000;
      const started = (): boolean =>
        server.logLines.filter(
          (line) => line.message === (workers > 1 ? "Worker started" : "Server listening"),
        ).length >= workers;
      while (expectLink ? server.textLines.length === 0 : !started()) {
        if (Date.now() > deadline) throw new Error("the server did not get there in time");
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      // Time for a (wrong) second line from a worker to show.
      await new Promise((resolve) => setTimeout(resolve, 300));
    } finally {
      await server.stop();
    }
    return { text: server.textLines, logs: server.logLines };
  }

  it("prints one setup link per start, logs it without the token, and replaces the last one", async () => {
    const first = await serveOnce(true);
    const second = await serveOnce(true);
    const tokens: string[] = [];
    for (const run of [first, second]) {
      expect(run.text).toHaveLength(1);
      const match = SETUP_LINE.exec(run.text[0] ?? "");
      expect(match, run.text[0]).not.toBeNull();
      tokens.push(match?.[2] ?? "");
      const logged = run.logs.filter((line) => line.message === "No administrator yet: setup link created");
      expect(logged).toHaveLength(1);
      expect(logged[0]?.context).toMatchObject({ linkId: expect.stringMatching(/^lnk_/) as unknown });
      expect(JSON.stringify(run.logs)).not.toContain(match?.[2]);
    }
    expect(tokens[0]).not.toBe(tokens[1]);

    const runtime = await openRuntime(loadConfig(env), createSilentLogger());
    try {
      await expect(runtime.accountLinks.describe(tokens[0])).rejects.toMatchObject({ code: "LinkInvalid" });
      expect(await runtime.accountLinks.describe(tokens[1])).toMatchObject({
        purpose: "setup",
        role: "admin",
      });
      await runtime.accountLinks.accept(tokens[1], {
        email: "root@example.com",
        password: "correct horse battery 42",
      });
    } finally {
      await runtime.close();
    }

    const third = await serveOnce(false);
    expect(third.text).toEqual([]);
    expect(third.logs.filter((line) => String(line.message).startsWith("No administrator"))).toEqual([]);
  }, 90_000);
});
