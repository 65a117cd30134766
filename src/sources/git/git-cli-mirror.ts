import { spawn } from "node:child_process";
import fs from "node:fs/promises";
import path from "node:path";
import { DomainError, type ErrorKind } from "../../errors/domain-error.ts";
import { prepareGitCredentials, type GitCredentials } from "./git-credentials.ts";
import type { GitMirror, GitRef } from "./git-mirror.ts";

export interface GitCliMirrorOptions {
  /** The remote, as checked by source-url-policy (never with credentials in it). */
  readonly url: string;
  /** The bare mirror repository, inside the data dir; created on the first update. */
  readonly directory: string;
  readonly credentials?: GitCredentials;
  /** Longest time one git command may take; then it is killed ("GitTimeout"). Default 10 minutes. */
  readonly timeoutMs?: number;
  /** Whether file:// URLs and local paths may be fetched (PB_ALLOW_PRIVATE_SOURCES). */
  readonly allowFileProtocol: boolean;
  /** ssh's known hosts (trust on first use); default `known_hosts` beside the mirror directory. */
  readonly knownHostsFile?: string;
  /** The ssh program; tests replace it. */
  readonly sshProgram?: string;
}

export const DEFAULT_GIT_TIMEOUT_MS = 10 * 60 * 1000;

const DEFAULT_BRANCH_KEY = "packagebroker.defaultBranch";
const MAX_STDERR_BYTES = 64 * 1024;
const MAX_LISTING_BYTES = 256 * 1024 * 1024;
const COMMIT = /^(?:[0-9a-f]{40}|[0-9a-f]{64})$/;
/** Variables of the parent process that git, curl and ssh may need; everything else (all GIT_*) stays out. */
const INHERITED_ENV = [
  "PATH",
  "HOME",
  "TMPDIR",
  "http_proxy",
  "https_proxy",
  "HTTPS_PROXY",
  "all_proxy",
  "ALL_PROXY",
  "no_proxy",
  "NO_PROXY",
  "SSL_CERT_FILE",
  "SSL_CERT_DIR",
];

interface RunOptions {
  readonly env?: Readonly<Record<string, string>>;
  readonly input?: string;
  readonly maxOutputBytes?: number;
  readonly tooLarge?: () => DomainError;
  readonly signal?: AbortSignal | undefined;
  readonly secrets?: readonly string[];
}

interface RunResult {
  readonly code: number;
  readonly stdout: Buffer;
  readonly stderr: string;
}

/**
 * A GitMirror on the `git` command line: a bare repository holding the remote's branches and
 * tags (`+refs/heads/*`, `+refs/tags/*`, forced and pruned, so moved and deleted tags follow the
 * remote). git runs without a shell, hooks, system or user configuration, inherited GIT_*
 * variables, prompts, or transports other than https, http, ssh (and file when allowed).
 */
export class GitCliMirror implements GitMirror {
  readonly #url: string;
  readonly #directory: string;
  readonly #credentials: GitCredentials | undefined;
  readonly #timeoutMs: number;
  readonly #allowFile: boolean;
  readonly #knownHostsFile: string;
  readonly #sshProgram: string | undefined;

