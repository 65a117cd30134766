import { createHash, randomBytes } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { GitFixture } from "../../../test/builders/git-fixture.ts";
import { createTestDatabase } from "../../../test/support/test-databases.ts";
import { ManualClock } from "../../clock/clock.ts";
import { FsBlobStore } from "../../storage/blobs/fs-blob-store.ts";
import { CatalogRecords, type StoredVersion } from "../../storage/database/catalog-records.ts";
import type { DatabaseHandle } from "../../storage/database/database-handle.ts";
import { RepositoryRecords } from "../../storage/database/repository-records.ts";
import { GitCliMirror } from "../git/git-cli-mirror.ts";
import type { GitMirror, GitRef } from "../git/git-mirror.ts";
import { syncGitRepository, type GitSyncResult, type SyncLimits } from "./git-repository-sync.ts";
import type { SyncProgress } from "./sync-progress.ts";

const PACKAGE = "acme/widget";

/** A GitMirror decorator that records which commits were read, archived and dated. */
class CountingMirror implements GitMirror {
  readonly inner: GitMirror;
  updates = 0;
  readFiles: string[] = [];
  archives: string[] = [];
  commitTimes: string[] = [];

  constructor(inner: GitMirror) {
    this.inner = inner;
  }

  reset(): void {
    this.updates = 0;
    this.readFiles = [];
    this.archives = [];
    this.commitTimes = [];
  }

  update(signal?: AbortSignal): Promise<void> {
    this.updates += 1;
    return this.inner.update(signal);
  }

  listRefs(): Promise<GitRef[]> {
    return this.inner.listRefs();
  }

  defaultBranch(): Promise<string | null> {
    return this.inner.defaultBranch();
  }

  readFile(commit: string, filePath: string, maxBytes: number): Promise<Buffer | null> {
    this.readFiles.push(commit);
    return this.inner.readFile(commit, filePath, maxBytes);
  }

  commitTime(commit: string): Promise<Date> {
    this.commitTimes.push(commit);
    return this.inner.commitTime(commit);
  }

  archive(commit: string, maxBytes: number): Promise<Buffer> {
    this.archives.push(commit);
    return this.inner.archive(commit, maxBytes);
  }
}

const DEFAULT_LIMITS: SyncLimits = { maxComposerJsonBytes: 4096, maxDistBytes: 1024 * 1024 };

/** One server: a database, a blob store and the git mirrors, in a data dir of its own. */
class Server {
  readonly dataDir: string;
  readonly handle: DatabaseHandle;
  readonly repositories: RepositoryRecords;
  readonly catalog: CatalogRecords;
  readonly blobs: FsBlobStore;
  readonly clock = new ManualClock("2026-02-01T12:00:00.000Z");
  readonly limits: SyncLimits;
  readonly mirrors = new Map<string, CountingMirror>();

  private constructor(dataDir: string, handle: DatabaseHandle, limits: SyncLimits) {
    this.dataDir = dataDir;
    this.handle = handle;
    this.repositories = new RepositoryRecords(handle.db);
    this.catalog = new CatalogRecords(handle.db);
    this.blobs = new FsBlobStore({ directory: path.join(dataDir, "dists") });
    this.limits = limits;
  }

  static async open(dataDir: string, limits: SyncLimits = DEFAULT_LIMITS): Promise<Server> {
    return new Server(dataDir, await createTestDatabase("sqlite"), limits);
  }

  async addRepository(id: string, url: string): Promise<void> {
    const now = this.clock.now().toISOString();
    await this.repositories.insert({
      id,
      name: id,
      type: "git",
      url,
      credentials: null,
      createdAt: now,
      updatedAt: now,
    });
    this.mirrors.set(
      id,
      new CountingMirror(
        new GitCliMirror({
          url,
          directory: path.join(this.dataDir, "git", `${id}.git`),
          allowFileProtocol: true,
          timeoutMs: 60_000,
        }),
      ),
    );
  }

