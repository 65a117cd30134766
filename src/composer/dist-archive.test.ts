import { execFileSync, spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { crc32 } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildZip, deflateRepeated, S_IFLNK, type ZipEntrySpec } from "../../test/builders/zip-builder.ts";
import { COMPOSER_LIBRARIES, phpLibraryAvailable, runPhpJson } from "../../test/support/run-php.ts";
import { DomainError } from "../errors/domain-error.ts";
import { inspectDistArchive, type DistArchiveLimits } from "./dist-archive.ts";

const LIMITS: DistArchiveLimits = {
  maxEntries: 1_000,
  maxUncompressedBytes: 10 * 1024 * 1024,
  maxComposerJsonBytes: 64 * 1024,
};
const COMPOSER_JSON = '{\n  "name": "acme/widget",\n  "description": "Wïdgets ✓"\n}\n';
const MiB = 1024 * 1024;

async function refusal(zip: Uint8Array, limits: DistArchiveLimits = LIMITS): Promise<DomainError> {
  const error = await inspectDistArchive(zip, limits).then(
    (result) => new Error(`expected a refusal, got ${JSON.stringify(result).slice(0, 200)}`),
    (thrown: unknown) => thrown,
  );
  if (!(error instanceof DomainError)) throw error;
  return error;
}

async function expectRefused(
  zip: Uint8Array,
  code: string,
  kind = "invalid",
  limits: DistArchiveLimits = LIMITS,
): Promise<DomainError> {
  const error = await refusal(zip, limits);
  expect({ code: error.code, kind: error.kind, message: error.message }).toMatchObject({ code, kind });
  return error;
}

const composerJson = (name = "composer.json", data: string = COMPOSER_JSON): ZipEntrySpec => ({ name, data });

/** An Info-ZIP Unicode Path extra field (0x7075) claiming `unicodeName` for the header name `headerName`. */
function unicodePathExtraField(headerName: string, unicodeName: string): Buffer {
  const name = Buffer.from(unicodeName, "utf8");
  const field = Buffer.alloc(4 + 5 + name.byteLength);
  field.writeUInt16LE(0x7075, 0);
  field.writeUInt16LE(5 + name.byteLength, 2);
  field.writeUInt8(1, 4);
  field.writeUInt32LE(crc32(Buffer.from(headerName, "utf8")), 5);
  name.copy(field, 9);
  return field;
}

