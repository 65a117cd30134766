import { createHash, randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  packageZip,
  TestRuntime,
  type RequestBody,
  type TestToken,
} from "../../../test/builders/test-runtime.ts";
import { buildZip, deflateRepeated, S_IFLNK } from "../../../test/builders/zip-builder.ts";

const PROBLEM = "application/problem+json";
const MAX_UPLOAD = 64 * 1024;

let t: TestRuntime;
let writer: TestToken;
let reader: TestToken;

beforeAll(async () => {
  t = await TestRuntime.start({ env: { PB_MAX_UPLOAD_BYTES: String(MAX_UPLOAD) } });
  writer = await t.createToken({ scopes: ["write"] });
  reader = await t.createToken({ scopes: ["read"] });
});

afterAll(async () => {
  await t.cleanup();
});

function multipart(zip: Uint8Array, field = "file"): FormData {
  const form = new FormData();
  form.set(field, new File([new Uint8Array(zip)], "package.zip", { type: "application/zip" }));
  return form;
}

const post = (body: RequestBody, headers: Record<string, string> = {}, token: TestToken = writer) =>
  t.request("/api/packages/upload", { method: "POST", token: token.token, headers, body });

async function expectProblem(
  response: Response,
  status: number,
  code: string,
): Promise<Record<string, unknown>> {
  const body = (await response.json()) as Record<string, unknown>;
  expect({ status: response.status, code: body.code }, JSON.stringify(body)).toEqual({ status, code });
  expect(response.headers.get("content-type")).toBe(PROBLEM);
  expect(body.detail).toBeTypeOf("string");
  return body;
}

describe("uploads that are accepted", () => {
  it("publishes a raw zip (201) and serves it in p2 and as a dist", async () => {
    const zip = packageZip("acme/raw", "1.0.0");
    const response = await post(new Uint8Array(zip), { "content-type": "application/zip" });
    expect(response.status).toBe(201);
    const sha1 = createHash("sha1").update(zip).digest("hex");
    expect(await response.json()).toEqual({
      packageName: "acme/raw",
      version: "1.0.0",
      versionNormalized: "1.0.0.0",
      distSha1: sha1,
      distSha256: createHash("sha256").update(zip).digest("hex"),
      size: zip.byteLength,
      created: true,
    });
    const p2 = await t.request("/p2/acme/raw.json", { token: reader.token });
    const versions = ((await p2.json()) as { packages: Record<string, { dist: { shasum: string } }[]> })
      .packages["acme/raw"];
    expect(versions?.[0]?.dist.shasum).toBe(sha1);
    const dist = await t.request(`/dists/acme/raw/1.0.0.0/${sha1}.zip`, { token: reader.token });
    expect(Buffer.from(await dist.arrayBuffer())).toEqual(zip);
  });

  it("accepts application/octet-stream", async () => {
    const response = await post(new Uint8Array(packageZip("acme/octets", "1.0.0")), {
      "content-type": "application/octet-stream",
    });
    expect(response.status).toBe(201);
  });

  it("publishes the `file` field of a multipart form", async () => {
    const response = await post(multipart(packageZip("acme/form", "2.0.0")));
    expect(response.status).toBe(201);
    expect(await response.json()).toMatchObject({ packageName: "acme/form", versionNormalized: "2.0.0.0" });
  });

  it("reads a form whose boundary has uppercase letters, as browsers send", async () => {
    const boundary = "----WebKitFormBoundaryAbCdEfGh12345678";
    const body = Buffer.concat([
      Buffer.from(
        `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="p.zip"\r\n` +
          "Content-Type: application/zip\r\n\r\n",
      ),
      packageZip("acme/browser", "1.0.0"),
      Buffer.from(`\r\n--${boundary}--\r\n`),
    ]);
    const response = await post(new Uint8Array(body), {
      "content-type": `multipart/form-data; boundary=${boundary}`,
    });
    expect(response.status, await response.clone().text()).toBe(201);
  });

  it("answers 200 (not 201) to the same bytes again, and 409 to other bytes for the version", async () => {
    const zip = packageZip("acme/immutable", "1.0.0");
    expect((await post(new Uint8Array(zip), { "content-type": "application/zip" })).status).toBe(201);
    const again = await post(new Uint8Array(zip), { "content-type": "application/zip" });
    expect(again.status).toBe(200);
    expect(await again.json()).toMatchObject({ created: false, versionNormalized: "1.0.0.0" });
    const viaForm = await post(multipart(zip));
    expect(viaForm.status).toBe(200);

    const changed = packageZip("acme/immutable", "1.0.0", {
      files: { "src/Other.php": "<?php // changed\n" },
    });
    await expectProblem(
      await post(new Uint8Array(changed), { "content-type": "application/zip" }),
      409,
      "VersionAlreadyExists",
    );
    // v1.0.0 normalizes to the same version.
    const prefixed = packageZip("acme/immutable", "v1.0.0");
    await expectProblem(
      await post(new Uint8Array(prefixed), { "content-type": "application/zip" }),
      409,
      "VersionAlreadyExists",
    );
  });

  it("keeps a version immutable when two uploads of it race", async () => {
    const first = packageZip("acme/race", "1.0.0", { files: { "a.php": "a" } });
    const second = packageZip("acme/race", "1.0.0", { files: { "b.php": "b" } });
    const responses = await Promise.all([t.upload(first, writer.token), t.upload(second, writer.token)]);
    expect(responses.map((r) => r.status).sort()).toEqual([201, 409]);
    const winner = responses.find((r) => r.status === 201);
    const { distSha1 } = (await winner?.json()) as { distSha1: string };
    const served = await t.runtime.catalog.p2(
      "acme/race",
      false,
      await t.runtime.tokens.authenticate(reader.token),
    );
    expect(served.body).toContain(distSha1);
  });
});

