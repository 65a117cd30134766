import { execFileSync, spawn } from "node:child_process";
import { createHash } from "node:crypto";
import fs from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { DomainError } from "../../errors/domain-error.ts";
import { GitCliMirror, parseRemoteHead, scrub, type GitCliMirrorOptions } from "./git-cli-mirror.ts";
import type { GitCredentials } from "./git-credentials.ts";

/** An environment for the fixture's own git commands: none of the developer's configuration. */
const fixtureEnv: Record<string, string> = {
  PATH: process.env.PATH ?? "/usr/bin:/bin",
  HOME: os.tmpdir(),
  LC_ALL: "C",
  GIT_CONFIG_NOSYSTEM: "1",
  GIT_CONFIG_GLOBAL: "/dev/null",
  GIT_AUTHOR_NAME: "Test Author",
  GIT_AUTHOR_EMAIL: "author@example.test",
  GIT_COMMITTER_NAME: "Test Committer",
  GIT_COMMITTER_EMAIL: "committer@example.test",
};

let clock = Date.parse("2024-03-01T10:00:00Z") / 1000;

function git(cwd: string, ...args: string[]): string {
  clock += 60;
  return execFileSync("git", args, {
    cwd,
    env: { ...fixtureEnv, GIT_AUTHOR_DATE: `@${clock} +0100`, GIT_COMMITTER_DATE: `@${clock} +0100` },
    stdio: ["ignore", "pipe", "pipe"],
  })
    .toString("utf8")
    .trim();
}

/** A working repository that plays the remote. */
class Remote {
  readonly directory: string;

  constructor(directory: string) {
    this.directory = directory;
    fs.mkdirSync(directory, { recursive: true });
    git(directory, "init", "--quiet", "--initial-branch=main");
  }

  commit(files: Record<string, string | Buffer>, message = "change"): string {
    for (const [name, content] of Object.entries(files)) {
      const file = path.join(this.directory, name);
      fs.mkdirSync(path.dirname(file), { recursive: true });
      fs.writeFileSync(file, content);
    }
    git(this.directory, "add", "--all");
    git(this.directory, "commit", "--quiet", "--allow-empty", "-m", message);
    return this.head();
  }

  head(): string {
    return git(this.directory, "rev-parse", "HEAD");
  }

  lastCommitTime(): Date {
    return new Date(Number(git(this.directory, "log", "-1", "--format=%ct")) * 1000);
  }

  git(...args: string[]): string {
    return git(this.directory, ...args);
  }
}

function composerJson(version?: string): string {
  return `${JSON.stringify({ name: "acme/widget", ...(version === undefined ? {} : { version }) }, null, 2)}\n`;
}

async function failure(promise: Promise<unknown>): Promise<DomainError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof DomainError) return error;
    throw error;
  }
  throw new Error("expected a DomainError");
}

/** The names of the entries of a zip, from its central directory. */
function zipEntries(zip: Buffer): string[] {
  const end = zip.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  const count = zip.readUInt16LE(end + 10);
  let offset = zip.readUInt32LE(end + 16);
  const names: string[] = [];
  for (let index = 0; index < count; index += 1) {
    const nameLength = zip.readUInt16LE(offset + 28);
    const extraLength = zip.readUInt16LE(offset + 30);
    const commentLength = zip.readUInt16LE(offset + 32);
    names.push(zip.subarray(offset + 46, offset + 46 + nameLength).toString("utf8"));
    offset += 46 + nameLength + extraLength + commentLength;
  }
  return names.sort();
}

let root: string;
let remote: Remote;

beforeEach(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), "package-broker-git-"));
  remote = new Remote(path.join(root, "remote"));
});

afterEach(() => {
  fs.rmSync(root, { recursive: true, force: true });
});

function mirrorOf(url: string, options: Partial<GitCliMirrorOptions> = {}): GitCliMirror {
  return new GitCliMirror({
    url,
    directory: path.join(root, "data", "mirrors", "repo.git"),
    allowFileProtocol: true,
    knownHostsFile: path.join(root, "data", "known_hosts"),
    ...options,
  });
}