describe("inspectDistArchive: valid archives", () => {
  it("reads a root composer.json and reports entries and inflated bytes", async () => {
    const zip = buildZip([composerJson(), { name: "src/" }, { name: "src/Widget.php", data: "<?php\n" }]);
    expect(await inspectDistArchive(zip, LIMITS)).toEqual({
      composerJson: COMPOSER_JSON,
      composerJsonPath: "composer.json",
      entryCount: 3,
      uncompressedBytes: Buffer.byteLength(COMPOSER_JSON) + 6,
    });
  });

  it("finds composer.json one directory down, like a GitHub zipball", async () => {
    const zip = buildZip([
      { name: "acme-widget-1a2b3c4/" },
      composerJson("acme-widget-1a2b3c4/composer.json"),
      { name: "acme-widget-1a2b3c4/src/" },
      { name: "acme-widget-1a2b3c4/src/Widget.php", data: "<?php\n" },
    ]);
    const result = await inspectDistArchive(zip, LIMITS);
    expect(result.composerJsonPath).toBe("acme-widget-1a2b3c4/composer.json");
    expect(result.composerJson).toBe(COMPOSER_JSON);
  });

  it("finds it in a top-level directory that has no entry of its own, ignoring __MACOSX", async () => {
    const zip = buildZip([
      { name: "__MACOSX/pkg/._composer.json", data: "resource fork" },
      composerJson("pkg/composer.json"),
      { name: "pkg/README.md", data: "# widget" },
    ]);
    expect((await inspectDistArchive(zip, LIMITS)).composerJsonPath).toBe("pkg/composer.json");
  });

  it("prefers the root composer.json over a nested one", async () => {
    const zip = buildZip([composerJson("vendor/composer.json", "{}"), composerJson()]);
    expect(await inspectDistArchive(zip, LIMITS)).toMatchObject({
      composerJsonPath: "composer.json",
      composerJson: COMPOSER_JSON,
    });
  });

  it("reads stored entries and a Uint8Array view into a larger buffer", async () => {
    const zip = buildZip([{ ...composerJson(), method: "stored" }, { name: "empty.txt" }]);
    const padded = new Uint8Array(zip.byteLength + 20);
    padded.set(zip, 10);
    const result = await inspectDistArchive(padded.subarray(10, 10 + zip.byteLength), LIMITS);
    expect(result.composerJson).toBe(COMPOSER_JSON);
    expect(result.entryCount).toBe(2);
  });

  it("returns composer.json byte for byte, a byte order mark included", async () => {
    const withBom = `\uFEFF${COMPOSER_JSON}`;
    const result = await inspectDistArchive(buildZip([composerJson("composer.json", withBom)]), LIMITS);
    expect(result.composerJson).toBe(withBom);
  });

  it("accepts exactly the limits", async () => {
    const json = "{}".padEnd(100, " ");
    const entries = [
      composerJson("composer.json", json),
      ...Array.from({ length: 9 }, (_, i) => ({ name: `f${i}` })),
    ];
    const limits = { maxEntries: 10, maxUncompressedBytes: 100, maxComposerJsonBytes: 100 };
    expect(await inspectDistArchive(buildZip(entries), limits)).toMatchObject({
      entryCount: 10,
      uncompressedBytes: 100,
    });
  });

  it("accepts an archive made by git archive", async () => {
    const repo = fs.mkdtempSync(path.join(os.tmpdir(), "package-broker-git-archive-"));
    try {
      const git = (...args: string[]): Buffer =>
        execFileSync(
          "git",
          [
            "-c",
            "user.name=Test",
            "-c",
            "user.email=test@example.com",
            "-c",
            "commit.gpgsign=false",
            "-c",
            "init.defaultBranch=main",
            ...args,
          ],
          { cwd: repo, maxBuffer: 64 * MiB, env: { ...process.env, GIT_CONFIG_NOSYSTEM: "1" } },
        );
      git("init", "-q");
      fs.writeFileSync(path.join(repo, "composer.json"), COMPOSER_JSON);
      fs.mkdirSync(path.join(repo, "src"));
      fs.writeFileSync(path.join(repo, "src", "Widget.php"), "<?php\nfinal class Widget {}\n".repeat(50));
      git("add", ".");
      git("commit", "-q", "-m", "initial");

      const plain = await inspectDistArchive(git("archive", "--format=zip", "HEAD"), LIMITS);
      expect(plain).toMatchObject({ composerJsonPath: "composer.json", composerJson: COMPOSER_JSON });
      const prefixed = await inspectDistArchive(
        git("archive", "--format=zip", "--prefix=acme-widget-0a1b2c3/", "HEAD"),
        LIMITS,
      );
      expect(prefixed).toMatchObject({
        composerJsonPath: "acme-widget-0a1b2c3/composer.json",
        composerJson: COMPOSER_JSON,
      });
      expect(prefixed.entryCount).toBeGreaterThanOrEqual(3);
    } finally {
      fs.rmSync(repo, { recursive: true, force: true });
    }
  });

  const zipCli = spawnSync("zip", ["-v"]).status === 0;
  describe.skipIf(!zipCli)("with the zip command", () => {
    let work: string;
    beforeAll(() => {
      work = fs.mkdtempSync(path.join(os.tmpdir(), "package-broker-zip-cli-"));
      fs.mkdirSync(path.join(work, "widget", "src"), { recursive: true });
      fs.writeFileSync(path.join(work, "widget", "composer.json"), COMPOSER_JSON);
      fs.writeFileSync(path.join(work, "widget", "src", "Widget.php"), "<?php\n");
    });
    afterAll(() => {
      fs.rmSync(work, { recursive: true, force: true });
    });

    it("accepts an archive made by zip -r", async () => {
      execFileSync("zip", ["-q", "-r", "-X", "widget.zip", "widget"], { cwd: work });
      const result = await inspectDistArchive(fs.readFileSync(path.join(work, "widget.zip")), LIMITS);
      expect(result).toMatchObject({ composerJsonPath: "widget/composer.json", composerJson: COMPOSER_JSON });
    });

    it("refuses a symlink stored by zip --symlinks", async () => {
      fs.symlinkSync("/etc/passwd", path.join(work, "widget", "passwd"));
      execFileSync("zip", ["-q", "-r", "-X", "--symlinks", "linked.zip", "widget"], { cwd: work });
      const error = await expectRefused(fs.readFileSync(path.join(work, "linked.zip")), "ArchiveSymlink");
      expect(error.message).toBe(
        'archive entry "widget/passwd" is a symbolic link; archives must contain only files and directories',
      );
    });
  });
});

