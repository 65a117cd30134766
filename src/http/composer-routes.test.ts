import { createHash, randomBytes } from "node:crypto";
import fs from "node:fs";
import { brotliDecompressSync, gunzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { packageZip, TestRuntime, type TestToken } from "../../test/builders/test-runtime.ts";

const BASE = "http://h:1/composer";

interface P2Version {
  name?: string;
  version: string;
  version_normalized: string;
  dist: { type: string; url: string; reference: string; shasum: string };
}

interface P2Document {
  minified: string;
  packages: Record<string, P2Version[]>;
}

let t: TestRuntime;
let writer: TestToken;
let reader: TestToken;
let limited: TestToken;
const zips = new Map<string, Buffer>();

beforeAll(async () => {
  t = await TestRuntime.start({ env: { PB_BASE_URL: `${BASE}/` } });
  writer = await t.createToken({ scopes: ["write"] });
  reader = await t.createToken({ scopes: ["read"] });
  limited = await t.createToken({ scopes: ["read"], packages: ["acme/*"] });
  for (const [name, version] of [
    ["acme/alpha", "1.0.0"],
    ["acme/alpha", "v1.1.0"],
    ["acme/alpha", "dev-main"],
    ["acme/alpha", "dev-feature/x"],
    ["acme/beta", "2.0.0"],
    ["other/gamma", "1.0.0"],
  ] as const) {
    const zip = packageZip(name, version);
    zips.set(`${name} ${version}`, zip);
    const response = await t.upload(zip, writer.token);
    expect(response.status, await response.clone().text()).toBe(201);
    t.clock.advance(1000);
  }
});

afterAll(async () => {
  await t.cleanup();
});

const get = (path: string, token: TestToken = reader, headers: Record<string, string> = {}) =>
  t.request(path, { token: token.token, headers });

async function p2(name: string, token: TestToken = reader): Promise<P2Document> {
  const response = await get(`/p2/${name}.json`, token);
  expect(response.status).toBe(200);
  return (await response.json()) as P2Document;
}

/** The local path of an absolute dist URL. */
const localPath = (url: string): string => {
  expect(url.startsWith(`${BASE}/dists/`)).toBe(true);
  return url.slice(BASE.length);
};

describe("packages.json", () => {
  it("has absolute URLs under PB_BASE_URL's path prefix (trailing slash trimmed)", async () => {
    const response = await get("/packages.json");
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("application/json");
    const body = (await response.json()) as Record<string, unknown>;
    expect(body["metadata-url"]).toBe(`${BASE}/p2/%package%.json`);
    expect(body["notify-batch"]).toBe(`${BASE}/downloads`);
    expect(body["available-packages"]).toEqual(["acme/alpha", "acme/beta", "other/gamma"]);
  });

  it("lists only the packages the token may see", async () => {
    const body = (await (await get("/packages.json", limited)).json()) as Record<string, unknown>;
    expect(body["available-packages"]).toEqual(["acme/alpha", "acme/beta"]);
  });
});

describe("p2 metadata", () => {
  it("serves tagged versions in p2/<name>.json and branches in ~dev.json, minified", async () => {
    const tagged = await p2("acme/alpha");
    expect(tagged.minified).toBe("composer/2.0");
    expect(Object.keys(tagged.packages)).toEqual(["acme/alpha"]);
    const versions = tagged.packages["acme/alpha"] ?? [];
    expect(versions.map((v) => v.version)).toEqual(["v1.1.0", "1.0.0"]);
    expect(versions[0]?.name).toBe("acme/alpha");

    const dev = await p2("acme/alpha~dev");
    expect(dev.packages["acme/alpha"]?.map((v) => v.version).sort()).toEqual(["dev-feature/x", "dev-main"]);
  });

  it("serves an empty ~dev document for a package without branches", async () => {
    expect((await p2("acme/beta~dev")).packages).toEqual({ "acme/beta": [] });
  });

  it("answers 404 with a JSON warning for an unknown package", async () => {
    for (const path of ["/p2/acme/nope.json", "/p2/acme/nope~dev.json"]) {
      const response = await get(path);
      expect(response.status, path).toBe(404);
      expect(response.headers.get("content-type")).toBe("application/json");
      expect(await response.json()).toMatchObject({
        code: "PackageNotFound",
        warning: expect.any(String) as unknown,
      });
    }
  });

  it("refuses a package outside the token's patterns with 403", async () => {
    const response = await get("/p2/other/gamma.json", limited);
    expect(response.status).toBe(403);
    expect(await response.json()).toMatchObject({ code: "PackageNotAllowed" });
    // Whether or not it exists: the answer tells nothing about packages outside the patterns.
    expect((await get("/p2/other/nope.json", limited)).status).toBe(403);
    expect((await get(`/dists/other/nope/1.0.0.0/${"a".repeat(40)}.zip`, limited)).status).toBe(403);
  });
});

describe("conditional requests", () => {
  it("answers 304 to If-Modified-Since with the Last-Modified it sent", async () => {
    for (const path of ["/packages.json", "/p2/acme/alpha.json"]) {
      const first = await get(path);
      const lastModified = first.headers.get("last-modified");
      expect(lastModified, path).toMatch(/GMT$/);
      const again = await get(path, reader, { "if-modified-since": lastModified ?? "" });
      expect(again.status, path).toBe(304);
      expect(await again.text()).toBe("");
      expect(again.headers.get("last-modified")).toBe(lastModified);

      const earlier = new Date(Date.parse(lastModified ?? "") - 1000).toUTCString();
      expect((await get(path, reader, { "if-modified-since": earlier })).status, path).toBe(200);
      expect((await get(path, reader, { "if-modified-since": "not a date" })).status, path).toBe(200);
    }
  });

  it("does not answer 304 once the package changed, a second later or in the same second", async () => {
    const before = await get("/p2/acme/beta.json");
    const rootBefore = await get("/packages.json");
    const since = before.headers.get("last-modified") ?? "";
    const rootSince = rootBefore.headers.get("last-modified") ?? "";

    t.clock.advance(1000);
    await t.publish("acme/beta", "2.1.0", writer.token);
    const after = await get("/p2/acme/beta.json", reader, { "if-modified-since": since });
    expect(after.status).toBe(200);
    const versions = ((await after.json()) as P2Document).packages["acme/beta"] ?? [];
    expect(versions.map((v) => v.version)).toEqual(["2.1.0", "2.0.0"]);
    expect(Date.parse(after.headers.get("last-modified") ?? "")).toBeGreaterThan(Date.parse(since));
    expect((await get("/packages.json", reader, { "if-modified-since": rootSince })).status).toBe(200);

    // Another change within the same second of the clock must still move Last-Modified.
    const sameSecond = after.headers.get("last-modified") ?? "";
    await t.publish("acme/beta", "2.2.0", writer.token);
    const latest = await get("/p2/acme/beta.json", reader, { "if-modified-since": sameSecond });
    expect(latest.status).toBe(200);
  });

  it("answers 304 to a matching If-None-Match, and If-None-Match wins over If-Modified-Since", async () => {
    const first = await get("/p2/acme/alpha.json");
    const etag = first.headers.get("etag") ?? "";
    expect(etag).toMatch(/^"[^"]+"$/);
    expect((await get("/p2/acme/alpha.json", reader, { "if-none-match": etag })).status).toBe(304);
    expect((await get("/p2/acme/alpha.json", reader, { "if-none-match": `W/${etag}` })).status).toBe(304);
    expect((await get("/p2/acme/alpha.json", reader, { "if-none-match": `"x", ${etag}` })).status).toBe(304);
    const other = await get("/p2/acme/alpha.json", reader, {
      "if-none-match": '"something-else"',
      "if-modified-since": first.headers.get("last-modified") ?? "",
    });
    expect(other.status).toBe(200);
  });

  it("sends different ETags to tokens that see different packages", async () => {
    const all = await get("/packages.json", reader);
    const some = await get("/packages.json", limited);
    expect(all.headers.get("etag")).not.toBe(some.headers.get("etag"));
    const cross = await get("/packages.json", limited, { "if-none-match": all.headers.get("etag") ?? "" });
    expect(cross.status).toBe(200);
  });
});

describe("compression", () => {
  it("sends gzip or br when asked, with the same content, and Vary", async () => {
    const plain = await get("/p2/acme/alpha.json");
    expect(plain.headers.get("content-encoding")).toBeNull();
    expect(plain.headers.get("vary")).toMatch(/Accept-Encoding/i);
    const identity = Buffer.from(await plain.arrayBuffer());

    const gzip = await get("/p2/acme/alpha.json", reader, { "accept-encoding": "gzip" });
    expect(gzip.headers.get("content-encoding")).toBe("gzip");
    expect(gzip.headers.get("vary")).toMatch(/Accept-Encoding/i);
    expect(gunzipSync(Buffer.from(await gzip.arrayBuffer()))).toEqual(identity);

    const br = await get("/p2/acme/alpha.json", reader, { "accept-encoding": "deflate, gzip, br, zstd" });
    expect(br.headers.get("content-encoding")).toBe("br");
    expect(brotliDecompressSync(Buffer.from(await br.arrayBuffer()))).toEqual(identity);

    const root = await get("/packages.json", reader, { "accept-encoding": "gzip" });
    expect(root.headers.get("content-encoding")).toBe("gzip");
    expect(JSON.parse(gunzipSync(Buffer.from(await root.arrayBuffer())).toString("utf8"))).toHaveProperty(
      "metadata-url",
    );
  });

  it("honours q-values and refusals", async () => {
    const encodingFor = async (accept: string) =>
      (await get("/p2/acme/alpha.json", reader, { "accept-encoding": accept })).headers.get(
        "content-encoding",
      );
    expect(await encodingFor("br;q=0, gzip")).toBe("gzip");
    expect(await encodingFor("identity")).toBeNull();
    expect(await encodingFor("*;q=0")).toBeNull();
    expect(await encodingFor("gzip;q=0")).toBeNull();
    expect(await encodingFor("*")).toBe("br");
  });

  it("sends 304s without a body or Content-Encoding", async () => {
    const first = await get("/p2/acme/alpha.json");
    const response = await get("/p2/acme/alpha.json", reader, {
      "accept-encoding": "gzip",
      "if-modified-since": first.headers.get("last-modified") ?? "",
    });
    expect(response.status).toBe(304);
    expect(response.headers.get("content-encoding")).toBeNull();
    expect((await response.arrayBuffer()).byteLength).toBe(0);
  });
});

describe("dists", () => {
  it("serves the uploaded bytes, whose sha1 is the dist.shasum of p2", async () => {
    const versions = (await p2("acme/alpha")).packages["acme/alpha"] ?? [];
    const v110 = versions.find((v) => v.version === "v1.1.0");
    expect(v110?.dist.type).toBe("zip");
    const response = await get(localPath(v110?.dist.url ?? ""));
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("application/zip");
    const bytes = Buffer.from(await response.arrayBuffer());
    expect(bytes).toEqual(zips.get("acme/alpha v1.1.0"));
    expect(response.headers.get("content-length")).toBe(String(bytes.byteLength));
    expect(createHash("sha1").update(bytes).digest("hex")).toBe(v110?.dist.shasum);
  });

  it("serves the dist of a branch whose name has a slash", async () => {
    const versions = (await p2("acme/alpha~dev")).packages["acme/alpha"] ?? [];
    const feature = versions.find((v) => v.version === "dev-feature/x");
    expect(feature?.dist.url).toContain("/dev-feature%2Fx/");
    const response = await get(localPath(feature?.dist.url ?? ""));
    expect(response.status).toBe(200);
    expect(Buffer.from(await response.arrayBuffer())).toEqual(zips.get("acme/alpha dev-feature/x"));
  });

  it("answers 304 to the dist's ETag", async () => {
    const dist = (await p2("acme/alpha")).packages["acme/alpha"]?.[0]?.dist;
    const first = await get(localPath(dist?.url ?? ""));
    await first.arrayBuffer();
    const again = await get(localPath(dist?.url ?? ""), reader, {
      "if-none-match": first.headers.get("etag") ?? "",
    });
    expect(again.status).toBe(304);
  });

  it("answers HEAD with the headers only, and closes the file it opened", async () => {
    const own = await TestRuntime.start();
    try {
      const token = await own.createToken({ scopes: ["write"] });
      const zip = packageZip("acme/large", "1.0.0", {
        entries: [{ name: "large.bin", data: randomBytes(1024 * 1024), method: "stored" }],
      });
      const { distSha1 } = await own.publish("acme/large", "1.0.0", token.token, { zip });
      const path = `/dists/acme/large/1.0.0.0/${distSha1}.zip`;
      const openFiles = () => fs.readdirSync("/proc/self/fd").length;
      const before = openFiles();
      for (let i = 0; i < 20; i++) {
        const response = await own.request(path, { method: "HEAD", token: token.token });
        expect(response.status).toBe(200);
        expect(response.headers.get("content-length")).toBe(String(zip.byteLength));
        expect((await response.arrayBuffer()).byteLength).toBe(0);
      }
      expect(openFiles() - before).toBeLessThan(5);
    } finally {
      await own.cleanup();
    }
  });

  it("answers 404 for a wrong reference or version, 403 outside the token's patterns", async () => {
    const dist = (await p2("other/gamma")).packages["other/gamma"]?.[0]?.dist;
    const path = localPath(dist?.url ?? "");
    const wrongReference = path.replace(/[0-9a-f]{40}\.zip$/, `${"0".repeat(40)}.zip`);
    expect((await get(wrongReference)).status).toBe(404);
    expect((await get(path.replace("/1.0.0.0/", "/9.9.9.9/"))).status).toBe(404);
    const forbidden = await get(path, limited);
    expect(forbidden.status).toBe(403);
    expect(await forbidden.json()).toMatchObject({
      code: "PackageNotAllowed",
      warning: expect.any(String) as unknown,
    });
  });
});

describe("dist byte ranges (RFC 9110 §14)", () => {
  /** The path and bytes of acme/beta 2.0.0's dist, and its ETag and Last-Modified. */
  async function beta(): Promise<{ path: string; bytes: Buffer; etag: string; lastModified: string }> {
    const dist = (await p2("acme/beta")).packages["acme/beta"]?.[0]?.dist;
    const path = localPath(dist?.url ?? "");
    const whole = await get(path);
    expect(whole.headers.get("accept-ranges")).toBe("bytes");
    return {
      path,
      bytes: Buffer.from(await whole.arrayBuffer()),
      etag: whole.headers.get("etag") ?? "",
      lastModified: whole.headers.get("last-modified") ?? "",
    };
  }

  it("answers a single range with 206, the bytes, Content-Range and Content-Length", async () => {
    const { path, bytes } = await beta();
    const size = bytes.byteLength;
    for (const [range, first, last] of [
      ["bytes=0-0", 0, 0],
      ["bytes=0-99", 0, 99],
      ["bytes=100-", 100, size - 1],
      ["bytes=-50", size - 50, size - 1],
      [`bytes=10-${size + 1000}`, 10, size - 1],
      [`bytes=-${size + 5}`, 0, size - 1],
    ] as const) {
      const response = await get(path, reader, { range });
      expect(response.status, range).toBe(206);
      expect(response.headers.get("content-range"), range).toBe(`bytes ${first}-${last}/${size}`);
      expect(response.headers.get("content-length"), range).toBe(String(last - first + 1));
      expect(Buffer.from(await response.arrayBuffer()).equals(bytes.subarray(first, last + 1)), range).toBe(
        true,
      );
    }
  });

  it("answers 416 with the size when no byte of the range exists", async () => {
    const { path, bytes } = await beta();
    for (const range of [
      `bytes=${bytes.byteLength}-`,
      `bytes=${bytes.byteLength + 10}-${bytes.byteLength + 20}`,
      "bytes=-0",
    ]) {
      const response = await get(path, reader, { range });
      expect(response.status, range).toBe(416);
      expect(response.headers.get("content-range"), range).toBe(`bytes */${bytes.byteLength}`);
      expect((await response.arrayBuffer()).byteLength).toBe(0);
    }
  });

  it("sends the whole dist for ranges it does not serve: several, other units, malformed, backwards", async () => {
    const { path, bytes } = await beta();
    for (const range of [
      "bytes=0-1,5-6",
      "items=0-1",
      "bytes=abc",
      "bytes=5-1",
      "bytes=",
      "bytes=--5",
      `bytes=0-${"9".repeat(40)}`,
      "bytes=0-1 trailing",
    ]) {
      const response = await get(path, reader, { range });
      expect(response.status, range).toBe(200);
      expect(response.headers.get("content-range"), range).toBeNull();
      expect(Buffer.from(await response.arrayBuffer()).equals(bytes), range).toBe(true);
    }
  });

  it("honours If-Range: the range with the current ETag or date, the whole dist otherwise", async () => {
    const { path, bytes, etag, lastModified } = await beta();
    const ranged = await get(path, reader, { range: "bytes=0-9", "if-range": etag });
    expect(ranged.status).toBe(206);
    expect((await ranged.arrayBuffer()).byteLength).toBe(10);
    const byDate = await get(path, reader, { range: "bytes=0-9", "if-range": lastModified });
    expect(byDate.status).toBe(206);
    await byDate.arrayBuffer();
    for (const stale of [
      '"0000000000000000000000000000000000000000"',
      `W/${etag}`,
      "Thu, 01 Jan 1970 00:00:00 GMT",
    ]) {
      const whole = await get(path, reader, { range: "bytes=0-9", "if-range": stale });
      expect(whole.status, stale).toBe(200);
      expect(Buffer.from(await whole.arrayBuffer()).equals(bytes), stale).toBe(true);
    }
  });

  it("still checks access first: a range of a dist outside the token's patterns is 403", async () => {
    const dist = (await p2("other/gamma")).packages["other/gamma"]?.[0]?.dist;
    const response = await get(localPath(dist?.url ?? ""), limited, { range: "bytes=0-9" });
    expect(response.status).toBe(403);
  });
});

describe("hostile paths", () => {
  const sha = "a".repeat(40);
  const long = (char: string) => char.repeat(5000);
  const cases: Record<string, string> = {
    "dot segments": "/p2/../../etc/passwd.json",
    "encoded slashes and dots": "/p2/acme/..%2F..%2Fx.json",
    "an encoded dot-dot name": "/p2/acme/%2e%2e.json",
    NUL: "/p2/acme/%00.json",
    uppercase: "/p2/ACME/Pkg.json",
    "~dev twice": "/p2/acme/x~dev~dev.json",
    "an empty name": "/p2/acme/.json",
    "only ~dev": "/p2/acme/~dev.json",
    "three segments": "/p2/a/b/c.json",
    "a 5,000-character project": `/p2/acme/${long("x")}.json`,
    "a 5,000-character vendor": `/p2/${long("v")}/x.json`,
    "encoded unicode": "/p2/acme/%E2%98%83.json",
    "raw unicode": "/p2/acme/ü.json",
    "invalid UTF-8": "/p2/acme/%ff%fe.json",
    "a lone percent sign": "/p2/acme/%.json",
    "a device name": "/p2/acme/nul.json",
    "a double extension": "/p2/acme/alpha.json.json",
    "no extension": "/p2/acme/alpha",
    "dist dot segments": `/dists/acme/alpha/1.0.0.0/../../secret.zip`,
    "dist encoded dot-dot version": `/dists/acme/alpha/%2e%2e/${sha}.zip`,
    "dist encoded slashes": `/dists/acme/alpha/..%2F..%2F/${sha}.zip`,
    "dist short file name": "/dists/acme/alpha/1.0.0.0/abc.zip",
    "dist uppercase hex": `/dists/acme/alpha/1.0.0.0/${"A".repeat(40)}.zip`,
    "dist 41 hex digits": `/dists/acme/alpha/1.0.0.0/${"a".repeat(41)}.zip`,
    "dist another extension": `/dists/acme/alpha/1.0.0.0/${sha}.tar`,
    "dist no extension": `/dists/acme/alpha/1.0.0.0/${sha}`,
    "dist uppercase name": `/dists/ACME/Alpha/1.0.0.0/${sha}.zip`,
    "dist unicode name": `/dists/acme/ünïcode/1.0.0.0/${sha}.zip`,
    "dist 5,000-character version": `/dists/acme/alpha/${long("9")}/${sha}.zip`,
    "dist 5,000-character project": `/dists/acme/${long("p")}/1.0.0.0/${sha}.zip`,
    "dist NUL in the version": `/dists/acme/alpha/1.0.0.0%00/${sha}.zip`,
    "dist invalid UTF-8 version": `/dists/acme/alpha/%ff/${sha}.zip`,
  };
  it.each(Object.entries(cases))("answers %s with a clean 4xx", async (label, path) => {
    const response = await get(path);
    expect(response.status, label).toBeGreaterThanOrEqual(400);
    expect(response.status, label).toBeLessThan(500);
    expect(response.headers.get("content-type"), label).toMatch(/^application\/(problem\+)?json$/);
    // Hostile input is not echoed back at length.
    const body = (await response.json()) as { detail: string };
    expect(body.detail.length, label).toBeLessThan(300);
  });
});