describe("GitCliMirror on a local remote", () => {
  it("mirrors branches and tags, peeling annotated tags to commits", async () => {
    const first = remote.commit({ "composer.json": composerJson() }, "first");
    remote.git("tag", "v1.0.0");
    const second = remote.commit({ "README.md": "hello\n" }, "second");
    remote.git("tag", "-a", "-m", "annotated", "v1.1.0");
    remote.git("tag", "-a", "-m", "tag of a tag", "v1.1.0-nested", "v1.1.0");
    remote.git("branch", "develop", first);
    const tree = remote.git("rev-parse", "HEAD^{tree}");
    remote.git("tag", "tree-tag", tree);

    const mirror = mirrorOf(remote.directory);
    expect(await mirror.listRefs()).toEqual([]);
    expect(await mirror.defaultBranch()).toBeNull();
    await mirror.update();

    expect(await mirror.listRefs()).toEqual([
      { name: "refs/heads/develop", kind: "branch", shortName: "develop", commit: first },
      { name: "refs/heads/main", kind: "branch", shortName: "main", commit: second },
      { name: "refs/tags/v1.0.0", kind: "tag", shortName: "v1.0.0", commit: first },
      { name: "refs/tags/v1.1.0", kind: "tag", shortName: "v1.1.0", commit: second },
      { name: "refs/tags/v1.1.0-nested", kind: "tag", shortName: "v1.1.0-nested", commit: second },
    ]);
    expect(await mirror.defaultBranch()).toBe("main");
    // A bare mirror, no working tree, no remote configured (the URL is not stored).
    const directory = path.join(root, "data", "mirrors", "repo.git");
    expect(fs.existsSync(path.join(directory, "HEAD"))).toBe(true);
    expect(fs.readFileSync(path.join(directory, "config"), "utf8")).not.toContain(remote.directory);
  });

  it("follows moved tags (lightweight and annotated), new and deleted refs on later updates", async () => {
    const first = remote.commit({ "composer.json": composerJson() }, "first");
    remote.git("tag", "v1.0.0");
    remote.git("tag", "-a", "-m", "annotated", "v2.0.0");
    remote.git("tag", "gone");
    remote.git("branch", "feature");
    const mirror = mirrorOf(remote.directory);
    await mirror.update();

    const second = remote.commit({ "composer.json": composerJson("1.0.0") }, "second");
    remote.git("tag", "--force", "v1.0.0");
    remote.git("tag", "--force", "-a", "-m", "moved", "v2.0.0");
    remote.git("tag", "--delete", "gone");
    remote.git("branch", "--delete", "--force", "feature");
    remote.git("tag", "v3.0.0");
    await mirror.update();

    const refs = Object.fromEntries((await mirror.listRefs()).map((ref) => [ref.name, ref.commit]));
    expect(refs).toEqual({
      "refs/heads/main": second,
      "refs/tags/v1.0.0": second,
      "refs/tags/v2.0.0": second,
      "refs/tags/v3.0.0": second,
    });
    expect(first).not.toBe(second);
    // A tag moved back to an older commit (a non-fast-forward) is followed too.
    remote.git("tag", "--force", "v3.0.0", first);
    await mirror.update();
    expect((await mirror.listRefs()).find((ref) => ref.shortName === "v3.0.0")?.commit).toBe(first);
  });

  it("follows a force-pushed (rewritten) branch", async () => {
    remote.commit({ "composer.json": composerJson() }, "first");
    const mirror = mirrorOf(remote.directory);
    remote.commit({ "a.txt": "a" }, "second");
    await mirror.update();
    remote.git("reset", "--hard", "--quiet", "HEAD~1");
    const rewritten = remote.commit({ "b.txt": "b" }, "rewritten");
    await mirror.update();
    expect((await mirror.listRefs()).find((ref) => ref.shortName === "main")?.commit).toBe(rewritten);
  });

  it("picks up a changed default branch on a later update", async () => {
    remote.commit({ "composer.json": composerJson() });
    remote.git("branch", "develop");
    const mirror = mirrorOf(remote.directory);
    await mirror.update();
    expect(await mirror.defaultBranch()).toBe("main");

    remote.git("symbolic-ref", "HEAD", "refs/heads/develop");
    await mirror.update();
    expect(await mirror.defaultBranch()).toBe("develop");

    remote.git("branch", "-m", "develop", "trunk");
    await mirror.update();
    expect(await mirror.defaultBranch()).toBe("trunk");
    expect((await mirror.listRefs()).map((ref) => ref.shortName)).toEqual(["main", "trunk"]);
  });

  it("mirrors an empty remote, and one whose HEAD is detached", async () => {
    const mirror = mirrorOf(remote.directory);
    await mirror.update();
    expect(await mirror.listRefs()).toEqual([]);
    expect(await mirror.defaultBranch()).toBeNull();

    const commit = remote.commit({ "composer.json": composerJson() });
    remote.git("branch", "release");
    remote.git("checkout", "--quiet", "--detach", "HEAD");
    await mirror.update();
    // Without a symbolic HEAD, the branch at HEAD's commit is taken, preferring main.
    expect(await mirror.defaultBranch()).toBe("main");
    expect((await mirror.listRefs()).map((ref) => ref.commit)).toEqual([commit, commit]);

    remote.git("checkout", "--quiet", "--detach", remote.commit({ "x.txt": "x" }));
    await mirror.update();
    expect(await mirror.defaultBranch()).toBeNull();
  });

  it("lists refs with odd names exactly, without ever running them", async () => {
    const commit = remote.commit({ "composer.json": composerJson() });
    const names = [
      "refs/tags/v1.0.0;touch${IFS}pwned-semicolon",
      "refs/heads/$(touch${IFS}pwned-subshell)",
      "refs/heads/`touch${IFS}pwned-backtick`",
      "refs/heads/-rf",
      "refs/heads/--upload-pack=touch",
      "refs/tags/über-'quoted'\"double\"",
      "refs/heads/a|b&c",
    ];
    for (const name of names) remote.git("update-ref", name, commit);
    const mirror = mirrorOf(remote.directory);
    await mirror.update();
    const refs = await mirror.listRefs();
    for (const name of names) {
      expect(refs).toContainEqual(expect.objectContaining({ name, commit }));
    }
    expect(refs.find((ref) => ref.name === "refs/heads/-rf")?.shortName).toBe("-rf");
    for (const directory of [
      root,
      remote.directory,
      path.join(root, "data", "mirrors", "repo.git"),
      process.cwd(),
    ]) {
      expect(fs.readdirSync(directory).filter((entry) => entry.startsWith("pwned"))).toEqual([]);
    }
  });

  it("reads files at a commit, refusing large ones before reading them", async () => {
    const commit = remote.commit({
      "composer.json": composerJson("1.0.0"),
      "src/deep/file.txt": "deep\n",
      "big.bin": Buffer.alloc(100_000, 7),
      "with space.txt": "spaced\n",
    });
    const mirror = mirrorOf(remote.directory);
    await mirror.update();
    expect((await mirror.readFile(commit, "composer.json", 1000))?.toString("utf8")).toBe(
      composerJson("1.0.0"),
    );
    expect((await mirror.readFile(commit, "src/deep/file.txt", 1000))?.toString("utf8")).toBe("deep\n");
    expect((await mirror.readFile(commit, "with space.txt", 1000))?.toString("utf8")).toBe("spaced\n");
    expect(await mirror.readFile(commit, "missing.json", 1000)).toBeNull();
    expect(await mirror.readFile(commit, "src", 1000)).toBeNull();
    expect((await mirror.readFile(commit, "big.bin", 100_000))?.length).toBe(100_000);

    const tooLarge = await failure(mirror.readFile(commit, "big.bin", 99_999));
    expect(tooLarge.code).toBe("GitFileTooLarge");
    expect(tooLarge.kind).toBe("too-large");

    for (const bad of ["", "/etc/passwd", "../x", "src/../composer.json", "a//b", "x\ny"]) {
      expect((await failure(mirror.readFile(commit, bad, 1000))).code).toBe("InvalidTreePath");
    }
    for (const bad of ["HEAD", "main", commit.slice(0, 12), `--output=${commit}`]) {
      expect((await failure(mirror.readFile(bad, "composer.json", 1000))).code).toBe("InvalidCommit");
    }
    expect((await failure(mirror.readFile("0".repeat(40), "composer.json", 1000))).code).toBe(
      "GitCommitNotFound",
    );
  });

  it("gives the committer time of a commit", async () => {
    const commit = remote.commit({ "composer.json": composerJson() });
    const expected = remote.lastCommitTime();
    const mirror = mirrorOf(remote.directory);
    await mirror.update();
    expect(await mirror.commitTime(commit)).toEqual(expected);
    expect((await failure(mirror.commitTime("f".repeat(40)))).code).toBe("GitCommitNotFound");
  });

  it("archives a commit as a deterministic zip, honouring export-ignore but not export-subst", async () => {
    const commit = remote.commit({
      "composer.json": composerJson(),
      "src/Widget.php": "<?php\n",
      "tests/WidgetTest.php": "<?php\n",
      VERSION: "$Format:%H %d$\n",
      ".gitattributes": "/tests export-ignore\n/VERSION export-subst\n",
    });
    const mirror = mirrorOf(remote.directory);
    await mirror.update();
    const zip = await mirror.archive(commit, 1_000_000);
    expect(zip.subarray(0, 2).toString("latin1")).toBe("PK");
    expect(zipEntries(zip)).toEqual([".gitattributes", "VERSION", "composer.json", "src/", "src/Widget.php"]);
    expect(zip.includes(Buffer.from("$Format:%H %d$"))).toBe(true);

    // Same bytes again, and after refs around the commit changed.
    remote.git("tag", "v9.9.9", commit);
    remote.git("branch", "another", commit);
    await mirror.update();
    const again = await mirror.archive(commit, 1_000_000);
    expect(createHash("sha256").update(again).digest("hex")).toBe(
      createHash("sha256").update(zip).digest("hex"),
    );

    // And from a fresh mirror of the same remote.
    const fresh = new GitCliMirror({
      url: remote.directory,
      directory: path.join(root, "other.git"),
      allowFileProtocol: true,
    });
    await fresh.update();
    expect((await fresh.archive(commit, 1_000_000)).equals(zip)).toBe(true);

    const tooLarge = await failure(mirror.archive(commit, 100));
    expect(tooLarge.code).toBe("GitArchiveTooLarge");
    expect(tooLarge.kind).toBe("too-large");
  });

  it("stops a large archive without buffering all of it", async () => {
    const random = Buffer.alloc(3_000_000);
    for (let index = 0; index < random.length; index += 32) {
      createHash("sha256").update(String(index)).digest().copy(random, index);
    }
    const commit = remote.commit({ "composer.json": composerJson(), "blob.bin": random });
    const mirror = mirrorOf(remote.directory);
    await mirror.update();
    expect((await failure(mirror.archive(commit, 1_000_000))).code).toBe("GitArchiveTooLarge");
    expect((await mirror.archive(commit, 10_000_000)).length).toBeGreaterThan(3_000_000);
  });
});