describe("uploads that are refused", () => {
  const raw = async (zip: Uint8Array) => post(new Uint8Array(zip), { "content-type": "application/zip" });

  it("needs the write scope, and the package within the token's patterns", async () => {
    const zip = packageZip("acme/scoped", "1.0.0");
    await expectProblem(
      await post(new Uint8Array(zip), { "content-type": "application/zip" }, reader),
      403,
      "InsufficientScope",
    );
    const narrow = await t.createToken({ scopes: ["write"], packages: ["other/*"] });
    await expectProblem(
      await post(new Uint8Array(zip), { "content-type": "application/zip" }, narrow),
      403,
      "PackageNotAllowed",
    );
    const anonymous = await t.request("/api/packages/upload", {
      method: "POST",
      headers: { "content-type": "application/zip" },
      body: new Uint8Array(zip),
    });
    await expectProblem(anonymous, 401, "AuthenticationRequired");
  });

  it("refuses path traversal", async () => {
    for (const name of ["../evil.php", "src/../../evil.php", "/etc/passwd", "C:/x.php", "a\\..\\..\\x.php"]) {
      const zip = packageZip("acme/evil", "1.0.0", { entries: [{ name, data: "x" }] });
      const response = await raw(zip);
      expect(response.status, name).toBe(400);
      expect(((await response.json()) as { code: string }).code, name).toMatch(
        /^Archive(PathTraversal|InvalidEntryName)$/,
      );
    }
  });

  it("refuses symbolic links", async () => {
    const zip = packageZip("acme/evil", "1.0.0", {
      entries: [{ name: "link", data: "/etc/passwd", unixMode: S_IFLNK | 0o777 }],
    });
    await expectProblem(await raw(zip), 400, "ArchiveSymlink");
  });

  it("refuses too many entries", async () => {
    const entries = Array.from({ length: 20_001 }, (_, i) => ({ name: `f/${i}`, method: "stored" as const }));
    const zip = packageZip("acme/many", "1.0.0", { entries });
    const big = await TestRuntime.start();
    try {
      const token = await big.createToken({ scopes: ["write"] });
      await expectProblem(await big.upload(zip, token.token), 400, "ArchiveTooManyEntries");
    } finally {
      await big.cleanup();
    }
  });

  it("refuses a deflate bomb, with honest or lying sizes", async () => {
    const chunk = new Uint8Array(64 * 1024);
    const bomb = await deflateRepeated(chunk, 160); // 10 MiB of zeros in a few KiB
    expect(bomb.byteLength).toBeLessThan(MAX_UPLOAD);
    const honest = packageZip("acme/bomb", "1.0.0", {
      entries: [
        {
          name: "zeros.bin",
          rawData: bomb,
          method: "deflate",
          uncompressedSize: 160 * chunk.byteLength,
          crc32: 0,
        },
      ],
    });
    await expectProblem(await raw(honest), 413, "ArchiveTooLarge");
    const lying = packageZip("acme/bomb", "1.0.0", {
      entries: [{ name: "zeros.bin", rawData: bomb, method: "deflate", uncompressedSize: 100, crc32: 0 }],
    });
    await expectProblem(await raw(lying), 413, "ArchiveTooLarge");
  });

  it("refuses an archive without composer.json, or whose composer.json has no version", async () => {
    await expectProblem(
      await raw(buildZip([{ name: "README.md", data: "hi" }])),
      400,
      "ArchiveMissingComposerJson",
    );
    await expectProblem(await raw(buildZip([])), 400, "ArchiveMissingComposerJson");
    await expectProblem(await raw(packageZip("acme/noversion", undefined)), 400, "UploadMissingVersion");
    await expectProblem(
      await raw(buildZip([{ name: "composer.json", data: "{ not json" }])),
      400,
      "InvalidComposerJson",
    );
    await expectProblem(
      await raw(buildZip([{ name: "composer.json", data: '{"name":"Not A Name","version":"1.0.0"}' }])),
      400,
      "InvalidComposerJson",
    );
  });

  it("refuses an invalid version string", async () => {
    const response = await raw(packageZip("acme/badversion", "not a version"));
    const body = await expectProblem(response, 400, "InvalidVersion");
    expect(body.detail).toMatch(/not a version/);
  });

  it("refuses what is not a zip", async () => {
    await expectProblem(await raw(new TextEncoder().encode("this is not a zip file")), 400, "InvalidArchive");
    await expectProblem(await raw(new Uint8Array()), 400, "InvalidArchive");
    const truncated = packageZip("acme/trunc", "1.0.0").subarray(0, 60);
    await expectProblem(await raw(truncated), 400, "InvalidArchive");
  });

  it("refuses an upload over PB_MAX_UPLOAD_BYTES with 413, raw or as a form, declared or not", async () => {
    const huge = packageZip("acme/huge", "1.0.0", {
      entries: [{ name: "data.bin", data: randomBytes(MAX_UPLOAD + 1), method: "stored" }],
    });
    expect(huge.byteLength).toBeGreaterThan(MAX_UPLOAD);
    await expectProblem(await raw(huge), 413, "BodyTooLarge");
    await expectProblem(
      await post(new Uint8Array(huge), {
        "content-type": "application/zip",
        "content-length": String(huge.byteLength),
      }),
      413,
      "BodyTooLarge",
    );
    await expectProblem(await post(multipart(huge)), 413, "BodyTooLarge");
  });

  it("refuses other media types with 415, and forms without a usable file with 400", async () => {
    const zip = new Uint8Array(packageZip("acme/types", "1.0.0"));
    await expectProblem(await post(zip, { "content-type": "text/plain" }), 415, "UnsupportedMediaType");
    await expectProblem(await post(zip, {}), 415, "UnsupportedMediaType");
    await expectProblem(await post(multipart(zip, "other")), 400, "MissingFile");
    const textField = new FormData();
    textField.set("file", "not a file");
    await expectProblem(await post(textField), 400, "MissingFile");
    await expectProblem(
      await post("garbage", { "content-type": "multipart/form-data; boundary=xyz" }),
      400,
      "InvalidForm",
    );
  });
});
