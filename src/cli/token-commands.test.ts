import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCliCaptured } from "../../test/support/run-cli-captured.ts";

interface TokenJson {
  id: string;
  token?: string;
  scopes: string[];
  owner: { id: string } | null;
}

let root: string;
let env: Record<string, string>;
const cli = (args: readonly string[]) => runCliCaptured(args, env);

async function json<T>(args: readonly string[]): Promise<T> {
  const run = await cli([...args, "--json"]);
  expect(run.stderr).toBe("");
  expect(run.code).toBe(0);
  return JSON.parse(run.stdout) as T;
}

beforeAll(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), "pb-token-cli-"));
  env = { PB_DATA_DIR: path.join(root, "data"), PB_BASE_URL: "http://broker.test" };
});

afterAll(() => {
  fs.rmSync(root, { recursive: true, force: true });
});

describe("package-broker token --user", () => {
  it("creates personal tokens by e-mail address or id, and lists one person's tokens", async () => {
    const ada = await json<{ id: string }>([
      "user",
      "create",
      "--email",
      "ada@example.com",
      "--role",
      "viewer",
    ]);
    const byEmail = await json<TokenJson>([
      "token",
      "create",
      "--description",
      "laptop",
      "--scope",
      "admin",
      "--user",
      "ADA@example.com",
    ]);
    expect(byEmail).toMatchObject({ scopes: ["admin"], owner: { id: ada.id } });
    const byId = await json<TokenJson>(["token", "create", "--description", "ci", "--user", ada.id]);
    expect(byId.owner).toEqual({ id: ada.id });
    const machine = await json<TokenJson>(["token", "create", "--description", "machine"]);
    expect(machine.owner).toBeNull();

    const adas = await json<TokenJson[]>(["token", "list", "--user", "ada@example.com"]);
    expect(adas.map((token) => token.id).sort()).toEqual([byEmail.id, byId.id].sort());
    expect(await json<TokenJson[]>(["token", "list"])).toHaveLength(3);
    const human = await cli(["token", "list"]);
    expect(human.stdout).toMatch(new RegExp(`${byId.id} .*owner ${ada.id}`));
    expect(human.stdout).toMatch(new RegExp(`${machine.id} .*no owner`));

    const said = await cli(["token", "create", "--description", "human", "--user", ada.id]);
    expect(said.stdout).toMatch(
      /^Created token \w+ \(pb_.+\) for ada@example\.com, limited to the viewer role\n/,
    );
  });

  it("refuses an unknown user and a scope outside the role, and creates nothing", async () => {
    const before = (await json<TokenJson[]>(["token", "list"])).length;
    const unknown = await cli(["token", "create", "--description", "x", "--user", "nobody@example.com"]);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/\[UserNotFound\]/);
    await json(["user", "create", "--email", "audra@example.com", "--role", "auditor"]);
    const outside = await cli(["token", "create", "--description", "x", "--user", "audra@example.com"]);
    expect(outside.code).toBe(2);
    expect(outside.stderr).toMatch(
      /allows nothing the auditor role allows .* use the admin scope \[ScopeOutsideRole\]/,
    );
    expect(await json<TokenJson[]>(["token", "list"])).toHaveLength(before);
    const listUnknown = await cli(["token", "list", "--user", "nobody@example.com"]);
    expect(listUnknown.code).toBe(1);
    expect(await json<TokenJson[]>(["token", "list", "--user", "usr_nobody"])).toEqual([]);
  });
});