describe("GitCliMirror safety", () => {
  it("refuses local paths and file:// URLs unless the file protocol is allowed", async () => {
    remote.commit({ "composer.json": composerJson() });
    for (const url of [remote.directory, `file://${remote.directory}`]) {
      const error = await failure(mirrorOf(url, { allowFileProtocol: false }).update());
      expect(error.code).toBe("GitProtocolRefused");
      expect(error.kind).toBe("invalid");
    }
    await mirrorOf(`file://${remote.directory}`, { allowFileProtocol: true }).update();
  });

  it("refuses ext:: and fd:: transports even when the URL policy was bypassed", async () => {
    const marker = path.join(root, "pwned-ext");
    for (const url of [`ext::sh -c touch% ${marker}`, "fd::0", `ext::touch ${marker}`]) {
      const error = await failure(mirrorOf(url, { allowFileProtocol: true }).update());
      expect(error.code).toBe("GitProtocolRefused");
    }
    expect(fs.existsSync(marker)).toBe(false);
  });

  it("ignores GIT_* variables and configuration of the server process", async () => {
    remote.commit({ "composer.json": composerJson() });
    const saved = { ...process.env };
    const hookMarker = path.join(root, "pwned-hook");
    process.env.GIT_DIR = path.join(root, "elsewhere");
    process.env.GIT_ALLOW_PROTOCOL = "file:ext";
    process.env.GIT_CONFIG_PARAMETERS = `'protocol.file.allow'='always' 'core.hooksPath'='${root}/hooks'`;
    process.env.GIT_CONFIG_GLOBAL = path.join(root, "evil-gitconfig");
    // Were this configuration read, the remote would be rewritten to an ext:: command.
    fs.writeFileSync(
      path.join(root, "evil-gitconfig"),
      `[url "ext::touch ${hookMarker}"]\n\tinsteadOf = ${remote.directory}\n`,
    );
    fs.mkdirSync(path.join(root, "hooks"));
    fs.writeFileSync(
      path.join(root, "hooks", "reference-transaction"),
      `#!/bin/sh\ntouch '${hookMarker}'\n`,
      {
        mode: 0o755,
      },
    );
    try {
      const refused = await failure(mirrorOf(remote.directory, { allowFileProtocol: false }).update());
      expect(refused.code).toBe("GitProtocolRefused");
      const mirror = mirrorOf(remote.directory);
      await mirror.update();
      expect(await mirror.listRefs()).toHaveLength(1);
      expect(fs.existsSync(path.join(root, "elsewhere"))).toBe(false);
      expect(fs.existsSync(hookMarker)).toBe(false);
    } finally {
      process.env = saved;
    }
  });

  it("never runs hooks, not even those inside the mirror", async () => {
    remote.commit({ "composer.json": composerJson() });
    const mirror = mirrorOf(remote.directory);
    await mirror.update();
    const marker = path.join(root, "pwned-mirror-hook");
    const hooks = path.join(root, "data", "mirrors", "repo.git", "hooks");
    fs.mkdirSync(hooks, { recursive: true });
    for (const hook of ["reference-transaction", "post-update", "pre-auto-gc"]) {
      fs.writeFileSync(path.join(hooks, hook), `#!/bin/sh\ntouch '${marker}'\n`, { mode: 0o755 });
    }
    remote.git("tag", "v1.0.0");
    await mirror.update();
    expect((await mirror.listRefs()).map((ref) => ref.shortName)).toEqual(["main", "v1.0.0"]);
    expect(fs.existsSync(marker)).toBe(false);
  });

  it("reports a missing repository clearly", async () => {
    const error = await failure(mirrorOf(path.join(root, "nothing-here")).update());
    expect(error.code).toBe("GitRepositoryNotFound");
    expect(error.kind).toBe("invalid");
    expect(error.message).toMatch(/^git ls-remote: the repository was not found/);
  });

  it("reports an unreachable remote as unavailable", async () => {
    const closed = await closedPort();
    const error = await failure(mirrorOf(`http://127.0.0.1:${closed}/x.git`).update());
    expect(error.code).toBe("GitRemoteUnreachable");
    expect(error.kind).toBe("unavailable");
  });

  it("kills a git command (and its children) that takes too long", async () => {
    const fakeSsh = path.join(root, "slow-ssh");
    const pidFile = path.join(root, "slow-ssh.pid");
    fs.writeFileSync(fakeSsh, `#!/bin/sh\necho $$ > '${pidFile}'\nexec sleep 30\n`, { mode: 0o755 });
    const started = Date.now();
    const error = await failure(
      mirrorOf("ssh://git@example.invalid/x.git", { sshProgram: fakeSsh, timeoutMs: 1000 }).update(),
    );
    expect(error.code).toBe("GitTimeout");
    expect(error.kind).toBe("unavailable");
    expect(Date.now() - started).toBeLessThan(10_000);
    const pid = Number(fs.readFileSync(pidFile, "utf8"));
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(isAlive(pid)).toBe(false);
  });

  it("can be cancelled with an AbortSignal", async () => {
    const fakeSsh = path.join(root, "slow-ssh");
    fs.writeFileSync(fakeSsh, "#!/bin/sh\nexec sleep 30\n", { mode: 0o755 });
    const controller = new AbortController();
    setTimeout(() => {
      controller.abort();
    }, 300);
    const error = await failure(
      mirrorOf("ssh://git@example.invalid/x.git", { sshProgram: fakeSsh }).update(controller.signal),
    );
    expect(error.code).toBe("GitAborted");
  });
});