describe("inspectDistArchive: corrupt archives", () => {
  it.each([
    ["random bytes", Buffer.from("this is not a zip file at all, just some text")],
    ["an empty upload", Buffer.alloc(0)],
    ["a truncated archive", buildZip([composerJson()]).subarray(0, 40)],
    ["trailing garbage", Buffer.concat([buildZip([composerJson()]), Buffer.from("garbage")])],
  ])("refuses %s with InvalidArchive", async (_label, zip) => {
    await expectRefused(zip, "InvalidArchive");
  });

  it("refuses a central directory that points past the end of the file", async () => {
    const zip = buildZip([composerJson()]);
    const end = zip.byteLength - 22;
    zip.writeUInt32LE(zip.byteLength + 1000, end + 16);
    await expectRefused(zip, "InvalidArchive");
  });

  it("refuses deflate data that does not inflate", async () => {
    const zip = buildZip([
      composerJson(),
      {
        name: "broken.bin",
        method: "deflate",
        rawData: Buffer.from([0xff, 0xff, 0xff, 0xff]),
        uncompressedSize: 10,
      },
    ]);
    const error = await expectRefused(zip, "InvalidArchive");
    expect(error.message).toMatch(/^archive entry "broken.bin" is corrupt: /);
  });

  it("refuses an entry whose CRC-32 does not match", async () => {
    const error = await expectRefused(buildZip([{ ...composerJson(), crc32: 0x12345678 }]), "InvalidArchive");
    expect(error.message).toBe('archive entry "composer.json" is corrupt: its CRC-32 does not match');
  });

  it("refuses an entry that inflates to less than it declares", async () => {
    const zip = buildZip([composerJson(), { name: "short.txt", data: "short", uncompressedSize: 500 }]);
    const error = await expectRefused(zip, "InvalidArchive");
    expect(error.message).toMatch(/"short.txt" is truncated/);
  });

  it("refuses an entry whose local header has another name", async () => {
    const zip = buildZip([composerJson(), { name: "safe.txt", localName: "../../evil.txt", data: "x" }]);
    const error = await expectRefused(zip, "InvalidArchive");
    expect(error.message).toContain('"safe.txt" is named "../../evil.txt" in its local header');
  });
});

