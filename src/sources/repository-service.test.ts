import { randomBytes } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ZodError } from "zod";
import { GitFixture } from "../../test/builders/git-fixture.ts";
import { createTestDatabase } from "../../test/support/test-databases.ts";
import { SecretBox } from "../access/secret-box.ts";
import { ManualClock } from "../clock/clock.ts";
import { FsBlobStore } from "../storage/blobs/fs-blob-store.ts";
import { CatalogRecords } from "../storage/database/catalog-records.ts";
import type { DatabaseHandle } from "../storage/database/database-handle.ts";
import type { RepositoryRecord } from "../storage/database/repository-records.ts";
import { RepositoryRecords } from "../storage/database/repository-records.ts";
import { SyncRunRecords } from "../storage/database/sync-run-records.ts";
import { GitCliMirror } from "./git/git-cli-mirror.ts";
import type { GitCredentials } from "./git/git-credentials.ts";
import type { GitMirror, GitRef } from "./git/git-mirror.ts";
import type { AddRepositoryInput } from "./repository-input.ts";
import { RepositoryService, type RepositoryServiceDeps } from "./repository-service.ts";
import { domainErrorOf } from "../../test/support/domain-error-of.ts";

const LEASE_MS = 10 * 60 * 1000;
const PUBLIC_ADDRESS = "93.184.216.34";

/** A mirror whose update waits until the test opens the gate: a sync that is still running. */
class GatedMirror implements GitMirror {
  readonly inner: GitMirror;
  readonly reached: Promise<void>;
  #reached: () => void = () => undefined;
  #open: () => void = () => undefined;
  readonly #gate: Promise<void>;

  constructor(inner: GitMirror) {
    this.inner = inner;
    this.reached = new Promise((resolve) => {
      this.#reached = resolve;
    });
    this.#gate = new Promise((resolve) => {
      this.#open = resolve;
    });
  }

  open(): void {
    this.#open();
  }

  async update(signal?: AbortSignal): Promise<void> {
    await this.pass();
    await this.inner.update(signal);
  }

  /** Says the gate was reached, and waits until it opens. */
  protected async pass(): Promise<void> {
    this.#reached();
    await this.#gate;
  }

  listRefs(): Promise<GitRef[]> {
    return this.inner.listRefs();
  }

  defaultBranch(): Promise<string | null> {
    return this.inner.defaultBranch();
  }

  readFile(commit: string, filePath: string, maxBytes: number): Promise<Buffer | null> {
    return this.inner.readFile(commit, filePath, maxBytes);
  }

  commitTime(commit: string): Promise<Date> {
    return this.inner.commitTime(commit);
  }

  archive(commit: string, maxBytes: number): Promise<Buffer> {
    return this.inner.archive(commit, maxBytes);
  }
}

interface Options {
  allowPrivateSources?: boolean;
  resolveHost?: (host: string) => Promise<string[]>;
  /** Replaces (or wraps) the mirror the service opens. */
  wrapMirror?: (mirror: GitMirror, repository: RepositoryRecord) => GitMirror;
  syncProgressIntervalMs?: number;
}

/** A mirror whose first archive waits until the test opens the gate: a sync busy reading its refs. */
class ArchiveGatedMirror extends GatedMirror {
  #gated = true;

  override async update(signal?: AbortSignal): Promise<void> {
    await this.inner.update(signal);
  }

  override async archive(commit: string, maxBytes: number): Promise<Buffer> {
    if (this.#gated) {
      this.#gated = false;
      await this.pass();
    }
    return this.inner.archive(commit, maxBytes);
  }
}