describe("GitCliMirror over ssh (a fake ssh that serves the remote locally)", () => {
  it("passes the key in a 0600 file named by GIT_SSH_COMMAND, and deletes it afterwards", async () => {
    const commit = remote.commit({ "composer.json": composerJson() });
    const fakeSsh = path.join(root, "fake-ssh");
    const log = path.join(root, "fake-ssh.log");
    // Records its arguments and the key file's mode and content, then runs the remote command.
    fs.writeFileSync(
      fakeSsh,
      [
        "#!/bin/sh",
        `log='${log}'`,
        'for arg in "$@"; do printf "%s\\n" "$arg" >> "$log"; done',
        'key=""; previous=""',
        'for arg in "$@"; do [ "$previous" = "-i" ] && key="$arg"; previous="$arg"; done',
        'if [ -n "$key" ]; then printf "mode=%s\\n" "$(stat -c %a "$key")" >> "$log"; printf "key=%s\\n" "$(head -1 "$key")" >> "$log"; fi',
        'for last in "$@"; do :; done',
        "unset GIT_DIR GIT_CONFIG_COUNT GIT_CONFIG_KEY_0 GIT_CONFIG_VALUE_0",
        'exec sh -c "$last"',
        "",
      ].join("\n"),
      { mode: 0o755 },
    );
    const credentials: GitCredentials = {
      kind: "ssh-key",
      privateKey:
        "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n-----END OPENSSH PRIVATE KEY-----",
    };
    const temporary = fs.readdirSync(os.tmpdir()).filter((entry) => entry.startsWith("package-broker-ssh-"));
    const mirror = mirrorOf(`ssh://git@example.test${remote.directory}`, {
      sshProgram: fakeSsh,
      credentials,
    });
    await mirror.update();
    expect(await mirror.listRefs()).toEqual([
      { name: "refs/heads/main", kind: "branch", shortName: "main", commit },
    ]);
    expect(await mirror.defaultBranch()).toBe("main");

    const lines = fs.readFileSync(log, "utf8").split("\n");
    expect(lines).toContain("BatchMode=yes");
    expect(lines).toContain("IdentitiesOnly=yes");
    expect(lines).toContain("StrictHostKeyChecking=accept-new");
    expect(lines).toContain(`UserKnownHostsFile=${path.join(root, "data", "known_hosts")}`);
    expect(lines).toContain("mode=600");
    expect(lines).toContain("key=-----BEGIN OPENSSH PRIVATE KEY-----");
    expect(lines).toContain("git@example.test");
    const keyFile = lines[lines.indexOf("-i") + 1]!;
    expect(fs.existsSync(keyFile)).toBe(false);
    expect(fs.readdirSync(os.tmpdir()).filter((entry) => entry.startsWith("package-broker-ssh-"))).toEqual(
      temporary,
    );
  });

  it("deletes the key file when the fetch fails too", async () => {
    const fakeSsh = path.join(root, "failing-ssh");
    const log = path.join(root, "failing-ssh.log");
    fs.writeFileSync(
      fakeSsh,
      `#!/bin/sh\nprevious=""\nfor arg in "$@"; do [ "$previous" = "-i" ] && echo "$arg" > '${log}'; previous="$arg"; done\necho "git@example.test: Permission denied (publickey)." >&2\nexit 255\n`,
      { mode: 0o755 },
    );
    const credentials: GitCredentials = {
      kind: "ssh-key",
      privateKey: "-----BEGIN OPENSSH PRIVATE KEY-----\nAAAA\n-----END OPENSSH PRIVATE KEY-----",
    };
    const error = await failure(
      mirrorOf("git@example.test:acme/x.git", { sshProgram: fakeSsh, credentials }).update(),
    );
    expect(error.code).toBe("GitAuthenticationFailed");
    expect(error.message).toContain("Permission denied (publickey)");
    expect(fs.existsSync(fs.readFileSync(log, "utf8").trim())).toBe(false);
  });
});