  mirror(id: string): CountingMirror {
    const mirror = this.mirrors.get(id);
    if (mirror === undefined) throw new Error(`no repository ${id}`);
    return mirror;
  }

  /** Syncs as the service does: with the stored record, then records the default branch. */
  async sync(id: string, onProgress?: (progress: SyncProgress) => void): Promise<GitSyncResult> {
    this.clock.advance(60_000);
    const repository = await this.repositories.findById(id);
    if (repository === null) throw new Error(`no repository ${id}`);
    const leaseUntil = new Date(this.clock.now().getTime() + 60_000).toISOString();
    if (!(await this.repositories.acquireSyncLease(id, this.clock.now().toISOString(), leaseUntil))) {
      throw new Error(`repository ${id} is being synced`);
    }
    const mirror = this.mirror(id);
    mirror.reset();
    const result = await syncGitRepository(
      repository,
      mirror,
      {
        repositories: this.repositories,
        catalog: this.catalog,
        blobs: this.blobs,
        clock: this.clock,
        limits: this.limits,
      },
      onProgress,
    );
    await this.repositories.releaseSyncLease(id, {
      status: "ok",
      lastError: null,
      defaultBranch: result.defaultBranch,
      at: this.clock.now().toISOString(),
      leaseUntil,
    });
    return result;
  }

  async version(versionNormalized: string, name = PACKAGE): Promise<StoredVersion> {
    const version = await this.catalog.findVersion(name, versionNormalized);
    if (version === null) throw new Error(`no version ${name} ${versionNormalized}`);
    return version;
  }

  async blobBytes(sha256: string): Promise<Buffer> {
    const blob = await this.blobs.get(sha256);
    if (blob === null) throw new Error(`no blob ${sha256}`);
    const chunks: Uint8Array[] = [];
    for await (const chunk of blob.stream) chunks.push(chunk);
    return Buffer.concat(chunks);
  }

  close(): Promise<void> {
    return this.handle.close();
  }
}

function metadataOf(version: StoredVersion): Record<string, unknown> {
  return JSON.parse(version.metadata) as Record<string, unknown>;
}

function sha1(bytes: Uint8Array): string {
  return createHash("sha1").update(bytes).digest("hex");
}

function sha256(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}

function composerJson(extra: object = {}): object {
  return { name: PACKAGE, description: "A widget", license: "MIT", ...extra };
}

