import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TestRuntime, packageZip, type TestToken } from "../../../test/builders/test-runtime.ts";
import { buildZip } from "../../../test/builders/zip-builder.ts";
import { createPostgresDatabase, testEngines } from "../../../test/support/test-databases.ts";
import { openBlobStore } from "../../storage/blobs/open-blob-store.ts";
import { ProxyRecords } from "../../storage/database/proxy-records.ts";
import { RepositoryRecords } from "../../storage/database/repository-records.ts";

const PROBLEM = "application/problem+json";
const T0 = "2026-01-01T00:00:00.000Z";

interface Readme {
  name: string;
  version: string;
  path: string;
  format: string;
  content: string;
  truncated: boolean;
}

interface Problem {
  status: number;
  code: string;
  detail: string;
}

describe.each(testEngines())("GET /api/packages/{vendor}/{project}/readme on %s", (engine) => {
  let t: TestRuntime;
  let reader: TestToken;
  let limited: TestToken;
  let gone: string;

  beforeAll(async () => {
    t = await TestRuntime.start(
      engine === "postgres" ? { env: { PB_DATABASE_URL: await createPostgresDatabase() } } : {},
    );
    const writer = await t.createToken({ scopes: ["write"] });
    reader = await t.createToken({ scopes: ["read"] });
    limited = await t.createToken({ scopes: ["read"], packages: ["acme/*"] });
    await t.publish("acme/alpha", "1.0.0", writer.token, {
      files: { "README.md": "# Alpha 1.0\n", "src/A.php": "<?php\n" },
    });
    await t.publish("acme/alpha", "1.1.0", writer.token, {
      files: { "README.md": "# Alpha 1.1\n\n- one\n- two\n", "README.txt": "plain" },
    });
    await t.publish("acme/alpha", "2.0.0-beta1", writer.token, { files: { "README.md": "# Beta\n" } });
    await t.publish("acme/alpha", "dev-main", writer.token, { files: { "README.md": "# Main\n" } });
    // A GitHub-style archive: everything inside one top-level directory.
    await t.publish("acme/wrapped", "1.0.0", writer.token, {
      zip: buildZip([
        { name: "acme-wrapped-0123abc/" },
        {
          name: "acme-wrapped-0123abc/composer.json",
          data: JSON.stringify({ name: "acme/wrapped", version: "1.0.0" }),
        },
        { name: "acme-wrapped-0123abc/readme.markdown", data: "Wrapped *readme*" },
      ]),
    });
    await t.publish("acme/bare", "1.0.0", writer.token);
    await t.publish("acme/long", "1.0.0", writer.token, {
      files: { README: "z".repeat(600 * 1024) },
    });
    await t.publish("acme/latin", "1.0.0", writer.token, {
      zip: buildZip([
        { name: "composer.json", data: JSON.stringify({ name: "acme/latin", version: "1.0.0" }) },
        { name: "README.md", data: Buffer.from([0x43, 0x61, 0x66, 0xe9]) },
      ]),
    });
    await t.publish("acme/only-dev", "dev-main", writer.token, { files: { "README.md": "dev only" } });
    await t.publish("other/hidden", "1.0.0", writer.token, { files: { "README.md": "# Hidden\n" } });
    gone = (await t.publish("acme/gone", "1.0.0", writer.token, { files: { "README.md": "x" } })).distSha256;
    await openBlobStore(t.config.blobs).delete(gone);

    // A composer upstream whose ledger lists acme/proxied 3.0.0 (never downloaded) and 2.0.0 (downloaded).
    const { db } = t.runtime.database;
    await new RepositoryRecords(db).insert({
      id: "U1",
      name: "upstream",
      type: "composer",
      url: "https://upstream.example",
      credentials: null,
      createdAt: T0,
      updatedAt: T0,
      packagePatterns: [],
      metadataUrl: "https://upstream.example/p2/%package%.json",
    });
    const proxy = new ProxyRecords(db);
    for (const version of ["3.0.0", "2.0.0"]) {
      await proxy.recordVersion({
        repositoryId: "U1",
        packageName: "acme/proxied",
        versionNormalized: `${version}.0`,
        entry: JSON.stringify({ name: "acme/proxied", version: `v${version}` }),
        reference: "a".repeat(40),
        distKey: "d".repeat(40),
        upstreamDistUrl: `https://upstream.example/acme/proxied/${version}.zip`,
        upstreamShasum: null,
        firstSeenAt: T0,
      });
    }
    const cached = await openBlobStore(t.config.blobs).put(
      packageZip("acme/proxied", "2.0.0", { files: { "README.md": "# Proxied 2\n" } }),
    );
    await proxy.recordDist(
      { repositoryId: "U1", packageName: "acme/proxied", versionNormalized: "2.0.0.0" },
      { sha256: cached.sha256, sha1: "b".repeat(40), size: cached.size, at: T0 },
    );
  });

  afterAll(async () => {
    await t.cleanup();
  });

  const get = (path: string, token: TestToken = reader) => t.request(path, { token: token.token });

  async function readme(path: string, token: TestToken = reader): Promise<Readme> {
    const response = await get(path, token);
    expect(response.status, await response.clone().text()).toBe(200);
    return (await response.json()) as Readme;
  }

  async function expectProblem(response: Response, status: number, code: string): Promise<Problem> {
    const body = (await response.json()) as Problem;
    expect({ status: response.status, code: body.code }, JSON.stringify(body)).toEqual({ status, code });
    expect(response.headers.get("content-type")).toBe(PROBLEM);
    return body;
  }

  it("answers the README of the newest stable version by default", async () => {
    expect(await readme("/api/packages/acme/alpha/readme")).toEqual({
      name: "acme/alpha",
      version: "1.1.0",
      path: "README.md",
      format: "markdown",
      content: "# Alpha 1.1\n\n- one\n- two\n",
      truncated: false,
    });
  });

  it("answers the README of the version asked for, as published or normalized", async () => {
    expect(await readme("/api/packages/acme/alpha/readme?version=1.0.0")).toMatchObject({
      version: "1.0.0",
      content: "# Alpha 1.0\n",
    });
    expect(await readme("/api/packages/acme/alpha/readme?version=2.0.0.0-beta1")).toMatchObject({
      version: "2.0.0-beta1",
      content: "# Beta\n",
    });
    expect(await readme("/api/packages/ACME/Alpha/readme?version=dev-main")).toMatchObject({
      name: "acme/alpha",
      version: "dev-main",
    });
  });

  it("falls back to the newest version when there is nothing else, like the package's `latest`", async () => {
    expect(await readme("/api/packages/acme/only-dev/readme")).toMatchObject({
      version: "dev-main",
      content: "dev only",
    });
  });

  it("finds the README inside a GitHub-style top-level directory", async () => {
    expect(await readme("/api/packages/acme/wrapped/readme")).toMatchObject({
      path: "acme-wrapped-0123abc/readme.markdown",
      format: "markdown",
      content: "Wrapped *readme*",
    });
  });

  it("cuts a long README at 512 KiB and says so", async () => {
    const long = await readme("/api/packages/acme/long/readme");
    expect({ format: long.format, truncated: long.truncated, length: long.content.length }).toEqual({
      format: "text",
      truncated: true,
      length: 512 * 1024,
    });
  });

  it("replaces bytes that are not UTF-8", async () => {
    expect(await readme("/api/packages/acme/latin/readme")).toMatchObject({ content: "Caf\ufffd" });
  });

  it("is a 404 ReadmeNotFound for a version without a README", async () => {
    const problem = await expectProblem(await get("/api/packages/acme/bare/readme"), 404, "ReadmeNotFound");
    expect(problem.detail).toContain("has no README");
  });

  it("is a 404 for a package outside the token's patterns, exactly like a missing one", async () => {
    expect((await readme("/api/packages/other/hidden/readme")).content).toBe("# Hidden\n");
    const hidden = await expectProblem(
      await get("/api/packages/other/hidden/readme", limited),
      404,
      "PackageNotFound",
    );
    const missing = await expectProblem(
      await get("/api/packages/other/missing/readme", limited),
      404,
      "PackageNotFound",
    );
    expect(hidden.detail.replace("hidden", "missing")).toBe(missing.detail);
    expect((await readme("/api/packages/acme/alpha/readme", limited)).version).toBe("1.1.0");
  });

  it("is a 404 for an unknown version and an unknown or invalid package", async () => {
    await expectProblem(await get("/api/packages/acme/alpha/readme?version=9.9.9"), 404, "VersionNotFound");
    await expectProblem(
      await get("/api/packages/acme/alpha/readme?version=%3Cscript%3E"),
      404,
      "VersionNotFound",
    );
    await expectProblem(await get("/api/packages/acme/nothing/readme"), 404, "PackageNotFound");
    await expectProblem(await get("/api/packages/-bad-/name!/readme"), 404, "PackageNotFound");
  });

  it("is a 400 for a version longer than any version", async () => {
    const response = await get(`/api/packages/acme/alpha/readme?version=${"1".repeat(300)}`);
    expect(response.status).toBe(400);
  });

  it("is a 404 ReadmeNotAvailable for a proxied version whose dist was never downloaded", async () => {
    const problem = await expectProblem(
      await get("/api/packages/acme/proxied/readme"),
      404,
      "ReadmeNotAvailable",
    );
    expect(problem.detail).toContain("not cached yet");
    expect(problem.detail).toContain("v3.0.0");
  });

  it("reads a proxied version's README once its dist is stored, never asking the upstream", async () => {
    expect(await readme("/api/packages/acme/proxied/readme?version=2.0.0")).toMatchObject({
      name: "acme/proxied",
      version: "v2.0.0",
      content: "# Proxied 2\n",
    });
    await expectProblem(await get("/api/packages/acme/proxied/readme?version=1.0.0"), 404, "VersionNotFound");
    await expectProblem(await get("/api/packages/other/proxied/readme"), 404, "PackageNotFound");
  });

  it("is a 404 ReadmeNotAvailable when the dist is missing from storage", async () => {
    const problem = await expectProblem(
      await get("/api/packages/acme/gone/readme"),
      404,
      "ReadmeNotAvailable",
    );
    expect(problem.detail).toContain("missing from storage");
  });

  it("needs a token that may read packages", async () => {
    expect((await t.request("/api/packages/acme/alpha/readme")).status).toBe(401);
  });
});