describe("inspectDistArchive: entry names", () => {
  it("refuses ../ with a message that names the entry", async () => {
    const error = await expectRefused(
      buildZip([composerJson(), { name: "../../etc/passwd", data: "root:x:0:0" }]),
      "ArchivePathTraversal",
    );
    expect(error.message).toBe('archive entry "../../etc/passwd" escapes the archive root');
    expect(error.extensions).toEqual({ entry: "../../etc/passwd" });
  });

  it.each([
    ["../x"],
    ["a/../../x"],
    ["a/b/.."],
    ["/abs"],
    ["/etc/passwd"],
    ["//server/share/x"],
    ["C:/Windows/x"],
    ["c:x"],
    ["..\\x"],
    ["a\\..\\..\\x"],
    ["\\abs"],
    ["C:\\x"],
  ])("refuses %j as a path traversal", async (name) => {
    await expectRefused(buildZip([composerJson(), { name, data: "x" }]), "ArchivePathTraversal");
  });

  it.each([
    ["a\\b"],
    ["a\u0000b"],
    ["composer.json\u0000.txt"],
    ["a\nb"],
    ["a\tb"],
    ["a\u007fb"],
    ["é\nb"],
    ["a\u0085b"],
    [""],
    ["a//b"],
    ["./a"],
    ["a/./b"],
    ["."],
  ])("refuses %j as an invalid entry name", async (name) => {
    await expectRefused(buildZip([composerJson(), { name, data: "x" }]), "ArchiveInvalidEntryName");
  });

  it("refuses a name flagged UTF-8 that is not", async () => {
    const name = Buffer.from([0x61, 0xff, 0xfe, 0x62]);
    await expectRefused(
      buildZip([composerJson(), { name, utf8: true, data: "x" }]),
      "ArchiveInvalidEntryName",
    );
  });

  it("accepts non-ASCII names, UTF-8 flagged or not", async () => {
    const zip = buildZip([
      composerJson(),
      { name: "src/Ünïcödé.php", data: "<?php" },
      { name: Buffer.from("docs/caf\x82.txt", "latin1"), utf8: false, data: "cp437" },
    ]);
    expect((await inspectDistArchive(zip, LIMITS)).entryCount).toBe(3);
  });

  it("refuses a hostile name hidden in an Info-ZIP Unicode Path extra field", async () => {
    const zip = buildZip([
      composerJson(),
      {
        name: "innocent.txt",
        extraField: unicodePathExtraField("innocent.txt", "../../evil.txt"),
        data: "x",
      },
    ]);
    const error = await expectRefused(zip, "ArchivePathTraversal");
    expect(error.message).toContain('"../../evil.txt"');
  });

  it("refuses duplicate entries", async () => {
    const error = await expectRefused(
      buildZip([composerJson(), composerJson("composer.json", "{}")]),
      "ArchiveDuplicateEntry",
    );
    expect(error.message).toBe('archive has more than one entry named "composer.json"');
  });

  it("refuses a file and a directory with the same name", async () => {
    const zip = buildZip([composerJson(), { name: "src", data: "file" }, { name: "src/" }]);
    await expectRefused(zip, "ArchiveDuplicateEntry");
  });
});

describe("inspectDistArchive: entry types", () => {
  it("refuses a symlink entry", async () => {
    const zip = buildZip([composerJson(), { name: "link", data: "/etc/passwd", unixMode: S_IFLNK | 0o777 }]);
    const error = await expectRefused(zip, "ArchiveSymlink");
    expect(error.message).toBe(
      'archive entry "link" is a symbolic link; archives must contain only files and directories',
    );
  });

  it("refuses composer.json itself as a symlink", async () => {
    const zip = buildZip([{ name: "composer.json", data: "/etc/passwd", unixMode: S_IFLNK | 0o644 }]);
    await expectRefused(zip, "ArchiveSymlink");
  });

  it.each([
    ["a character device", 0o020000],
    ["a block device", 0o060000],
    ["a FIFO", 0o010000],
    ["a socket", 0o140000],
  ])("refuses %s", async (_label, type) => {
    await expectRefused(
      buildZip([composerJson(), { name: "dev", unixMode: type | 0o644 }]),
      "ArchiveSpecialFile",
    );
  });

  it("accepts entries without Unix attributes (made on Windows)", async () => {
    const zip = buildZip([
      { ...composerJson(), externalAttributes: 0x20 },
      { name: "dir/", externalAttributes: 0x10 },
    ]);
    expect((await inspectDistArchive(zip, LIMITS)).entryCount).toBe(2);
  });

  it("refuses traditional and strong encryption", async () => {
    const traditional = buildZip([composerJson(), { name: "secret.txt", data: "x", flags: 0x1 }]);
    const error = await expectRefused(traditional, "ArchiveEncryptedEntry");
    expect(error.message).toBe(
      'archive entry "secret.txt" is encrypted; encrypted archives are not supported',
    );
    await expectRefused(
      buildZip([composerJson(), { name: "secret.txt", data: "x", flags: 0x41 }]),
      "ArchiveEncryptedEntry",
    );
  });

  it("refuses compression methods other than stored and deflate", async () => {
    const zip = buildZip([composerJson(), { name: "data.bz2", data: "x", compressionMethod: 12 }]);
    await expectRefused(zip, "ArchiveUnsupportedCompression");
  });
});

