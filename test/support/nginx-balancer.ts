import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { freePort } from "./free-port.ts";
import { NGINX_BIN } from "./static-composer-repository.ts";

/**
 * nginx on a loopback port as the load balancer in front of several broker nodes: round robin,
 * a node that refuses connections is taken out for 2 s, and an idempotent request (GET, HEAD)
 * whose node fails before answering is retried on the next one, as a production balancer does.
 * A POST is never retried: a client whose node died gets 502 and decides.
 */
export class NginxBalancer {
  readonly url: string;
  readonly port: number;
  readonly #prefix: string;
  readonly #child: ChildProcess;

  private constructor(port: number, prefix: string, child: ChildProcess) {
    this.port = port;
    this.url = `http://127.0.0.1:${String(port)}`;
    this.#prefix = prefix;
    this.#child = child;
  }

  /** Starts nginx balancing over `backends` (`http://127.0.0.1:PORT` each), listening on `port`. */
  static async start(backends: readonly string[], port?: number): Promise<NginxBalancer> {
    const chosen = port ?? (await freePort());
    const p = fs.mkdtempSync(path.join(os.tmpdir(), "pb-balancer-"));
    fs.writeFileSync(path.join(p, "nginx.conf"), balancerConfig(p, chosen, backends));
    const child = spawn(NGINX_BIN, ["-p", p, "-c", path.join(p, "nginx.conf")], {
      stdio: ["ignore", "ignore", "inherit"],
    });
    const balancer = new NginxBalancer(chosen, p, child);
    const deadline = Date.now() + 10_000;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`nginx exited with ${String(child.exitCode)}`);
      try {
        const response = await fetch(`${balancer.url}/health`);
        await response.body?.cancel();
        if (response.ok) return balancer;
      } catch {
        // not listening yet
      }
      if (Date.now() > deadline) throw new Error("the nginx balancer did not start");
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  /** Stops nginx (SIGQUIT: graceful) and removes its folder. */
  async stop(): Promise<void> {
    const child = this.#child;
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((resolve) => child.once("exit", resolve));
      child.kill("SIGQUIT");
      await exited;
    }
    fs.rmSync(this.#prefix, { recursive: true, force: true });
  }
}

/**
 * The nginx.conf of a balancer in `prefix` (its pid, logs and temp folders go there; `tmp/` is
 * created) listening on 127.0.0.1:`port` in front of `backends` (`http://127.0.0.1:PORT` each).
 */
export function balancerConfig(prefix: string, port: number, backends: readonly string[]): string {
  const p = prefix;
  fs.mkdirSync(path.join(p, "tmp"), { recursive: true });
  const servers = backends
    .map((backend) => `        server ${new URL(backend).host} max_fails=1 fail_timeout=2s;`)
    .join("\n");
  return `daemon off;
worker_processes 1;
pid ${p}/nginx.pid;
error_log ${p}/error.log error;
events { worker_connections 1024; }
http {
    client_body_temp_path ${p}/tmp/body; proxy_temp_path ${p}/tmp/proxy;
    fastcgi_temp_path ${p}/tmp/fastcgi; uwsgi_temp_path ${p}/tmp/uwsgi; scgi_temp_path ${p}/tmp/scgi;
    access_log off;
    client_max_body_size 64m;
    upstream brokers {
${servers}
        keepalive 32;
    }
    server {
        listen 127.0.0.1:${String(port)};
        location / {
            proxy_pass http://brokers;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host $http_host;
            proxy_set_header X-Forwarded-For $remote_addr;
            proxy_connect_timeout 2s;
            proxy_next_upstream error timeout;
            proxy_request_buffering off;
        }
    }
}
`;
}