describe("syncGitRepository (real git, SQLite, file system blobs)", () => {
  let root: string;
  let remote: GitFixture;
  let server: Server;
  const servers: Server[] = [];

  async function openServer(name: string, limits?: SyncLimits): Promise<Server> {
    const opened = await Server.open(path.join(root, name), limits);
    servers.push(opened);
    return opened;
  }

  beforeEach(async () => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), "pb-sync-"));
    remote = new GitFixture(path.join(root, "remote"));
    server = await openServer("data");
  });

  afterEach(async () => {
    for (const opened of servers.splice(0)) await opened.close();
    fs.rmSync(root, { recursive: true, force: true });
  });

  /** main with a branch alias, tag v1.2.3 on the first commit, develop on the second. */
  function standardRemote(): { first: string; second: string } {
    const first = remote.commit({
      "composer.json": composerJson({ extra: { "branch-alias": { "dev-main": "1.x-dev" } } }),
      "src/Widget.php": "<?php\n",
    });
    remote.tag("v1.2.3");
    const second = remote.commit({ "src/Widget.php": "<?php // two\n" });
    remote.branch("develop");
    return { first, second };
  }

  it("turns tags into versions and branches into dev versions, flagging the default branch", async () => {
    const { first, second } = standardRemote();
    await server.addRepository("R1", remote.dir);
    const progress: SyncProgress[] = [];
    const result = await server.sync("R1", (event) => progress.push(event));

    expect(result.defaultBranch).toBe("main");
    expect(result.details).toEqual({
      added: ["acme/widget dev-develop", "acme/widget dev-main", "acme/widget v1.2.3"],
      updated: [],
      removed: [],
      skipped: [],
      moved: [],
    });
    expect(progress[0]).toEqual({ phase: "fetching" });
    expect(progress.at(-1)).toEqual({ phase: "done" });
    expect(progress.filter((event) => event.phase === "refs")).toHaveLength(3);

    const stable = await server.catalog.versions(PACKAGE, false);
    expect(stable).toHaveLength(1);
    const tag = stable[0];
    expect(tag).toMatchObject({
      packageName: PACKAGE,
      version: "v1.2.3",
      versionNormalized: "1.2.3.0",
      isDev: false,
      origin: "git",
      repositoryId: "R1",
      reference: first,
    });
    const tagMetadata = tag === undefined ? {} : metadataOf(tag);
    expect(tagMetadata).toMatchObject({
      name: PACKAGE,
      description: "A widget",
      version: "v1.2.3",
      version_normalized: "1.2.3.0",
      license: ["MIT"],
      source: { type: "git", url: remote.dir, reference: first },
      // The committer time, in UTC.
      time: "2026-01-01T00:03:00+00:00",
    });
    expect(remote.git("log", "-1", "--format=%cI", first)).toBe("2026-01-01T00:03:00+00:00");
    expect(tagMetadata).not.toHaveProperty("default-branch");
    expect(tagMetadata).not.toHaveProperty("dist");

    const dev = await server.catalog.versions(PACKAGE, true);
    expect(dev.map((version) => version.versionNormalized).sort()).toEqual(["dev-develop", "dev-main"]);
    const main = await server.version("dev-main");
    expect(main).toMatchObject({ version: "dev-main", isDev: true, reference: second });
    expect(metadataOf(main)).toMatchObject({
      "default-branch": true,
      extra: { "branch-alias": { "dev-main": "1.x-dev" } },
      source: { type: "git", url: remote.dir, reference: second },
    });
    const develop = await server.version("dev-develop");
    expect(develop.reference).toBe(second);
    expect(metadataOf(develop)).not.toHaveProperty("default-branch");
    expect(metadataOf(develop)).toHaveProperty(["extra", "branch-alias", "dev-main"], "1.x-dev");

    expect(await server.repositories.refs("R1")).toEqual([
      {
        ref: "refs/heads/develop",
        commit: second,
        packageName: PACKAGE,
        versionNormalized: "dev-develop",
        skipReason: null,
      },
      {
        ref: "refs/heads/main",
        commit: second,
        packageName: PACKAGE,
        versionNormalized: "dev-main",
        skipReason: null,
      },
      {
        ref: "refs/tags/v1.2.3",
        commit: first,
        packageName: PACKAGE,
        versionNormalized: "1.2.3.0",
        skipReason: null,
      },
    ]);
  });

  it("names numeric branches like Composer (1.x → 1.x-dev) and peels annotated tags", async () => {
    const commit = remote.commit({ "composer.json": composerJson() });
    remote.branch("1.x");
    remote.annotatedTag("2.0.0-beta1");
    await server.addRepository("R1", remote.dir);
    const result = await server.sync("R1");
    expect(result.details.skipped).toEqual([]);
    expect(await server.version("1.9999999.9999999.9999999-dev")).toMatchObject({
      version: "1.x-dev",
      isDev: true,
      reference: commit,
    });
    expect(await server.version("2.0.0.0-beta1")).toMatchObject({
      version: "2.0.0-beta1",
      isDev: false,
      reference: commit,
    });
  });

  it("processes nothing on a re-sync without changes", async () => {
    standardRemote();
    remote.commit({ "composer.json": "{ not json" });
    remote.branch("broken");
    remote.git("reset", "--quiet", "--hard", "HEAD~1");
    await server.addRepository("R1", remote.dir);
    const first = await server.sync("R1");
    expect(first.details.skipped.map((skip) => skip.ref)).toEqual(["refs/heads/broken"]);
    const revision = await server.catalog.revision();
    const mirror = server.mirror("R1");
    expect(mirror.archives).toHaveLength(3);

    const again = await server.sync("R1");
    expect(mirror.updates).toBe(1);
    expect(mirror.readFiles).toEqual([]);
    expect(mirror.archives).toEqual([]);
    expect(mirror.commitTimes).toEqual([]);
    expect(again.details).toEqual({
      added: [],
      updated: [],
      removed: [],
      // The skipped ref is reported again, from the stored reason.
      skipped: first.details.skipped,
      moved: [],
    });
    expect(await server.catalog.revision()).toEqual(revision);
  });

  it("processes only a new tag", async () => {
    standardRemote();
    await server.addRepository("R1", remote.dir);
    await server.sync("R1");
    const head = remote.revParse("main");
    remote.tag("v1.3.0", head);

    const result = await server.sync("R1");
    const mirror = server.mirror("R1");
    expect(result.details).toEqual({
      added: ["acme/widget v1.3.0"],
      updated: [],
      removed: [],
      skipped: [],
      moved: [],
    });
    expect(mirror.readFiles).toEqual([head]);
    expect(mirror.archives).toEqual([head]);
    expect((await server.version("1.3.0.0")).reference).toBe(head);
  });

  it("removes the version of a deleted tag and of a deleted branch", async () => {
    standardRemote();
    await server.addRepository("R1", remote.dir);
    await server.sync("R1");
    remote.deleteTag("v1.2.3");
    remote.deleteBranch("develop");

    const result = await server.sync("R1");
    expect(result.details.removed.toSorted()).toEqual(["acme/widget dev-develop", "acme/widget v1.2.3"]);
    expect(result.details.added).toEqual([]);
    expect(server.mirror("R1").archives).toEqual([]);
    expect(await server.catalog.findVersion(PACKAGE, "1.2.3.0")).toBeNull();
    expect(await server.catalog.findVersion(PACKAGE, "dev-develop")).toBeNull();
    expect((await server.repositories.refs("R1")).map((ref) => ref.ref)).toEqual(["refs/heads/main"]);
  });

  it("reports a moved tag and updates its version (reference and dist)", async () => {
    const { first } = standardRemote();
    await server.addRepository("R1", remote.dir);
    await server.sync("R1");
    const before = await server.version("1.2.3.0");

    remote.checkout("develop");
    const retagged = remote.commit({ "src/Widget.php": "<?php // retagged\n" });
    remote.checkout("main");
    remote.tag("v1.2.3", retagged);

    const result = await server.sync("R1");
    expect(result.details.moved).toEqual([{ ref: "refs/tags/v1.2.3", from: first, to: retagged }]);
    expect(result.details.updated).toContain("acme/widget v1.2.3");
    expect(result.details.added).toEqual([]);
    const after = await server.version("1.2.3.0");
    expect(after.id).toBe(before.id);
    expect(after.reference).toBe(retagged);
    expect(metadataOf(after)).toHaveProperty(["source", "reference"], retagged);
    expect(after.distSha1).not.toBe(before.distSha1);
    expect(after.distSha256).not.toBe(before.distSha256);
    const zip = remote.archiveZip(retagged);
    expect(after.distSha1).toBe(sha1(zip));
    expect(after.distSha256).toBe(sha256(zip));
    expect(server.mirror("R1").archives).toContain(retagged);
    expect(server.mirror("R1").archives).not.toContain(first);
  });

  it("skips refs it cannot use, with a reason, and goes on with the others", async () => {
    const good = remote.commit({ "composer.json": composerJson() });
    remote.tag("v1.0.0");
    remote.tag("not-a-version");
    remote.commitRemoving(["composer.json"]);
    remote.tag("v1.1.0");
    remote.commit({ "composer.json": "{ this is not json" });
    remote.tag("v1.2.0");
    remote.commit({ "composer.json": composerJson({ description: "x".repeat(5000) }) });
    remote.tag("v1.3.0");
    remote.commit({ "composer.json": { name: "Not A Valid Name" } });
    remote.tag("v1.4.0");
    remote.commit({ "composer.json": composerJson({ version: "1.4.9" }) });
    remote.tag("v1.5.0");
    const declared = remote.commit({ "composer.json": composerJson({ version: "1.6.0" }) });
    remote.tag("v1.6.0");
    await server.addRepository("R1", remote.dir);

    const result = await server.sync("R1");
    const reasons = new Map(result.details.skipped.map((skip) => [skip.ref, skip.reason]));
    expect([...reasons.keys()].sort()).toEqual([
      "refs/tags/not-a-version",
      "refs/tags/v1.1.0",
      "refs/tags/v1.2.0",
      "refs/tags/v1.3.0",
      "refs/tags/v1.4.0",
      "refs/tags/v1.5.0",
    ]);
    expect(reasons.get("refs/tags/not-a-version")).toBe('"not-a-version" is not a valid version tag name');
    expect(reasons.get("refs/tags/v1.1.0")).toBe("composer.json is missing");
    expect(reasons.get("refs/tags/v1.2.0")).toMatch(/not valid JSON/);
    expect(reasons.get("refs/tags/v1.3.0")).toMatch(/more than the limit of 4096 bytes/);
    expect(reasons.get("refs/tags/v1.4.0")).toMatch(/"name"/);
    expect(reasons.get("refs/tags/v1.5.0")).toBe(
      'tag v1.5.0 does not match the version "1.4.9" in composer.json',
    );

    expect(result.details.added.toSorted()).toEqual([
      "acme/widget dev-main",
      "acme/widget v1.0.0",
      "acme/widget v1.6.0",
    ]);
    expect((await server.version("1.0.0.0")).reference).toBe(good);
    expect((await server.version("1.6.0.0")).reference).toBe(declared);
    for (const version of ["1.1.0.0", "1.2.0.0", "1.3.0.0", "1.4.0.0", "1.5.0.0"]) {
      expect(await server.catalog.findVersion(PACKAGE, version)).toBeNull();
    }
    const refs = new Map((await server.repositories.refs("R1")).map((ref) => [ref.ref, ref]));
    expect(refs.get("refs/tags/v1.1.0")).toMatchObject({
      packageName: null,
      versionNormalized: null,
      skipReason: "composer.json is missing",
    });
    // The skipped refs were not archived.
    expect(server.mirror("R1").archives.sort()).toEqual([declared, declared, good].sort());
  });

  it("skips a ref whose archive is larger than the dist limit", async () => {
    const small = remote.commit({ "composer.json": composerJson() });
    remote.tag("v1.0.0");
    remote.commit({ "big.bin": randomBytes(64 * 1024).toString("base64") });
    remote.tag("v2.0.0");
    const limited = await openServer("limited", { maxComposerJsonBytes: 4096, maxDistBytes: 16 * 1024 });
    await limited.addRepository("R1", remote.dir);
    const result = await limited.sync("R1");
    expect(result.details.skipped.map((skip) => skip.ref).sort()).toEqual([
      "refs/heads/main",
      "refs/tags/v2.0.0",
    ]);
    expect(result.details.skipped[0]?.reason).toMatch(/larger than the limit of 16384 bytes/);
    expect((await limited.version("1.0.0.0")).reference).toBe(small);
  });

  it("removes the version of a ref that becomes unusable", async () => {
    standardRemote();
    await server.addRepository("R1", remote.dir);
    await server.sync("R1");
    remote.checkout("develop");
    remote.commit({ "composer.json": "[]" });
    remote.checkout("main");

    const result = await server.sync("R1");
    expect(result.details.removed).toEqual(["acme/widget dev-develop"]);
    expect(result.details.skipped).toEqual([
      { ref: "refs/heads/develop", reason: expect.stringMatching(/JSON object/) as unknown },
    ]);
    expect(await server.catalog.findVersion(PACKAGE, "dev-develop")).toBeNull();
  });

  it("moves a version when its ref now names another package", async () => {
    standardRemote();
    await server.addRepository("R1", remote.dir);
    await server.sync("R1");
    remote.checkout("develop");
    remote.commit({ "composer.json": composerJson({ name: "acme/renamed" }) });
    remote.checkout("main");

    const result = await server.sync("R1");
    expect(result.details.added).toEqual(["acme/renamed dev-develop"]);
    expect(result.details.removed).toEqual(["acme/widget dev-develop"]);
    expect(await server.catalog.findVersion(PACKAGE, "dev-develop")).toBeNull();
    expect((await server.version("dev-develop", "acme/renamed")).repositoryId).toBe("R1");
  });

  it("skips a version that another repository or an upload already provides", async () => {
    const firstCommit = remote.commit({ "composer.json": composerJson() });
    remote.tag("v1.0.0");
    const other = new GitFixture(path.join(root, "other"));
    other.commit({ "composer.json": composerJson({ description: "An impostor" }) });
    other.tag("v1.0.0");
    other.tag("v3.0.0");
    await server.catalog.saveVersion(
      {
        id: "UPLOAD",
        packageName: PACKAGE,
        version: "3.0.0",
        versionNormalized: "3.0.0.0",
        isDev: false,
        origin: "upload",
        repositoryId: null,
        reference: "f".repeat(40),
        metadata: "{}",
        distSha256: "1".repeat(64),
        distSha1: "f".repeat(40),
        distSize: 1,
      },
      server.clock.now().toISOString(),
    );
    await server.addRepository("R1", remote.dir);
    await server.addRepository("R2", other.dir);
    await server.sync("R1");

    const result = await server.sync("R2");
    const reasons = new Map(result.details.skipped.map((skip) => [skip.ref, skip.reason]));
    expect(reasons.get("refs/tags/v1.0.0")).toBe("acme/widget v1.0.0 is already provided by another source");
    expect(reasons.get("refs/tags/v3.0.0")).toBe("acme/widget v3.0.0 is already provided by another source");
    expect(reasons.get("refs/heads/main")).toBe("acme/widget dev-main is already provided by another source");
    expect(result.details.added).toEqual([]);
    expect(await server.version("1.0.0.0")).toMatchObject({ repositoryId: "R1", reference: firstCommit });
    expect(await server.version("3.0.0.0")).toMatchObject({ id: "UPLOAD", origin: "upload" });

    // Deleting the impostor's tag does not remove the version it never provided.
    other.deleteTag("v1.0.0");
    const again = await server.sync("R2");
    expect(again.details.removed).toEqual([]);
    expect(await server.version("1.0.0.0")).toMatchObject({ repositoryId: "R1" });
  });

  it("keeps the first of two tags that resolve to the same version, as Composer does", async () => {
    const first = remote.commit({ "composer.json": composerJson() });
    remote.tag("1.0.0");
    const second = remote.commit({ "composer.json": composerJson({ description: "Later" }) });
    remote.tag("v1.0.0");
    await server.addRepository("R1", remote.dir);

    const result = await server.sync("R1");
    expect(result.details.added).toEqual(["acme/widget dev-main", "acme/widget 1.0.0"]);
    expect(result.details.updated).toEqual([]);
    expect(result.details.skipped).toEqual([
      {
        ref: "refs/tags/v1.0.0",
        reason: "acme/widget v1.0.0 is already provided by refs/tags/1.0.0 (both are version 1.0.0.0)",
      },
    ]);
    expect(await server.version("1.0.0.0")).toMatchObject({ version: "1.0.0", reference: first });

    // Deleting the duplicate leaves the version alone.
    remote.deleteTag("v1.0.0");
    const afterDelete = await server.sync("R1");
    expect(afterDelete.details.removed).toEqual([]);
    expect(await server.version("1.0.0.0")).toMatchObject({ version: "1.0.0", reference: first });

    // A duplicate added later does not replace the version either.
    remote.tag("v1.0.0", second);
    const afterAdd = await server.sync("R1");
    expect(afterAdd.details.updated).toEqual([]);
    expect(afterAdd.details.skipped.map((skip) => skip.ref)).toEqual(["refs/tags/v1.0.0"]);
    expect(await server.version("1.0.0.0")).toMatchObject({ version: "1.0.0", reference: first });
  });

  it("hands a version over to the tag that replaces its duplicate in the same sync", async () => {
    remote.commit({ "composer.json": composerJson() });
    remote.tag("v1.0.0");
    const later = remote.commit({ "composer.json": composerJson({ description: "Later" }) });
    await server.addRepository("R1", remote.dir);
    await server.sync("R1");

    remote.deleteTag("v1.0.0");
    remote.tag("1.0.0", later);
    const result = await server.sync("R1");
    expect(result.details.skipped).toEqual([]);
    expect(result.details.removed).toEqual([]);
    expect(result.details.updated).toEqual(["acme/widget 1.0.0"]);
    expect(await server.version("1.0.0.0")).toMatchObject({ version: "1.0.0", reference: later });
    expect((await server.repositories.refs("R1")).map((ref) => ref.ref)).toEqual([
      "refs/heads/main",
      "refs/tags/1.0.0",
    ]);
  });

  it("moves the default-branch flag when the remote's default branch changes", async () => {
    standardRemote();
    remote.tag("v2.0.0");
    await server.addRepository("R1", remote.dir);
    await server.sync("R1");
    expect(metadataOf(await server.version("dev-main"))).toHaveProperty("default-branch", true);

    remote.setDefaultBranch("develop");
    const result = await server.sync("R1");
    expect(result.defaultBranch).toBe("develop");
    expect(result.details.updated.toSorted()).toEqual(["acme/widget dev-develop", "acme/widget dev-main"]);
    expect(result.details.added).toEqual([]);
    expect(metadataOf(await server.version("dev-main"))).not.toHaveProperty("default-branch");
    expect(metadataOf(await server.version("dev-develop"))).toHaveProperty("default-branch", true);
    // Tags are not reprocessed for a default-branch change.
    expect(server.mirror("R1").archives).toHaveLength(2);
    expect((await server.repositories.findById("R1"))?.defaultBranch).toBe("develop");

    // And once recorded, nothing is reprocessed.
    const again = await server.sync("R1");
    expect(again.details.updated).toEqual([]);
    expect(server.mirror("R1").archives).toEqual([]);
  });

  it("stores a deterministic dist, equal to git archive, under its SHA-256 with its SHA-1 recorded", async () => {
    const { first, second } = standardRemote();
    remote.commit({ "docs/readme.md": "# Widget\n", "src/Other.php": "<?php\n" });
    remote.tag("v1.3.0");
    const third = remote.revParse("v1.3.0");
    await server.addRepository("R1", remote.dir);
    await server.sync("R1");
    const twin = await openServer("twin");
    await twin.addRepository("R1", remote.dir);
    await twin.sync("R1");

    for (const [versionNormalized, commit] of [
      ["1.2.3.0", first],
      ["1.3.0.0", third],
      ["dev-develop", second],
      ["dev-main", third],
    ] as const) {
      const stored = await server.version(versionNormalized);
      const again = await twin.version(versionNormalized);
      expect(again.distSha1).toBe(stored.distSha1);
      expect(again.distSha256).toBe(stored.distSha256);
      expect(again.distSize).toBe(stored.distSize);

      const expected = remote.archiveZip(commit);
      const bytes = await server.blobBytes(stored.distSha256);
      expect(bytes.equals(expected)).toBe(true);
      expect(stored.distSha1).toBe(sha1(bytes));
      expect(stored.distSha256).toBe(sha256(bytes));
      expect(stored.distSize).toBe(bytes.length);
      expect(await server.blobs.head(stored.distSha256)).toEqual({
        sha256: stored.distSha256,
        size: bytes.length,
      });
      const file = path.join(
        server.dataDir,
        "dists",
        stored.distSha256.slice(0, 2),
        stored.distSha256.slice(2, 4),
        stored.distSha256,
      );
      expect(fs.existsSync(file)).toBe(true);
    }
    // dev-main and v1.3.0 point at the same commit: one blob.
    expect((await server.version("dev-main")).distSha256).toBe((await server.version("1.3.0.0")).distSha256);
  });
});