describe("inspectDistArchive: limits", () => {
  it("refuses more entries than allowed", async () => {
    const entries = [composerJson(), ...Array.from({ length: 10 }, (_, i) => ({ name: `f${i}` }))];
    const error = await expectRefused(buildZip(entries), "ArchiveTooManyEntries", "invalid", {
      ...LIMITS,
      maxEntries: 10,
    });
    expect(error.message).toBe("archive has 11 entries; at most 10 are allowed");
  });

  it("refuses a 10,000-entry archive quickly, before reading its entries", async () => {
    const entries = Array.from({ length: 10_000 }, (_, i) => ({ name: `files/${i}.txt`, data: `${i}` }));
    const zip = buildZip([composerJson(), ...entries]);
    const started = performance.now();
    await expectRefused(zip, "ArchiveTooManyEntries");
    expect(performance.now() - started).toBeLessThan(500);
  });

  it("refuses declared sizes over the limit before inflating anything", async () => {
    const zip = buildZip([composerJson(), { name: "big.bin", data: Buffer.alloc(2 * MiB) }]);
    const error = await expectRefused(zip, "ArchiveTooLarge", "too-large", {
      ...LIMITS,
      maxUncompressedBytes: MiB,
    });
    expect(error.message).toBe(`archive declares more than ${MiB} bytes of uncompressed content`);
  });

  describe("a deflate bomb with a lying header", () => {
    let bomb: Buffer;
    beforeAll(async () => {
      // 200 MiB of zeros deflate to about 200 KiB; the header claims 1 KiB.
      bomb = await deflateRepeated(Buffer.alloc(MiB), 200);
      expect(bomb.byteLength).toBeLessThan(MiB);
    });

    it("is refused while inflating, long before 200 MiB", async () => {
      const zip = buildZip([
        composerJson(),
        { name: "zeros.bin", method: "deflate", rawData: bomb, uncompressedSize: 1024 },
      ]);
      const started = performance.now();
      const error = await expectRefused(zip, "ArchiveTooLarge", "too-large");
      expect(error.message).toBe(
        'archive entry "zeros.bin" inflates to more than the 1024 bytes its header declares',
      );
      expect(performance.now() - started).toBeLessThan(1_000);
    });

    it("is refused when it poses as composer.json", async () => {
      const zip = buildZip([
        { name: "composer.json", method: "deflate", rawData: bomb, uncompressedSize: 100 },
      ]);
      await expectRefused(zip, "ArchiveTooLarge", "too-large");
    });

    it("is refused when many entries share one bomb (overlapping entries)", async () => {
      const zip = buildZip([
        composerJson(),
        ...Array.from({ length: 50 }, (_, i) => ({
          name: `z${i}.bin`,
          method: "deflate" as const,
          rawData: bomb.subarray(0, 4096),
          uncompressedSize: 0xffff,
        })),
      ]);
      await expectRefused(zip, "ArchiveTooLarge", "too-large", { ...LIMITS, maxUncompressedBytes: 4 * MiB });
    });
  });

  it("refuses a composer.json over its own limit", async () => {
    const zip = buildZip([composerJson("composer.json", "{}".padEnd(101, " "))]);
    const error = await expectRefused(zip, "ComposerJsonTooLarge", "invalid", {
      ...LIMITS,
      maxComposerJsonBytes: 100,
    });
    expect(error.message).toBe("composer.json in the archive has 101 bytes; at most 100 are allowed");
  });

  it("refuses a composer.json that is not UTF-8", async () => {
    const zip = buildZip([{ name: "composer.json", data: Buffer.from([0x7b, 0xff, 0xfe, 0x7d]) }]);
    await expectRefused(zip, "ComposerJsonNotUtf8");
  });
});