describe("RepositoryService (SQLite, real git)", () => {
  let root: string;
  let handle: DatabaseHandle;
  let clock: ManualClock;
  let secrets: SecretBox;
  let opened: { repository: RepositoryRecord; credentials: GitCredentials | undefined }[];

  beforeEach(async () => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), "pb-repos-"));
    handle = await createTestDatabase("sqlite");
    clock = new ManualClock("2026-03-01T08:00:00.000Z");
    secrets = new SecretBox(randomBytes(32));
    opened = [];
  });

  afterEach(async () => {
    await handle.close();
    fs.rmSync(root, { recursive: true, force: true });
  });

  const mirrorDirectory = (repository: RepositoryRecord): string =>
    path.join(root, "data", "git", `${repository.id}.git`);

  function service(options: Options = {}): RepositoryService {
    const deps: RepositoryServiceDeps = {
      repositories: new RepositoryRecords(handle.db),
      syncRuns: new SyncRunRecords(handle.db),
      catalog: new CatalogRecords(handle.db),
      blobs: new FsBlobStore({ directory: path.join(root, "data", "dists") }),
      clock,
      secrets,
      limits: { maxComposerJsonBytes: 64 * 1024, maxDistBytes: 1024 * 1024 },
      allowPrivateSources: options.allowPrivateSources ?? false,
      resolveHost: options.resolveHost ?? (() => Promise.resolve([PUBLIC_ADDRESS])),
      syncLeaseMs: LEASE_MS,
      ...(options.syncProgressIntervalMs === undefined
        ? {}
        : { syncProgressIntervalMs: options.syncProgressIntervalMs }),
      openMirror: (repository, credentials) => {
        opened.push({ repository, credentials });
        const mirror = new GitCliMirror({
          url: repository.url,
          directory: mirrorDirectory(repository),
          allowFileProtocol: options.allowPrivateSources ?? false,
          timeoutMs: 60_000,
          ...(credentials === undefined ? {} : { credentials }),
        });
        return options.wrapMirror?.(mirror, repository) ?? mirror;
      },
      removeMirror: (repository) =>
        fs.promises.rm(mirrorDirectory(repository), { recursive: true, force: true }),
    };
    return new RepositoryService(deps);
  }

  function widgetRemote(name = "widget"): GitFixture {
    const remote = new GitFixture(path.join(root, "remotes", name));
    remote.commit({ "composer.json": { name: `acme/${name}`, license: "MIT" } });
    remote.tag("v1.0.0");
    remote.commit({ "composer.json": { name: `acme/${name}`, license: "MIT", description: "two" } });
    remote.tag("v1.1.0");
    return remote;
  }

  describe("add", () => {
    it.each([
      ["a relative path", "relative/path/repo.git", /must be https/],
      ["a parent-relative path", "../repo", /must be https/],
      ["a transport helper", "ext::sh -c touch% /tmp/pwned", /transport helpers/],
      ["an fd:: transport", "fd::17", /transport helpers/],
      ["an option", "-oProxyCommand=touch /tmp/pwned", /must not start with '-'/],
      ["an ssh option as host", "ssh://-oProxyCommand=touch/x", /must not start with '-'/],
      ["an unsupported scheme", "ftp://git.example.com/x.git", /not supported/],
      ["a control character", "https://git.example.com/x.git\n", /control characters/],
    ])("refuses %s", async (_what, url, message) => {
      const repositories = service();
      const error = await domainErrorOf(repositories.add({ url }));
      expect(error.kind).toBe("invalid");
      expect(error.code).toBe("InvalidRepositoryUrl");
      expect(error.message).toMatch(message);
      expect(await repositories.list()).toEqual([]);
    });

    it.each([
      "https://deploy:s3cr3t-Passw0rd@git.example.com/acme/widget.git",
      "https://ghp_abcdefghijklmnopqrstuvwxyz0123@git.example.com/acme/widget.git",
      "http://user:pass@git.example.com/acme/widget.git",
    ])("refuses credentials embedded in %s, without echoing them", async (url) => {
      const repositories = service();
      const error = await domainErrorOf(repositories.add({ url }));
      expect(error.code).toBe("CredentialsInUrl");
      expect(error.message).toMatch(/must not contain credentials/);
      expect(error.message).not.toMatch(/s3cr3t|ghp_|user:pass|@/);
      expect(await repositories.list()).toEqual([]);
    });

    it.each([
      ["10.0.0.1", "https://git.internal.example/acme/widget.git"],
      ["127.0.0.1", "https://git.internal.example/acme/widget.git"],
      ["10.0.0.1", "git@git.internal.example:acme/widget.git"],
    ])("refuses a host that resolves to %s", async (address, url) => {
      const resolved: string[] = [];
      const repositories = service({
        resolveHost: (host) => {
          resolved.push(host);
          return Promise.resolve([address]);
        },
      });
      const error = await domainErrorOf(repositories.add({ url }));
      expect(error.code).toBe("PrivateSourceRefused");
      expect(error.message).toContain(address);
      expect(error.message).toMatch(/PB_ALLOW_PRIVATE_SOURCES=true/);
      expect(resolved).toEqual(["git.internal.example"]);
      expect(await repositories.list()).toEqual([]);
    });

    it.each([
      "https://127.0.0.1/acme/widget.git",
      "https://localhost/acme/widget.git",
      "https://[::1]/acme/widget.git",
      "https://2130706433/acme/widget.git",
    ])("refuses the private address %s", async (url) => {
      const error = await domainErrorOf(service().add({ url }));
      expect(error.code).toBe("PrivateSourceRefused");
    });

    it("checks the address again at every sync: a host that now resolves inside the network fails the sync", async () => {
      let address = PUBLIC_ADDRESS;
      const repositories = service({ resolveHost: () => Promise.resolve([address]) });
      const added = await repositories.add({ url: "https://git.rebinding.example/acme/widget.git" });
      address = "10.0.0.7";
      const run = await repositories.sync(added.id);
      expect(run.status).toBe("failed");
      expect(run.error).toContain("10.0.0.7");
      expect(opened).toEqual([]);
      expect((await repositories.get(added.id)).status).toBe("error");
    });

    it("refuses a host that does not resolve", async () => {
      const repositories = service({ resolveHost: () => Promise.reject(new Error("ENOTFOUND")) });
      const error = await domainErrorOf(repositories.add({ url: "https://nowhere.example/x.git" }));
      expect(error.code).toBe("RepositoryHostNotFound");
    });

    it("refuses local paths and file:// URLs unless private sources are allowed", async () => {
      const remote = widgetRemote();
      const strict = service();
      const pathError = await domainErrorOf(strict.add({ url: remote.dir }));
      expect(pathError.code).toBe("PrivateSourceRefused");
      expect(pathError.message).toMatch(/local paths are not allowed/);
      const fileError = await domainErrorOf(strict.add({ url: `file://${remote.dir}` }));
      expect(fileError.code).toBe("PrivateSourceRefused");
      expect(fileError.message).toMatch(/file:\/\/ URLs are not allowed/);

      const lenient = service({ allowPrivateSources: true });
      expect((await lenient.add({ url: remote.dir })).url).toBe(remote.dir);
      expect((await lenient.add({ url: `file://${remote.dir}`, name: "by-file-url" })).name).toBe(
        "by-file-url",
      );
    });

    it("accepts a public https URL and names the repository after it", async () => {
      const repositories = service();
      const added = await repositories.add({ url: "https://git.example.com/acme/widget.git" });
      expect(added).toEqual({
        id: expect.stringMatching(/^[0-9A-Z]{26}$/) as unknown,
        name: "widget",
        type: "git",
        url: "https://git.example.com/acme/widget.git",
        hasCredentials: false,
        packagePatterns: [],
        eagerPackages: [],
        status: "new",
        defaultBranch: null,
        lastError: null,
        lastSyncedAt: null,
        createdAt: "2026-03-01T08:00:00.000Z",
      });
      expect(await repositories.get(added.id)).toEqual(added);
      expect(await repositories.get("widget")).toEqual(added);
    });

    it.each([
      ["git@github.com:acme/tool.git", "tool"],
      ["ssh://git@github.com/acme/tool-kit.git/", "tool-kit"],
      ["https://git.example.com/acme/some%20lib", "some-20lib"],
      ["https://git.example.com/acme/_under.score.git", "under.score"],
    ])("names %s %s by default", async (url, name) => {
      expect((await service().add({ url })).name).toBe(name);
    });

    it("names a local path after its last folder", async () => {
      const remote = widgetRemote("my widget");
      const added = await service({ allowPrivateSources: true }).add({ url: `${remote.dir}/` });
      expect(added.name).toBe("my-widget");
    });

    it("refuses a second repository with the same name as a conflict", async () => {
      const repositories = service();
      await repositories.add({ url: "https://git.example.com/acme/widget.git" });
      const error = await domainErrorOf(
        repositories.add({ url: "https://other.example.com/team/widget.git" }),
      );
      expect(error.kind).toBe("conflict");
      expect(error.code).toBe("RepositoryNameTaken");
      expect(error.message).toBe('a repository named "widget" already exists');
      const named = await repositories.add({
        url: "https://other.example.com/team/widget.git",
        name: "widget-2",
      });
      expect(named.name).toBe("widget-2");
      expect((await repositories.list()).map((repository) => repository.name)).toEqual([
        "widget",
        "widget-2",
      ]);
    });

    it.each<[string, AddRepositoryInput]>([
      ["an invalid name", { url: "https://git.example.com/x.git", name: "../evil" }],
      ["an unknown key", { url: "https://git.example.com/x.git", extra: true } as AddRepositoryInput],
      [
        "another type",
        { url: "https://git.example.com/x.git", type: "svn" } as unknown as AddRepositoryInput,
      ],
      ["an empty URL", { url: "" }],
    ])("refuses %s as invalid input", async (_what, input) => {
      await expect(service().add(input)).rejects.toBeInstanceOf(ZodError);
    });

    it("stores credentials sealed and never returns them", async () => {
      const repositories = service();
      const password = "s3cr3t-Passw0rd-!";
      const added = await repositories.add({
        url: "https://git.example.com/acme/private.git",
        credentials: { username: "deploy-bot", password },
      });
      expect(added.hasCredentials).toBe(true);

      const row = await handle.db
        .selectFrom("repositories")
        .select("credentials")
        .where("id", "=", added.id)
        .executeTakeFirstOrThrow();
      expect(row.credentials).toMatch(/^v1\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/);
      expect(row.credentials).not.toContain(password);
      expect(row.credentials).not.toContain("deploy-bot");
      expect(row.credentials).not.toContain(Buffer.from(password).toString("base64"));
      expect(JSON.parse(secrets.open(row.credentials ?? ""))).toEqual({
        kind: "https",
        username: "deploy-bot",
        password,
      });

      for (const shown of [added, await repositories.get(added.id), ...(await repositories.list())]) {
        expect(shown).not.toHaveProperty("credentials");
        expect(JSON.stringify(shown)).not.toContain(password);
        expect(JSON.stringify(shown)).not.toContain("v1.");
      }
    });

    it("refuses credentials of the wrong shape", async () => {
      await expect(
        service().add({
          url: "https://git.example.com/acme/private.git",
          credentials: { username: "deploy" },
        }),
      ).rejects.toBeInstanceOf(ZodError);
    });
  });

  describe("get and remove", () => {
    it("reports an unknown repository as not found", async () => {
      const repositories = service();
      const error = await domainErrorOf(repositories.get("nope"));
      expect(error.kind).toBe("not-found");
      expect(error.code).toBe("RepositoryNotFound");
      expect((await domainErrorOf(repositories.remove("nope"))).code).toBe("RepositoryNotFound");
      expect((await domainErrorOf(repositories.sync("nope"))).code).toBe("RepositoryNotFound");
    });

    it("removes a repository with the versions it provided and its mirror, leaving the others", async () => {
      const repositories = service({ allowPrivateSources: true });
      const widget = await repositories.add({ url: widgetRemote("widget").dir });
      const gadget = await repositories.add({ url: widgetRemote("gadget").dir });
      await repositories.sync(widget.id);
      await repositories.sync(gadget.id);
      const catalog = new CatalogRecords(handle.db);
      expect(await catalog.packageNames()).toEqual(["acme/gadget", "acme/widget"]);
      const widgetMirror = path.join(root, "data", "git", `${widget.id}.git`);
      expect(fs.existsSync(widgetMirror)).toBe(true);
      const revision = (await catalog.revision()).revision;

      expect(await repositories.remove("widget")).toEqual({ removedVersions: 3 });
      expect(await catalog.packageNames()).toEqual(["acme/gadget"]);
      expect(await catalog.versionsOfRepository(widget.id)).toEqual([]);
      expect((await catalog.revision()).revision).toBe(revision + 3);
      expect(fs.existsSync(widgetMirror)).toBe(false);
      expect((await domainErrorOf(repositories.get(widget.id))).code).toBe("RepositoryNotFound");
      expect(await new RepositoryRecords(handle.db).refs(widget.id)).toEqual([]);
      expect(await new SyncRunRecords(handle.db).latest(widget.id, 10)).toEqual([]);

      expect(await catalog.versionsOfRepository(gadget.id)).toHaveLength(3);
      expect((await repositories.list()).map((repository) => repository.name)).toEqual(["gadget"]);
    });
  });

  describe("sync", () => {
    it("records a succeeded run with its counts and marks the repository ok", async () => {
      const repositories = service({ allowPrivateSources: true });
      const remote = widgetRemote();
      remote.tag("junk-tag");
      const added = await repositories.add({ url: remote.dir });
      clock.advance(1000);

      const run = await repositories.sync(added.name);
      expect(run).toMatchObject({
        repositoryId: added.id,
        status: "succeeded",
        startedAt: "2026-03-01T08:00:01.000Z",
        finishedAt: "2026-03-01T08:00:01.000Z",
        error: null,
      });
      expect(run.details.added.toSorted()).toEqual([
        "acme/widget dev-main",
        "acme/widget v1.0.0",
        "acme/widget v1.1.0",
      ]);
      expect(run.details.skipped).toEqual([
        { ref: "refs/tags/junk-tag", reason: '"junk-tag" is not a valid version tag name' },
      ]);
      const counts = await handle.db
        .selectFrom("sync_runs")
        .select(["versions_added", "versions_removed", "refs_skipped"])
        .where("id", "=", run.id)
        .executeTakeFirstOrThrow();
      expect(counts).toEqual({ versions_added: 3, versions_removed: 0, refs_skipped: 1 });
      expect(await repositories.get(added.id)).toMatchObject({
        status: "ok",
        lastError: null,
        defaultBranch: "main",
        lastSyncedAt: "2026-03-01T08:00:01.000Z",
      });
      expect(opened).toHaveLength(1);
      expect(opened[0]?.credentials).toBeUndefined();

      remote.deleteTag("v1.0.0");
      clock.advance(1000);
      const second = await repositories.sync(added.id);
      expect(second.details.removed).toEqual(["acme/widget v1.0.0"]);
      expect((await repositories.syncRuns(added.name)).map((r) => r.id)).toEqual([second.id, run.id]);
      expect((await repositories.syncRuns(added.name, 1)).map((r) => r.id)).toEqual([second.id]);
    });

    it("shows where a running sync is in its run (fetching, then refs done of total), and nothing once it ended", async () => {
      const gates: GatedMirror[] = [];
      const repositories = service({
        allowPrivateSources: true,
        syncProgressIntervalMs: 0,
        wrapMirror: (mirror) => {
          const gated = gates.length === 0 ? new GatedMirror(mirror) : new ArchiveGatedMirror(mirror);
          gates.push(gated);
          return gated;
        },
      });
      const remote = widgetRemote();
      const added = await repositories.add({ url: remote.dir });
      const progressOf = async () => (await repositories.syncRuns(added.id))[0]?.progress;

      const first = repositories.sync(added.id);
      await waitFor(() => gates[0]);
      await gates[0]?.reached;
      await expect.poll(progressOf).toEqual({ phase: "fetching" });
      gates[0]?.open();
      const finished = await first;
      expect(finished.progress).toBeNull();
      expect((await repositories.syncRuns(added.id))[0]).toMatchObject({
        status: "succeeded",
        progress: null,
      });

      // The second sync stops in the middle of its refs: a moved branch needs a new archive.
      remote.commit({ "composer.json": { name: "acme/widget", license: "MIT", description: "three" } });
      const second = repositories.sync(added.id);
      await waitFor(() => gates[1]);
      await gates[1]?.reached;
      await expect
        .poll(progressOf)
        .toEqual({ phase: "refs", done: expect.any(Number) as number, total: 3, ref: "main" });
      gates[1]?.open();
      expect(await second).toMatchObject({ status: "succeeded", progress: null });
    });

    it("opens the mirror with the stored credentials, decrypted", async () => {
      const repositories = service({
        wrapMirror: () => {
          throw new Error("no network in this test");
        },
      });
      const added = await repositories.add({
        url: "https://git.example.com/acme/private.git",
        credentials: { username: "deploy", password: "hunter2-hunter2" },
      });
      await expect(repositories.sync(added.id)).rejects.toThrow("no network in this test");
      expect(opened.map((entry) => entry.credentials)).toEqual([
        { kind: "https", username: "deploy", password: "hunter2-hunter2" },
      ]);
    });

    it("refuses a second concurrent sync of the same repository with SyncInProgress", async () => {
      const gates: GatedMirror[] = [];
      const repositories = service({
        allowPrivateSources: true,
        wrapMirror: (mirror) => {
          const gated = new GatedMirror(mirror);
          gates.push(gated);
          return gated;
        },
      });
      const added = await repositories.add({ url: widgetRemote().dir });
      const first = repositories.sync(added.id);
      await waitFor(() => gates[0]);
      await gates[0]?.reached;
      expect((await repositories.get(added.id)).status).toBe("syncing");

      const error = await domainErrorOf(repositories.sync(added.id));
      expect(error.kind).toBe("conflict");
      expect(error.code).toBe("SyncInProgress");
      expect(error.message).toBe(`a sync of "${added.name}" is already running`);
      // The refused sync left no run behind.
      expect(await repositories.syncRuns(added.id)).toHaveLength(1);

      gates[0]?.open();
      expect((await first).status).toBe("succeeded");
      expect((await repositories.get(added.id)).status).toBe("ok");

      // The lease is released: the next sync runs.
      const next = repositories.sync(added.id);
      await waitFor(() => gates[1]);
      gates[1]?.open();
      expect((await next).status).toBe("succeeded");
    });

    it("lets a sync take over once the lease of a stuck sync has run out", async () => {
      const gates: GatedMirror[] = [];
      const repositories = service({
        allowPrivateSources: true,
        wrapMirror: (mirror) => {
          const gated = new GatedMirror(mirror);
          gates.push(gated);
          return gated;
        },
      });
      const added = await repositories.add({ url: widgetRemote().dir });
      const stuck = repositories.sync(added.id);
      await waitFor(() => gates[0]);
      await gates[0]?.reached;

      clock.advance(LEASE_MS - 1);
      expect((await domainErrorOf(repositories.sync(added.id))).code).toBe("SyncInProgress");
      clock.advance(2);
      const takeover = repositories.sync(added.id);
      await waitFor(() => gates[1]);
      await gates[1]?.reached;
      // The run whose lease ran out is marked interrupted (its process may have died).
      const during = await repositories.syncRuns(added.id);
      expect(during.map((run) => run.status)).toEqual(["running", "interrupted"]);
      expect(during[1]?.error).toContain("stopped before it finished");

      // The stuck sync ends while the new one runs: it must not free the new one's lease.
      gates[0]?.open();
      expect((await stuck).status).toBe("succeeded");
      expect((await repositories.get(added.id)).status).toBe("syncing");
      expect((await domainErrorOf(repositories.sync(added.id))).code).toBe("SyncInProgress");

      gates[1]?.open();
      expect((await takeover).status).toBe("succeeded");
      expect((await repositories.get(added.id)).status).toBe("ok");
    });

    it("marks the repository as failing when the remote does not exist, without throwing", async () => {
      const repositories = service({ allowPrivateSources: true });
      const added = await repositories.add({ url: path.join(root, "remotes", "does-not-exist") });
      const run = await repositories.sync(added.id);
      expect(run.status).toBe("failed");
      expect(run.error).toMatch(/^git ls-remote: the repository was not found/);
      expect(run.details).toEqual({ added: [], updated: [], removed: [], skipped: [], moved: [] });
      expect(run.finishedAt).not.toBeNull();
      const repository = await repositories.get(added.id);
      expect(repository.status).toBe("error");
      expect(repository.lastError).toBe(run.error);
      expect(repository.defaultBranch).toBeNull();

      // The lease was released: a later sync (once the remote exists) succeeds and clears the error.
      const remote = new GitFixture(path.join(root, "remotes", "does-not-exist"));
      remote.commit({ "composer.json": { name: "acme/late" } });
      clock.advance(1000);
      const retry = await repositories.sync(added.id);
      expect(retry.status).toBe("succeeded");
      expect(await repositories.get(added.id)).toMatchObject({ status: "ok", lastError: null });
    });

    it("fails the run, without throwing, when the stored credentials cannot be decrypted", async () => {
      const repositories = service();
      const added = await repositories.add({
        url: "https://git.example.com/acme/private.git",
        credentials: { username: "deploy", password: "hunter2-hunter2" },
      });
      // The secret key changed since the credentials were sealed.
      secrets = new SecretBox(randomBytes(32));
      const run = await service().sync(added.id);
      expect(run.status).toBe("failed");
      expect(run.error).toMatch(/^a stored secret cannot be decrypted/);
      expect(opened).toEqual([]);
      expect(await repositories.get(added.id)).toMatchObject({ status: "error", lastError: run.error });
    });

    it("records an unexpected failure as an internal error, and rethrows it", async () => {
      const repositories = service({
        allowPrivateSources: true,
        wrapMirror: (mirror) => ({
          ...bind(mirror),
          update: () => Promise.reject(new TypeError("boom: a bug")),
        }),
      });
      const added = await repositories.add({ url: widgetRemote().dir });
      await expect(repositories.sync(added.id)).rejects.toThrow("boom: a bug");
      const [run] = await repositories.syncRuns(added.id);
      expect(run).toMatchObject({ status: "failed", error: "internal error during sync" });
      expect(await repositories.get(added.id)).toMatchObject({
        status: "error",
        lastError: "internal error during sync",
      });
    });
  });
});

/** The methods of a mirror, bound, so that an object spread keeps them working. */
function bind(mirror: GitMirror): GitMirror {
  return {
    update: (signal) => mirror.update(signal),
    listRefs: () => mirror.listRefs(),
    defaultBranch: () => mirror.defaultBranch(),
    readFile: (commit, filePath, maxBytes) => mirror.readFile(commit, filePath, maxBytes),
    commitTime: (commit) => mirror.commitTime(commit),
    archive: (commit, maxBytes) => mirror.archive(commit, maxBytes),
  };
}

/** Polls until `read` returns something (the service opens its mirror after a few awaits). */
async function waitFor<T>(read: () => T | undefined): Promise<T> {
  for (let attempt = 0; attempt < 500; attempt += 1) {
    const value = read();
    if (value !== undefined) return value;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  throw new Error("timed out waiting");
}
