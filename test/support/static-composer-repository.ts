import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { createHash } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import type { VersionEntry } from "../../src/composer/json-value.ts";
import { buildP2Document } from "../../src/composer/p2-document.ts";
import { buildZip } from "../builders/zip-builder.ts";
import { freePort } from "./free-port.ts";

export const NGINX_BIN = "/usr/sbin/nginx";

export function nginxAvailable(): boolean {
  return fs.existsSync(NGINX_BIN) && spawnSync(NGINX_BIN, ["-v"]).status === 0;
}

/** One version of a package of the static repository. */
export interface StaticVersion {
  readonly version: string;
  readonly versionNormalized: string;
  readonly require?: Record<string, string>;
  /** Writes this shasum instead of the zip's SHA-1 (a lying upstream). */
  readonly shasum?: string;
}

/**
 * A static Composer v2 repository (packages.json with metadata-url, minified p2 documents, zip
 * dists with their SHA-1) in a docroot, served by nginx on a loopback port, with an access log of
 * request paths. What ../shared/tools/composer-lab/make-static-repo.sh builds, generated here.
 */
export class StaticComposerRepository {
  readonly url: string;
  readonly #prefix: string;
  readonly #docroot: string;
  readonly #port: number;
  #nginx: ChildProcess | null = null;

  private constructor(prefix: string, port: number) {
    this.#prefix = prefix;
    this.#docroot = path.join(prefix, "www");
    this.#port = port;
    this.url = `http://127.0.0.1:${port}`;
    fs.mkdirSync(path.join(this.#docroot, "p2"), { recursive: true });
    fs.mkdirSync(path.join(prefix, "tmp"), { recursive: true });
    fs.writeFileSync(
      path.join(this.#docroot, "packages.json"),
      JSON.stringify({ packages: [], "metadata-url": "/p2/%package%.json" }),
    );
  }

  /** Adds keys to packages.json (`available-packages`, `metadata-changes-url`, ...). */
  setRootKeys(keys: Record<string, unknown>): void {
    fs.writeFileSync(
      path.join(this.#docroot, "packages.json"),
      JSON.stringify({ packages: [], "metadata-url": "/p2/%package%.json", ...keys }),
    );
  }

  static async create(prefix: string): Promise<StaticComposerRepository> {
    return new StaticComposerRepository(prefix, await freePort());
  }

  /** Writes the package's p2 document (newest version first, minified) and its dists. */
  addPackage(name: string, versions: readonly StaticVersion[]): void {
    const entries: VersionEntry[] = versions.map((version) => {
      const className = name.split("/")[1]?.replace(/[^A-Za-z]/g, "") ?? "Pkg";
      const namespace = `Upstream\\${className.charAt(0).toUpperCase()}${className.slice(1)}\\`;
      const composerJson = {
        name,
        version: version.version,
        autoload: { "psr-4": { [namespace]: "src/" } },
        require: version.require ?? {},
      };
      const zip = buildZip([
        { name: "composer.json", data: JSON.stringify(composerJson) },
        {
          name: "src/Marker.php",
          data: `<?php namespace ${namespace.slice(0, -1)}; class Marker { const V = '${version.version}'; }\n`,
        },
      ]);
      const file = `dists/${name}/${version.versionNormalized}.zip`;
      fs.mkdirSync(path.dirname(path.join(this.#docroot, file)), { recursive: true });
      fs.writeFileSync(path.join(this.#docroot, file), zip);
      const sha1 = createHash("sha1").update(zip).digest("hex");
      return {
        name,
        description: `Upstream package ${name}`,
        version: version.version,
        version_normalized: version.versionNormalized,
        license: ["MIT"],
        type: "library",
        dist: { type: "zip", url: `${this.url}/${file}`, reference: sha1, shasum: version.shasum ?? sha1 },
        autoload: composerJson.autoload,
        require: composerJson.require,
      };
    });
    const target = path.join(this.#docroot, "p2", `${name}.json`);
    fs.mkdirSync(path.dirname(target), { recursive: true });
    fs.writeFileSync(target, buildP2Document(name, entries));
  }

  /** Writes any bytes as a file of the docroot (a hostile document). */
  writeFile(relative: string, content: string | Uint8Array): void {
    const target = path.join(this.#docroot, relative);
    fs.mkdirSync(path.dirname(target), { recursive: true });
    fs.writeFileSync(target, content);
  }

  /** Request paths nginx has served (its access log), e.g. `/p2/acme/app.json`. */
  requestedPaths(): string[] {
    const log = path.join(this.#prefix, "access.log");
    if (!fs.existsSync(log)) return [];
    return fs
      .readFileSync(log, "utf8")
      .split("\n")
      .filter((line) => line !== "");
  }

  async start(): Promise<void> {
    const conf = path.join(this.#prefix, "nginx.conf");
    const p = this.#prefix;
    fs.writeFileSync(
      conf,
      `daemon off;
worker_processes 1;
pid ${p}/nginx.pid;
error_log ${p}/error.log warn;
events { worker_connections 256; }
http {
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    client_body_temp_path ${p}/tmp/body; proxy_temp_path ${p}/tmp/proxy;
    fastcgi_temp_path ${p}/tmp/fastcgi; uwsgi_temp_path ${p}/tmp/uwsgi; scgi_temp_path ${p}/tmp/scgi;
    log_format paths '$uri';
    access_log ${p}/access.log paths;
    server {
        listen 127.0.0.1:${this.#port};
        root ${this.#docroot};
        location / { try_files $uri =404; }
    }
}
`,
    );
    this.#nginx = spawn(NGINX_BIN, ["-p", p, "-c", conf], { stdio: ["ignore", "ignore", "inherit"] });
    const deadline = Date.now() + 10_000;
    for (;;) {
      try {
        const response = await fetch(`${this.url}/packages.json`);
        await response.body?.cancel();
        if (response.ok) return;
      } catch {
        // not listening yet
      }
      if (Date.now() > deadline) throw new Error("nginx did not start");
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  /** Stops nginx (SIGQUIT: graceful) and waits until it is gone. */
  async stop(): Promise<void> {
    const child = this.#nginx;
    if (child?.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once("exit", resolve));
    child.kill("SIGQUIT");
    await exited;
    this.#nginx = null;
  }
}