describe("inspectDistArchive: where composer.json must be", () => {
  const layouts: [string, ZipEntrySpec[], string | null][] = [
    ["at the root", [composerJson(), { name: "README.md", data: "x" }], "composer.json"],
    [
      "in a single top-level directory",
      [{ name: "pkg/" }, composerJson("pkg/composer.json")],
      "pkg/composer.json",
    ],
    [
      "with a top-level directory entry only implied",
      [composerJson("pkg/composer.json")],
      "pkg/composer.json",
    ],
    [
      "next to __MACOSX",
      [composerJson("pkg/composer.json"), { name: "__MACOSX/", data: "" }],
      "pkg/composer.json",
    ],
    ["nowhere (empty archive)", [], null],
    ["nowhere (only other files)", [{ name: "src/Widget.php", data: "<?php" }], null],
    ["two levels down", [composerJson("a/b/composer.json")], null],
    [
      "in one of two top-level directories",
      [composerJson("a/composer.json"), composerJson("b/composer.json")],
      null,
    ],
    ["beside a top-level file", [composerJson("pkg/composer.json"), { name: "README.md", data: "x" }], null],
    ["in the wrong case", [composerJson("Composer.json")], null],
    ["as a directory", [{ name: "composer.json/" }, { name: "composer.json/x", data: "{}" }], null],
  ];

  it.each(layouts)("%s", async (_label, entries, expected) => {
    const zip = buildZip(entries);
    if (expected === null) {
      await expectRefused(zip, "ArchiveMissingComposerJson");
    } else {
      expect((await inspectDistArchive(zip, LIMITS)).composerJsonPath).toBe(expected);
    }
  });

  it("explains an archive with several top-level entries", async () => {
    const error = await expectRefused(
      buildZip([composerJson("a/composer.json"), composerJson("b/composer.json")]),
      "ArchiveMissingComposerJson",
    );
    expect(error.message).toContain('more than one top-level entry ("a/", "b/")');
  });

  it.skipIf(!phpLibraryAvailable("Composer/Util/Zip.php"))(
    "agrees with Composer's own Zip::getComposerJson on every layout",
    async () => {
      const directory = fs.mkdtempSync(path.join(os.tmpdir(), "package-broker-composer-zip-"));
      try {
        const files = layouts.map(([, entries], i) => {
          const file = path.join(directory, `${i}.zip`);
          fs.writeFileSync(file, buildZip(entries));
          return file;
        });
        const script = `
          require '${COMPOSER_LIBRARIES}/Composer/Util/Zip.php';
          $out = [];
          foreach (json_decode(stream_get_contents(STDIN), true) as $file) {
            try { $out[] = Composer\\Util\\Zip::getComposerJson($file); } catch (\\RuntimeException $e) { $out[] = null; }
          }
          echo json_encode($out);`;
        const composer = runPhpJson<(string | null)[]>(script, files);
        const ours = await Promise.all(
          layouts.map(([, entries]) =>
            inspectDistArchive(buildZip(entries), LIMITS).then(
              (result) => result.composerJson,
              () => null,
            ),
          ),
        );
        expect(ours).toEqual(composer);
      } finally {
        fs.rmSync(directory, { recursive: true, force: true });
      }
    },
  );
});