  constructor(options: GitCliMirrorOptions) {
    this.#url = options.url;
    this.#directory = path.resolve(options.directory);
    this.#credentials = options.credentials;
    this.#timeoutMs = options.timeoutMs ?? DEFAULT_GIT_TIMEOUT_MS;
    this.#allowFile = options.allowFileProtocol;
    this.#knownHostsFile = path.resolve(
      options.knownHostsFile ?? path.join(path.dirname(this.#directory), "known_hosts"),
    );
    this.#sshProgram = options.sshProgram;
  }

  async update(signal?: AbortSignal): Promise<void> {
    await this.#ensureRepository(signal);
    await fs.mkdir(path.dirname(this.#knownHostsFile), { recursive: true });
    const auth = await prepareGitCredentials(this.#credentials, {
      url: this.#url,
      knownHostsFile: this.#knownHostsFile,
      ...(this.#sshProgram === undefined ? {} : { sshProgram: this.#sshProgram }),
    });
    try {
      const network = { env: auth.env, secrets: auth.secrets, signal };
      const head = await this.#git(["ls-remote", "--symref", "--", this.#url, "HEAD"], network);
      await this.#git(
        [
          "fetch",
          "--quiet",
          "--prune",
          "--no-tags",
          "--no-recurse-submodules",
          "--no-write-fetch-head",
          "--",
          this.#url,
          "+refs/heads/*:refs/heads/*",
          "+refs/tags/*:refs/tags/*",
        ],
        network,
      );
      await this.#saveDefaultBranch(parseRemoteHead(head.stdout.toString("utf8")), signal);
    } finally {
      await auth.cleanup();
    }
  }

  async listRefs(): Promise<GitRef[]> {
    if (!(await this.#exists())) return [];
    const listing = await this.#git(
      ["for-each-ref", "--format=%(objectname) %(refname)", "refs/heads", "refs/tags"],
      {
        maxOutputBytes: MAX_LISTING_BYTES,
      },
    );
    const refs = listing.stdout
      .toString("utf8")
      .split("\n")
      .filter((line) => line !== "")
      .map((line) => {
        const space = line.indexOf(" ");
        return { object: line.slice(0, space), name: line.slice(space + 1) };
      });
    if (refs.length === 0) return [];
    // Peel every ref (annotated tags, possibly nested) to its commit; refs to trees or blobs drop out.
    const peeled = await this.#git(["cat-file", "--batch-check=%(objectname) %(objecttype)"], {
      input: refs.map((ref) => `${ref.object}^{commit}\n`).join(""),
      maxOutputBytes: MAX_LISTING_BYTES,
    });
    const lines = peeled.stdout.toString("utf8").split("\n");
    const result: GitRef[] = [];
    refs.forEach((ref, index) => {
      const [commit, type] = (lines[index] ?? "").split(" ");
      if (type !== "commit" || commit === undefined) return;
      const kind = ref.name.startsWith("refs/tags/") ? "tag" : "branch";
      const shortName = ref.name.slice(kind === "tag" ? "refs/tags/".length : "refs/heads/".length);
      result.push({ name: ref.name, kind, shortName, commit });
    });
    return result;
  }

  async defaultBranch(): Promise<string | null> {
    if (!(await this.#exists())) return null;
    const result = await this.#run(["config", "--get", DEFAULT_BRANCH_KEY], {});
    if (result.code === 1) return null;
    if (result.code !== 0) throw gitFailure("git config", result.stderr);
    const name = result.stdout.toString("utf8").replace(/\n$/, "");
    return name === "" ? null : name;
  }

  async readFile(commit: string, filePath: string, maxBytes: number): Promise<Buffer | null> {
    assertCommit(commit);
    assertTreePath(filePath);
    const check = await this.#git(["cat-file", "--batch-check=%(objectname) %(objecttype) %(objectsize)"], {
      input: `${commit}:${filePath}\n`,
    });
    const [object = "", type, sizeText] = check.stdout.toString("utf8").trim().split(" ");
    if (type !== "blob") {
      await this.#assertCommitExists(commit);
      return null;
    }
    const size = Number(sizeText);
    if (size > maxBytes) {
      throw new DomainError(
        "too-large",
        "GitFileTooLarge",
        `${filePath} at ${commit.slice(0, 12)} is ${size} bytes, more than the limit of ${maxBytes} bytes`,
      );
    }
    const content = await this.#git(["cat-file", "blob", object], { maxOutputBytes: maxBytes });
    return content.stdout;
  }

  async commitTime(commit: string): Promise<Date> {
    assertCommit(commit);
    await this.#assertCommitExists(commit);
    const result = await this.#git(["log", "-1", "--no-show-signature", "--format=%ct", commit, "--"], {});
    const seconds = Number(result.stdout.toString("utf8").trim());
    if (!Number.isSafeInteger(seconds)) throw gitFailure("git log", `unexpected commit time for ${commit}`);
    return new Date(seconds * 1000);
  }

  async archive(commit: string, maxBytes: number): Promise<Buffer> {
    assertCommit(commit);
    await this.#assertCommitExists(commit);
    const result = await this.#git(["archive", "--format=zip", commit], {
      maxOutputBytes: maxBytes,
      tooLarge: () =>
        new DomainError(
          "too-large",
          "GitArchiveTooLarge",
          `the archive of ${commit.slice(0, 12)} is larger than the limit of ${maxBytes} bytes`,
        ),
    });
    return result.stdout;
  }

  async #exists(): Promise<boolean> {
    try {
      await fs.access(path.join(this.#directory, "HEAD"));
      return true;
    } catch {
      return false;
    }
  }

  async #ensureRepository(signal: AbortSignal | undefined): Promise<void> {
    if (await this.#exists()) return;
    await fs.mkdir(this.#directory, { recursive: true });
    await this.#git(["init", "--bare", "--quiet"], { signal });
    // export-subst could write ref names (%d) into files: archives would change when refs do.
    await fs.mkdir(path.join(this.#directory, "info"), { recursive: true });
    await fs.writeFile(path.join(this.#directory, "info", "attributes"), "* -export-subst\n");
  }

  async #saveDefaultBranch(head: RemoteHead, signal: AbortSignal | undefined): Promise<void> {
    let branch = head.symref;
    if (branch === null && head.commit !== null) {
      // No symref (old servers, dumb http): guess as git clone does, from the commit HEAD names.
      const candidates = (await this.listRefs())
        .filter((ref) => ref.kind === "branch" && ref.commit === head.commit)
        .map((ref) => ref.shortName);
      branch = ["main", "master"].find((name) => candidates.includes(name)) ?? candidates[0] ?? null;
    }
    if (branch === null) {
      const unset = await this.#run(["config", "--unset-all", DEFAULT_BRANCH_KEY], { signal });
      if (unset.code !== 0 && unset.code !== 5) throw gitFailure("git config", unset.stderr);
      return;
    }
    await this.#git(["config", DEFAULT_BRANCH_KEY, branch], { signal });
    await this.#git(["symbolic-ref", "HEAD", `refs/heads/${branch}`], { signal });
  }

  async #assertCommitExists(commit: string): Promise<void> {
    const result = await this.#run(["cat-file", "-e", `${commit}^{commit}`], {});
    if (result.code !== 0) {
      throw new DomainError("not-found", "GitCommitNotFound", `commit ${commit} is not in the mirror`);
    }
  }

  /** Runs git and throws a DomainError describing the failure when it exits with another code than 0. */
  async #git(args: readonly string[], options: RunOptions): Promise<RunResult> {
    const result = await this.#run(args, options);
    if (result.code !== 0) {
      throw gitFailure(`git ${args[0] ?? ""}`, scrub(result.stderr, options.secrets ?? []));
    }
    return result;
  }

  #run(args: readonly string[], options: RunOptions): Promise<RunResult> {
    const fileProtocol = this.#allowFile ? "always" : "never";
    const argv = [
      ...["-c", "core.hooksPath=/dev/null", "-c", `protocol.file.allow=${fileProtocol}`],
      ...["-c", "protocol.ext.allow=never", "-c", "credential.helper=", "-c", "core.askPass="],
      ...["-c", "core.attributesFile=/dev/null", "-c", "core.fsmonitor=false", "-c", "gc.autoDetach=false"],
      ...["-c", "init.defaultBranch=main", "-c", "advice.detachedHead=false"],
      ...args,
    ];
    const env: Record<string, string> = {};
    for (const name of INHERITED_ENV) {
      const value = process.env[name];
      if (value !== undefined) env[name] = value;
    }
    Object.assign(env, {
      LC_ALL: "C",
      GIT_DIR: this.#directory,
      GIT_TERMINAL_PROMPT: "0",
      GIT_ALLOW_PROTOCOL: this.#allowFile ? "https:http:ssh:file" : "https:http:ssh",
      GIT_CONFIG_NOSYSTEM: "1",
      GIT_CONFIG_GLOBAL: "/dev/null",
      GIT_SSH_VARIANT: "ssh",
      GIT_PROTOCOL_FROM_USER: "0",
      ...options.env,
    });
    return runProcess("git", argv, {
      env,
      cwd: this.#directory,
      timeoutMs: this.#timeoutMs,
      input: options.input,
      maxOutputBytes: options.maxOutputBytes ?? MAX_LISTING_BYTES,
      tooLarge:
        options.tooLarge ??
        (() =>
          new DomainError(
            "too-large",
            "GitOutputTooLarge",
            `git ${args[0] ?? ""} wrote more than the limit`,
          )),
      signal: options.signal,
      what: `git ${args[0] ?? ""}`,
    });
  }
}

interface ProcessOptions {
  readonly env: Record<string, string>;
  readonly cwd: string;
  readonly timeoutMs: number;
  readonly input: string | undefined;
  readonly maxOutputBytes: number;
  readonly tooLarge: () => DomainError;
  readonly signal: AbortSignal | undefined;
  readonly what: string;
}

/** spawn without a shell, in its own process group, so that a timeout also kills ssh and remote helpers. */
function runProcess(command: string, args: readonly string[], options: ProcessOptions): Promise<RunResult> {
  return new Promise<RunResult>((resolve, reject) => {
    if (options.signal?.aborted === true) {
      reject(aborted(options.what));
      return;
    }
    const child = spawn(command, args, {
      cwd: options.cwd,
      env: options.env,
      stdio: ["pipe", "pipe", "pipe"],
      detached: true,
      shell: false,
    });
    const stdout: Buffer[] = [];
    let stdoutBytes = 0;
    const stderr: Buffer[] = [];
    let stderrBytes = 0;
    let failure: DomainError | null = null;
    let settled = false;

    const kill = (error: DomainError): void => {
      failure ??= error;
      try {
        if (child.pid !== undefined) process.kill(-child.pid, "SIGKILL");
      } catch {
        child.kill("SIGKILL");
      }
    };
    const timer = setTimeout(() => {
      kill(
        new DomainError(
          "unavailable",
          "GitTimeout",
          `${options.what} took longer than ${Math.round(options.timeoutMs / 1000)}s and was stopped`,
        ),
      );
    }, options.timeoutMs);
    const onAbort = (): void => {
      kill(aborted(options.what));
    };
    options.signal?.addEventListener("abort", onAbort, { once: true });
    const finish = (outcome: () => void): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      options.signal?.removeEventListener("abort", onAbort);
      outcome();
    };

    child.stdout.on("data", (chunk: Buffer) => {
      stdoutBytes += chunk.length;
      if (stdoutBytes > options.maxOutputBytes) {
        kill(options.tooLarge());
        return;
      }
      stdout.push(chunk);
    });
    child.stderr.on("data", (chunk: Buffer) => {
      if (stderrBytes < MAX_STDERR_BYTES) stderr.push(chunk);
      stderrBytes += chunk.length;
    });
    child.stdin.on("error", () => undefined); // git may exit before reading all input
    child.stdin.end(options.input ?? "");
    child.on("error", (error: NodeJS.ErrnoException) => {
      finish(() => {
        reject(
          error.code === "ENOENT"
            ? new DomainError(
                "unavailable",
                "GitNotInstalled",
                "the git command is not installed on the server",
              )
            : new DomainError(
                "unavailable",
                "GitCommandFailed",
                `${options.what} could not run: ${error.message}`,
              ),
        );
      });
    });
    child.on("close", (code) => {
      finish(() => {
        if (failure !== null) {
          reject(failure);
          return;
        }
        resolve({
          code: code ?? -1,
          stdout: Buffer.concat(stdout),
          stderr: Buffer.concat(stderr).toString("utf8"),
        });
      });
    });
  });
}