describe("GitCliMirror over smart HTTP with Basic auth (git http-backend)", () => {
  const user = "alice";
  const password = "s3cret-Pa55word-xyz";
  let server: http.Server;
  let base: string;
  let projects: string;
  const passwordSeenInArgv: string[] = [];

  beforeAll(async () => {
    projects = fs.mkdtempSync(path.join(os.tmpdir(), "package-broker-http-"));
    const repository = new Remote(path.join(projects, "private.git"));
    repository.commit({ "composer.json": composerJson() });
    repository.git("tag", "v1.0.0");
    server = http.createServer((request, response) => {
      passwordSeenInArgv.push(...processesShowing(password));
      const expected = `Basic ${Buffer.from(`${user}:${password}`).toString("base64")}`;
      if (request.headers.authorization !== expected) {
        response.writeHead(401, { "www-authenticate": 'Basic realm="git"' });
        response.end("unauthorized");
        return;
      }
      serveGit(projects, request, response);
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
    fs.rmSync(projects, { recursive: true, force: true });
  });

  it("fetches with the right credentials, never putting the password in argv", async () => {
    const mirror = mirrorOf(`${base}/private.git`, {
      credentials: { kind: "https", username: user, password },
    });
    await mirror.update();
    expect((await mirror.listRefs()).map((ref) => ref.name)).toEqual(["refs/heads/main", "refs/tags/v1.0.0"]);
    expect(await mirror.defaultBranch()).toBe("main");
    await mirror.update();
    expect(passwordSeenInArgv).toEqual([]);
    const config = fs.readFileSync(path.join(root, "data", "mirrors", "repo.git", "config"), "utf8");
    expect(config).not.toContain(password);
  });

  it("reports a wrong password clearly, without leaking it", async () => {
    const wrong = "wrong-Pa55word-abc";
    const error = await failure(
      mirrorOf(`${base}/private.git`, {
        credentials: { kind: "https", username: user, password: wrong },
      }).update(),
    );
    expect(error.code).toBe("GitAuthenticationFailed");
    expect(error.kind).toBe("invalid");
    expect(error.message).toMatch(/refused the credentials/);
    expect(error.message).not.toContain(wrong);
    expect(error.message).not.toContain(Buffer.from(`${user}:${wrong}`).toString("base64"));
  });

  it("reports missing credentials as an authentication failure", async () => {
    const error = await failure(mirrorOf(`${base}/private.git`).update());
    expect(error.code).toBe("GitAuthenticationFailed");
  });

  it("reports an unknown repository behind valid credentials as not found", async () => {
    const error = await failure(
      mirrorOf(`${base}/nothing.git`, { credentials: { kind: "https", username: user, password } }).update(),
    );
    expect(error.code).toBe("GitRepositoryNotFound");
  });

  it("keeps credentials written into the URL out of the error", async () => {
    const error = await failure(
      mirrorOf(`http://bob:tok-9f8e7d6c5b4a@127.0.0.1:${new URL(base).port}/private.git`).update(),
    );
    expect(error.message).not.toContain("tok-9f8e7d6c5b4a");
  });

  it("does not send the Authorization header to another origin it is redirected to", async () => {
    const seen: { server: string; authorization: string | undefined }[] = [];
    const other = http.createServer((request, response) => {
      seen.push({ server: "other", authorization: request.headers.authorization });
      response.writeHead(404);
      response.end();
    });
    await new Promise<void>((resolve) => other.listen(0, "127.0.0.1", resolve));
    const otherPort = (other.address() as AddressInfo).port;
    const redirecting = http.createServer((request, response) => {
      seen.push({ server: "first", authorization: request.headers.authorization });
      response.writeHead(302, { location: `http://127.0.0.1:${otherPort}${request.url ?? "/"}` });
      response.end();
    });
    await new Promise<void>((resolve) => redirecting.listen(0, "127.0.0.1", resolve));
    try {
      const port = (redirecting.address() as AddressInfo).port;
      const mirror = mirrorOf(`http://127.0.0.1:${port}/x.git`, {
        credentials: { kind: "https", username: user, password },
      });
      await failure(mirror.update());
      expect(seen[0]).toEqual({
        server: "first",
        authorization: expect.stringMatching(/^Basic /) as unknown,
      });
      const redirected = seen.filter((request) => request.server === "other");
      expect(redirected.length).toBeGreaterThan(0);
      expect(redirected.every((request) => request.authorization === undefined)).toBe(true);
    } finally {
      await new Promise((resolve) => other.close(resolve));
      await new Promise((resolve) => redirecting.close(resolve));
    }
  });
});

describe("helpers", () => {
  it("parses ls-remote --symref output", () => {
    const sha = "a".repeat(40);
    expect(parseRemoteHead(`ref: refs/heads/main\tHEAD\n${sha}\tHEAD\n`)).toEqual({
      symref: "main",
      commit: sha,
    });
    expect(parseRemoteHead(`${sha}\tHEAD\n`)).toEqual({ symref: null, commit: sha });
    expect(parseRemoteHead("")).toEqual({ symref: null, commit: null });
    expect(parseRemoteHead("ref: refs/heads/feature/x y\tHEAD\n")).toEqual({
      symref: "feature/x y",
      commit: null,
    });
  });

  it("scrubs credentials from git output", () => {
    const text = [
      "fatal: unable to access 'https://user:hunter22@example.com/x.git/': error",
      "Authorization: Basic dXNlcjpodW50ZXIyMg==",
      "remote: token ghp_abcdefghijklmnopqrstuvwxyz0123456789 leaked",
      "https://example.com/x.git?private_token=glpat-xyz&x=1",
      "-----BEGIN OPENSSH PRIVATE KEY-----\nabc\n-----END OPENSSH PRIVATE KEY-----",
      "the password is pa55word-literal",
    ].join("\n");
    const scrubbed = scrub(text, ["pa55word-literal"]);
    for (const secret of [
      "hunter22",
      "dXNlcjpodW50ZXIyMg",
      "ghp_abc",
      "glpat-xyz",
      "abc\n",
      "pa55word-literal",
    ]) {
      expect(scrubbed).not.toContain(secret);
    }
    expect(scrubbed).toContain("https://***@example.com/x.git/");
  });
});

/** git http-backend (a CGI) behind Node's http server. */
function serveGit(projectRoot: string, request: http.IncomingMessage, response: http.ServerResponse): void {
  const url = new URL(request.url ?? "/", "http://localhost");
  const child = spawn("/usr/lib/git-core/git-http-backend", [], {
    env: {
      ...fixtureEnv,
      GIT_PROJECT_ROOT: projectRoot,
      GIT_HTTP_EXPORT_ALL: "1",
      REQUEST_METHOD: request.method ?? "GET",
      PATH_INFO: decodeURIComponent(url.pathname),
      QUERY_STRING: url.search.replace(/^\?/, ""),
      CONTENT_TYPE: request.headers["content-type"] ?? "",
      REMOTE_USER: "alice",
      REMOTE_ADDR: "127.0.0.1",
      ...(request.headers["content-encoding"] === undefined
        ? {}
        : { HTTP_CONTENT_ENCODING: request.headers["content-encoding"] }),
      ...(typeof request.headers["git-protocol"] === "string"
        ? { GIT_PROTOCOL: request.headers["git-protocol"] }
        : {}),
    },
  });
  request.pipe(child.stdin);
  const chunks: Buffer[] = [];
  child.stdout.on("data", (chunk: Buffer) => chunks.push(chunk));
  child.on("close", () => {
    const output = Buffer.concat(chunks);
    const split = output.indexOf("\r\n\r\n");
    const head = output.subarray(0, split).toString("latin1");
    let status = 200;
    const headers: Record<string, string> = {};
    for (const line of head.split("\r\n")) {
      const colon = line.indexOf(":");
      const name = line.slice(0, colon).trim();
      const value = line.slice(colon + 1).trim();
      if (name.toLowerCase() === "status") status = Number(value.split(" ")[0]);
      else headers[name] = value;
    }
    response.writeHead(status, headers);
    response.end(output.subarray(split + 4));
  });
}

/** Command lines of running processes that contain `needle` (Linux /proc). */
function processesShowing(needle: string): string[] {
  const found: string[] = [];
  for (const entry of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const commandLine = fs.readFileSync(`/proc/${entry}/cmdline`, "utf8").replace(/\0/g, " ");
      if (commandLine.includes(needle) || commandLine.includes(Buffer.from(needle).toString("base64"))) {
        found.push(commandLine);
      }
    } catch {
      // the process ended
    }
  }
  return found;
}

/** Whether a process runs (a zombie waiting for a reaper does not). */
function isAlive(pid: number): boolean {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    return !/^\d+ \(.*\) [ZX]/.test(stat);
  } catch {
    return false;
  }
}

async function closedPort(): Promise<number> {
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  await new Promise((resolve) => server.close(resolve));
  return port;
}
