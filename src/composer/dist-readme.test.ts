import { Buffer } from "node:buffer";
import { crc32, deflateRawSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { buildZip, S_IFLNK, type ZipEntrySpec } from "../../test/builders/zip-builder.ts";
import { domainErrorOf } from "../../test/support/domain-error-of.ts";
import { findDistReadme, type DistReadmeLimits } from "./dist-readme.ts";

const LIMITS: DistReadmeLimits = { maxEntries: 1000, maxReadmeBytes: 512 * 1024 };
const COMPOSER = { name: "composer.json", data: '{"name":"acme/lib"}' };

const find = (entries: readonly ZipEntrySpec[], limits: DistReadmeLimits = LIMITS) =>
  findDistReadme(buildZip(entries), limits);

async function refusal(promise: Promise<unknown>): Promise<{ kind: string; code: string }> {
  const error = await domainErrorOf(promise);
  return { kind: error.kind, code: error.code };
}

describe("findDistReadme", () => {
  it("reads README.md at the root of a flat archive, as `git archive` builds it", async () => {
    const readme = await find([
      COMPOSER,
      { name: "README.md", data: "# Lib\n\nHello.\n" },
      { name: "src/" },
      { name: "src/Lib.php", data: "<?php\n" },
      { name: "docs/README.md", data: "# Not this one\n" },
    ]);
    expect(readme).toEqual({
      path: "README.md",
      format: "markdown",
      content: "# Lib\n\nHello.\n",
      truncated: false,
    });
  });

  it("reads the README inside the single top-level directory of a GitHub-style archive", async () => {
    const readme = await find([
      { name: "acme-lib-1a2b3c/" },
      { name: "acme-lib-1a2b3c/composer.json", data: '{"name":"acme/lib"}' },
      { name: "acme-lib-1a2b3c/README.md", data: "wrapped" },
      { name: "acme-lib-1a2b3c/src/README.md", data: "too deep" },
      { name: "__MACOSX/acme-lib-1a2b3c/._README.md", data: "resource fork" },
    ]);
    expect(readme).toMatchObject({ path: "acme-lib-1a2b3c/README.md", content: "wrapped" });
  });

  it("prefers the root's README over one inside a directory", async () => {
    const readme = await find([
      { name: "README", data: "root" },
      { name: "lib/README.md", data: "nested" },
    ]);
    expect(readme).toMatchObject({ path: "README", format: "text", content: "root" });
  });

  it("does not look inside directories when the archive has several top-level entries", async () => {
    expect(
      await find([COMPOSER, { name: "one/README.md", data: "a" }, { name: "two/x", data: "b" }]),
    ).toBeNull();
  });

  it("prefers README.md, then README.markdown, README and README.txt, in any case", async () => {
    const all = [
      { name: "README.txt", data: "txt" },
      { name: "readme", data: "bare" },
      { name: "README.markdown", data: "markdown" },
      { name: "Readme.MD", data: "md" },
    ];
    expect(await find(all)).toMatchObject({ path: "Readme.MD", format: "markdown", content: "md" });
    expect(await find(all.slice(0, 3))).toMatchObject({ path: "README.markdown", format: "markdown" });
    expect(await find(all.slice(0, 2))).toMatchObject({ path: "readme", format: "text" });
    expect(await find(all.slice(0, 1))).toMatchObject({ path: "README.txt", format: "text" });
    expect(
      await find([
        { name: "README.rst", data: "x" },
        { name: "readme.html", data: "y" },
      ]),
    ).toBeNull();
  });

  it("is null for an archive without a README", async () => {
    expect(await find([COMPOSER, { name: "src/Lib.php", data: "<?php\n" }])).toBeNull();
    expect(await find([])).toBeNull();
  });

  it("does not take a directory named like a README", async () => {
    const readme = await find([
      { name: "README.md/" },
      { name: "README.md/inside.md", data: "inside" },
      { name: "README.txt", data: "the text one" },
    ]);
    expect(readme).toMatchObject({ path: "README.txt", content: "the text one" });
    // A directory entry without a trailing slash, marked by the MS-DOS directory attribute.
    expect(await find([{ name: "README.md", externalAttributes: 0x10 }])).toBeNull();
  });

  it("does not follow or read a symbolic link named README.md", async () => {
    const readme = await find([
      { name: "README.md", data: "/etc/passwd", unixMode: S_IFLNK | 0o777 },
      { name: "README", data: "plain" },
    ]);
    expect(readme).toMatchObject({ path: "README", content: "plain" });
    expect(await find([{ name: "README.md", data: "../../secret", unixMode: S_IFLNK | 0o777 }])).toBeNull();
  });

  it("skips an encrypted README and one with an unknown compression method", async () => {
    expect(await find([{ name: "README.md", data: "secret", flags: 0x1 }])).toBeNull();
    expect(await find([{ name: "README.md", data: "bzip", compressionMethod: 12 }])).toBeNull();
  });

  it("cuts a README longer than the limit, without splitting a character", async () => {
    const content = `${"a".repeat(99)}é${"b".repeat(200)}`; // "é" is bytes 100 and 101
    const readme = await find([{ name: "README.md", data: content }], { ...LIMITS, maxReadmeBytes: 100 });
    expect(readme).toMatchObject({ truncated: true, content: "a".repeat(99) });
    const whole = await find([{ name: "README.md", data: content }], { ...LIMITS, maxReadmeBytes: 301 });
    expect(whole).toMatchObject({ truncated: false, content });
  });

  it("reads at most the limit of a 600 KiB README", async () => {
    const readme = await find([{ name: "README.md", data: "x".repeat(600 * 1024) }]);
    expect(readme?.truncated).toBe(true);
    expect(readme?.content.length).toBe(512 * 1024);
  });

  it("inflates only the limit of a zip bomb", async () => {
    const zeros = Buffer.alloc(64 * 1024 * 1024);
    const readme = await find([
      {
        name: "README.md",
        rawData: deflateRawSync(zeros, { level: 9 }),
        method: "deflate",
        uncompressedSize: zeros.byteLength,
        crc32: crc32(zeros),
      },
    ]);
    expect(readme?.truncated).toBe(true);
    expect(readme?.content.length).toBe(512 * 1024);
  });

  it("refuses a README that inflates to more than its header declares", async () => {
    const big = "y".repeat(4 * 1024 * 1024);
    const lying = { name: "README.md", data: big, uncompressedSize: 10 };
    expect(await refusal(find([lying]))).toEqual({ kind: "not-found", code: "ReadmeUnreadable" });
    // A small header hiding a bomb: inflation stops at the declared 10 bytes either way.
    const error = await domainErrorOf(find([lying]));
    expect(error.message).toMatch(/CRC-32/);
  });

  it("refuses a README that inflates to less than its header declares", async () => {
    const short = { name: "README.md", data: "short", uncompressedSize: 100 * 1024 * 1024 };
    expect(await refusal(find([short]))).toEqual({ kind: "not-found", code: "ReadmeUnreadable" });
  });

  it("refuses a README whose CRC-32 does not match, or whose deflate stream is broken", async () => {
    expect(await refusal(find([{ name: "README.md", data: "hello", crc32: 1234 }]))).toEqual({
      kind: "not-found",
      code: "ReadmeUnreadable",
    });
    const broken = {
      name: "README.md",
      rawData: Buffer.from([0xff, 0xff, 0xff]),
      method: "deflate" as const,
      uncompressedSize: 5,
    };
    expect(await refusal(find([broken]))).toEqual({ kind: "not-found", code: "ReadmeUnreadable" });
  });

  it("replaces bytes that are not UTF-8 and drops a byte order mark", async () => {
    const latin1 = Buffer.from([0x43, 0x61, 0x66, 0xe9, 0x0a]); // "Café\n" in ISO-8859-1
    expect(await find([{ name: "README.md", data: latin1 }])).toMatchObject({ content: "Caf\ufffd\n" });
    const bom = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from("# Title")]);
    expect(await find([{ name: "README.md", data: bom }])).toMatchObject({ content: "# Title" });
  });

  it("refuses what is not a zip, and an archive with too many entries", async () => {
    expect(await refusal(findDistReadme(Buffer.from("not a zip at all"), LIMITS))).toEqual({
      kind: "not-found",
      code: "ReadmeUnreadable",
    });
    const many = Array.from({ length: 20 }, (_, index) => ({ name: `f${index}`, data: "x" }));
    expect(await refusal(find(many, { ...LIMITS, maxEntries: 10 }))).toEqual({
      kind: "not-found",
      code: "ReadmeUnreadable",
    });
  });
});