function aborted(what: string): DomainError {
  return new DomainError("unavailable", "GitAborted", `${what} was cancelled`);
}

interface RemoteHead {
  readonly symref: string | null;
  readonly commit: string | null;
}

/** Parses `git ls-remote --symref <url> HEAD`: "ref: refs/heads/main\tHEAD" and "<sha>\tHEAD". */
export function parseRemoteHead(output: string): RemoteHead {
  let symref: string | null = null;
  let commit: string | null = null;
  for (const line of output.split("\n")) {
    const symbolic = /^ref: refs\/heads\/(.+)\tHEAD$/.exec(line);
    if (symbolic?.[1] !== undefined) symref = symbolic[1];
    const direct = /^([0-9a-f]{40}|[0-9a-f]{64})\tHEAD$/.exec(line);
    if (direct?.[1] !== undefined) commit = direct[1];
  }
  return { symref, commit };
}

function assertCommit(commit: string): void {
  if (!COMMIT.test(commit)) {
    throw new DomainError("invalid", "InvalidCommit", "a commit must be a full hexadecimal object name");
  }
}

function assertTreePath(filePath: string): void {
  const segments = filePath.split("/");
  const bad =
    filePath === "" ||
    /\p{Cc}/u.test(filePath) ||
    segments.some((segment) => segment === "" || segment === "." || segment === "..");
  if (bad)
    throw new DomainError(
      "invalid",
      "InvalidTreePath",
      "the path must be relative, without '.', '..' or empty parts",
    );
}

