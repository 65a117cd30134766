import { execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";

/** A real git repository in a temporary folder, for sync and end-to-end tests. */
export class GitFixture {
  readonly dir: string;
  #tick = 0;

  constructor(dir: string, defaultBranch = "main") {
    this.dir = dir;
    fs.mkdirSync(dir, { recursive: true });
    this.git("init", "--quiet", "--initial-branch", defaultBranch);
  }

  git(...args: string[]): string {
    this.#tick += 1;
    const date = new Date(Date.UTC(2026, 0, 1) + this.#tick * 60_000).toISOString();
    return execFileSync("git", args, {
      cwd: this.dir,
      encoding: "utf8",
      env: {
        PATH: process.env.PATH,
        HOME: this.dir,
        GIT_AUTHOR_NAME: "Fixture",
        GIT_AUTHOR_EMAIL: "fixture@example.invalid",
        GIT_COMMITTER_NAME: "Fixture",
        GIT_COMMITTER_EMAIL: "fixture@example.invalid",
        GIT_AUTHOR_DATE: date,
        GIT_COMMITTER_DATE: date,
        GIT_CONFIG_NOSYSTEM: "1",
      },
    }).trim();
  }

  /** Writes files (path -> contents; objects become JSON) and commits them. Returns the commit. */
  commit(files: Record<string, string | object>, message = "change"): string {
    for (const [file, contents] of Object.entries(files)) {
      const target = path.join(this.dir, file);
      fs.mkdirSync(path.dirname(target), { recursive: true });
      fs.writeFileSync(
        target,
        typeof contents === "string" ? contents : `${JSON.stringify(contents, null, 2)}\n`,
      );
    }
    this.git("add", "--all");
    this.git("commit", "--quiet", "--allow-empty", "-m", message);
    return this.git("rev-parse", "HEAD");
  }

  tag(name: string, target = "HEAD"): void {
    this.git("tag", "--force", name, target);
  }

  branch(name: string, from = "HEAD"): void {
    this.git("branch", "--force", name, from);
  }

  checkout(name: string): void {
    this.git("checkout", "--quiet", name);
  }

  /** The commit a ref (or HEAD) points at, annotated tags peeled. */
  revParse(ref = "HEAD"): string {
    return this.git("rev-parse", `${ref}^{commit}`);
  }

  /** Deletes files (paths relative to the repository) and commits. Returns the commit. */
  commitRemoving(files: readonly string[], message = "remove"): string {
    for (const file of files) fs.rmSync(path.join(this.dir, file), { force: true });
    return this.commit({}, message);
  }

  /** An annotated tag (a tag object pointing at the commit). */
  annotatedTag(name: string, target = "HEAD", message = `release ${name}`): void {
    this.git("tag", "--force", "--annotate", "-m", message, name, target);
  }

  deleteTag(name: string): void {
    this.git("tag", "--delete", name);
  }

  deleteBranch(name: string): void {
    this.git("branch", "--delete", "--force", name);
  }

  /** Makes `name` the remote's default branch (what `git ls-remote --symref <dir> HEAD` reports). */
  setDefaultBranch(name: string): void {
    this.git("symbolic-ref", "HEAD", `refs/heads/${name}`);
  }

  /** The bytes of `git archive --format=zip <commit>`, as made in the fixture itself. */
  archiveZip(commit: string): Buffer {
    return execFileSync("git", ["archive", "--format=zip", commit], {
      cwd: this.dir,
      maxBuffer: 256 * 1024 * 1024,
      env: { PATH: process.env.PATH, HOME: this.dir, GIT_CONFIG_NOSYSTEM: "1" },
    });
  }
}
