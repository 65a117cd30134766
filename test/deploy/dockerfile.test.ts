import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { REPO_ROOT, readRepoFile } from "./deploy-files.ts";

interface Instruction {
  readonly keyword: string;
  readonly args: string;
}

/** The Dockerfile's instructions, continuation lines joined, comments dropped. */
function instructions(text: string): Instruction[] {
  const joined = text
    .split("\n")
    .filter((line) => !line.trimStart().startsWith("#"))
    .join("\n")
    .replace(/\\\n/g, " ");
  return joined
    .split("\n")
    .map((line) => line.trim())
    .filter((line) => line !== "")
    .map((line) => {
      const space = line.indexOf(" ");
      return { keyword: line.slice(0, space).toUpperCase(), args: line.slice(space + 1).trim() };
    });
}

const dockerfile = instructions(readRepoFile("deploy/Dockerfile"));
const finalStage = dockerfile.slice(dockerfile.findLastIndex((entry) => entry.keyword === "FROM"));
const nodeImage = dockerfile.find((entry) => entry.keyword === "ARG" && entry.args.startsWith("NODE_IMAGE="));

function inFinalStage(keyword: string): Instruction[] {
  return finalStage.filter((entry) => entry.keyword === keyword);
}

describe("deploy/Dockerfile", () => {
  it("builds in one stage and runs from another, both on a pinned Node 24 image", () => {
    const stages = dockerfile.filter((entry) => entry.keyword === "FROM");
    expect(stages.map((entry) => entry.args)).toEqual([
      "${NODE_IMAGE} AS builder",
      "${NODE_IMAGE} AS runtime",
    ]);
    expect(nodeImage?.args).toMatch(/^NODE_IMAGE=node:24[.-][a-z0-9.-]+$/);
    expect(readRepoFile("deploy/Dockerfile")).not.toMatch(/:latest\b/);
  });

  it("copies into the builder every folder `npm run build` compiles, and lets them into the context", () => {
    const build = (JSON.parse(readRepoFile("package.json")) as { scripts: { build: string } }).scripts.build;
    const copied = dockerfile.filter((entry) => entry.keyword === "COPY").map((entry) => entry.args);
    const ignore = readRepoFile("deploy/Dockerfile.dockerignore");
    for (const folder of ["src", ...(/vite build ui\b/.test(build) ? ["ui"] : [])]) {
      expect(copied, folder).toContain(`${folder} ./${folder}`);
      expect(ignore, folder).toContain(`!${folder}/`);
    }
  });

  it("compiles with the build tools in the builder only, and keeps production dependencies", () => {
    const builder = dockerfile.slice(
      0,
      dockerfile.findLastIndex((entry) => entry.keyword === "FROM"),
    );
    const builderRuns = builder.filter((entry) => entry.keyword === "RUN").map((entry) => entry.args);
    expect(builderRuns.join("\n")).toMatch(/npm ci/);
    expect(builderRuns.join("\n")).toMatch(/npm run build/);
    expect(builderRuns.join("\n")).toMatch(/npm prune --omit=dev/);
    expect(builderRuns.join("\n")).toMatch(/g\+\+/);
    const runtimeRuns = inFinalStage("RUN")
      .map((entry) => entry.args)
      .join("\n");
    expect(runtimeRuns).not.toMatch(/g\+\+|make|python3/);
    // git sources run the git CLI (src/sources/git/git-cli-mirror.ts), over ssh with deploy keys.
    expect(runtimeRuns).toMatch(/\bgit\b/);
    expect(runtimeRuns).toMatch(/openssh-client/);
  });

  it("runs as a fixed non-root user, with the data folder as a volume", () => {
    const user = inFinalStage("USER");
    expect(user).toHaveLength(1);
    const [uid, gid] = user[0]!.args.split(":").map(Number);
    expect(uid).toBeGreaterThan(0);
    expect(gid).toBeGreaterThan(0);
    const env = inFinalStage("ENV")
      .map((entry) => entry.args)
      .join(" ");
    expect(env).toMatch(/PB_DATA_DIR=\/data\b/);
    expect(inFinalStage("VOLUME").map((entry) => entry.args)).toEqual(['["/data"]']);
    expect(inFinalStage("EXPOSE").map((entry) => entry.args)).toEqual(["8080"]);
  });

  it("checks /health with node itself, and starts through the entry point", () => {
    const healthcheck = inFinalStage("HEALTHCHECK");
    expect(healthcheck).toHaveLength(1);
    expect(healthcheck[0]!.args).toMatch(/CMD \["node", "-e", ".*\/health/);
    expect(healthcheck[0]!.args).not.toMatch(/curl|wget/);
    expect(inFinalStage("ENTRYPOINT")[0]?.args).toBe(
      '["/usr/bin/tini", "--", "/usr/local/bin/docker-entrypoint.sh"]',
    );
    expect(inFinalStage("CMD")[0]?.args).toBe('["serve"]');
  });

  it("copies only files that exist and that the build context lets through", () => {
    const ignore = readRepoFile("deploy/Dockerfile.dockerignore")
      .split("\n")
      .filter((line) => line !== "" && !line.startsWith("#"));
    expect(ignore[0]).toBe("**");
    const allowed = ignore
      .filter((line) => line.startsWith("!"))
      .map((line) => line.slice(1).replace(/\/$/, ""));
    const copies = dockerfile.filter((entry) => entry.keyword === "COPY" && !entry.args.includes("--from="));
    expect(copies.length).toBeGreaterThan(0);
    for (const copy of copies) {
      const words = copy.args.split(/\s+/).filter((word) => !word.startsWith("--"));
      for (const source of words.slice(0, -1)) {
        expect(fs.existsSync(path.join(REPO_ROOT, source)), source).toBe(true);
        expect(allowed, source).toContain(source.replace(/\/$/, ""));
      }
    }
  });
});