const FAILURES: readonly { pattern: RegExp; kind: ErrorKind; code: string; reason: string }[] = [
  {
    pattern: /transport '[^']*' not allowed|unsupported URL protocol|protocol '[^']*' is not supported/i,
    kind: "invalid",
    code: "GitProtocolRefused",
    reason: "this kind of repository URL is not allowed",
  },
  {
    pattern: /Host key verification failed|REMOTE HOST IDENTIFICATION HAS CHANGED/i,
    kind: "invalid",
    code: "GitHostKeyMismatch",
    reason: "the ssh host key of the remote does not match the one recorded in known_hosts",
  },
  {
    pattern:
      /Authentication failed|could not read (Username|Password)|terminal prompts disabled|Permission denied \(|Access denied|returned error: 40[13]|Invalid username or password|invalid credentials|Load key .*: (invalid format|error in libcrypto)/i,
    kind: "invalid",
    code: "GitAuthenticationFailed",
    reason: "the remote refused the credentials (or needs some)",
  },
  {
    pattern:
      /Could not resolve host|Could not resolve hostname|Connection refused|Connection timed out|timed out|Network is unreachable|No route to host|Failed to connect|Connection reset|unable to access|SSL|certificate|Connection closed|early EOF|returned error: 5\d\d/i,
    kind: "unavailable",
    code: "GitRemoteUnreachable",
    reason: "the remote could not be reached",
  },
  {
    pattern:
      /Repository not found|does not appear to be a git repository|not a git repository|returned error: 404|Could not read from remote repository|No such file or directory|not found/i,
    kind: "invalid",
    code: "GitRepositoryNotFound",
    reason: "the repository was not found",
  },
];

/** A git failure as a DomainError whose message carries git's own words, scrubbed of secrets. */
function gitFailure(what: string, stderr: string): DomainError {
  const lines = stderr
    .split(/\r?\n|\r/)
    .map((line) => line.trim())
    .filter((line) => line !== "" && !BOILERPLATE.test(line));
  const known = FAILURES.find((failure) => failure.pattern.test(stderr));
  // The line that told the failure apart, then the last ones (git ends with "fatal: ...").
  const telling = known === undefined ? undefined : lines.find((line) => known.pattern.test(line));
  const shown = [...new Set([...(telling === undefined ? [] : [telling]), ...lines.slice(-2)])].join(" / ");
  const detail = shown.length > 500 ? `${shown.slice(0, 497)}...` : shown;
  const message = `${what}: ${known?.reason ?? "git failed"}${detail === "" ? "" : ` (${detail})`}`;
  return new DomainError(known?.kind ?? "unavailable", known?.code ?? "GitCommandFailed", message);
}

const BOILERPLATE =
  /^(hint:|Please make sure you have the correct access rights|and the repository exists\.)/;

/** Removes credentials from text that git wrote: URL user info, Authorization values, known secrets and token shapes. */
export function scrub(text: string, secrets: readonly string[]): string {
  let result = text;
  for (const secret of secrets) {
    if (secret.length >= 4) result = result.split(secret).join("***");
  }
  return result
    .replace(/-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----[\s\S]*?(-----END [A-Z0-9 ]*PRIVATE KEY-----|$)/g, "***")
    .replace(/\b([a-z][a-z0-9+.-]*:\/\/)[^/\s@]+@/gi, "$1***@")
    .replace(/(authorization:\s*)(\S+\s+)?\S+/gi, "$1***")
    .replace(
      /\b(gh[pousr]_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{20,}|glpat-[A-Za-z0-9_-]{20,}|pb_[A-Za-z0-9_]{20,})/g,
      "***",
    )
    .replace(/([?&](?:access_token|private_token|token|password)=)[^&\s]+/gi, "$1***");
}
