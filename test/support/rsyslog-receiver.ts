import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import net from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { freePort } from "./free-port.ts";

const RSYSLOGD = "/usr/sbin/rsyslogd";
const GTLS_DRIVER = "/usr/lib/x86_64-linux-gnu/rsyslog/lmnsd_gtls.so";

/** Whether Debian's rsyslog (with rsyslog-gnutls) and the openssl CLI are installed. */
export function rsyslogAvailable(): boolean {
  return existsSync(RSYSLOGD) && existsSync(GTLS_DRIVER) && spawnSync("openssl", ["version"]).status === 0;
}

export type RsyslogListener = "tcp" | "tls";

/**
 * A real rsyslogd in the foreground on two loopback ports: imtcp in plain TCP, and imtcp with the
 * GnuTLS stream driver (a throwaway CA and server certificate made with openssl). Each listener
 * writes the raw message of what it receives (`%rawmsg%`, one per line) to its own file.
 */
export class RsyslogReceiver {
  readonly #process: ChildProcess;
  readonly #directory: string;
  readonly tcpUrl: string;
  readonly tlsUrl: string;
  /** The PEM file of the CA that signed the TLS listener's certificate (for 127.0.0.1 and localhost). */
  readonly caFile: string;

  private constructor(process: ChildProcess, directory: string, ports: { tcp: number; tls: number }) {
    this.#process = process;
    this.#directory = directory;
    this.tcpUrl = `tcp://127.0.0.1:${ports.tcp}`;
    this.tlsUrl = `tls://127.0.0.1:${ports.tls}`;
    this.caFile = path.join(directory, "ca.pem");
  }

  static async start(): Promise<RsyslogReceiver> {
    const directory = await mkdtemp(path.join(tmpdir(), "pb-rsyslog-"));
    makeCertificates(directory);
    const ports = { tcp: await freePort(), tls: await freePort() };
    const config = path.join(directory, "rsyslog.conf");
    await writeFile(config, rsyslogConfig(directory, ports));
    const child = spawn(RSYSLOGD, ["-n", "-f", config, "-i", path.join(directory, "rsyslogd.pid")], {
      stdio: ["ignore", "ignore", "pipe"],
    });
    const receiver = new RsyslogReceiver(child, directory, ports);
    let stderr = "";
    child.stderr.setEncoding("utf8");
    child.stderr.on("data", (chunk: string) => {
      stderr += chunk;
    });
    try {
      await listening(ports.tcp, child);
      await listening(ports.tls, child);
    } catch (error) {
      await receiver.stop();
      throw new Error(`rsyslogd did not start: ${(error as Error).message}\n${stderr}`, { cause: error });
    }
    return receiver;
  }

  /** The raw messages a listener wrote so far, waiting (up to `timeoutMs`) until there are `count`. */
  async received(listener: RsyslogListener, count: number, timeoutMs = 10_000): Promise<string[]> {
    const file = path.join(this.#directory, `${listener}.log`);
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const text = existsSync(file) ? await readFile(file, "utf8") : "";
      const lines = text.split("\n").filter((line) => line !== "");
      if (lines.length >= count || Date.now() > deadline) return lines;
      await sleep(20);
    }
  }

  async stop(): Promise<void> {
    if (this.#process.exitCode === null && this.#process.signalCode === null) {
      const exited = once(this.#process, "exit");
      this.#process.kill("SIGTERM");
      await exited;
    }
    await rm(this.#directory, { recursive: true, force: true });
  }
}

function makeCertificates(directory: string): void {
  const run = (...args: string[]): void => {
    const result = spawnSync("openssl", args, { cwd: directory, encoding: "utf8" });
    if (result.status !== 0) throw new Error(`openssl ${args[0] ?? ""} failed: ${result.stderr}`);
  };
  run(
    "req",
    "-x509",
    "-newkey",
    "rsa:2048",
    "-nodes",
    "-keyout",
    "ca.key",
    "-out",
    "ca.pem",
    "-days",
    "1",
    "-subj",
    "/CN=Test syslog CA",
  );
  run(
    "req",
    "-newkey",
    "rsa:2048",
    "-nodes",
    "-keyout",
    "server.key",
    "-out",
    "server.csr",
    "-subj",
    "/CN=localhost",
  );
  spawnSync("sh", ["-c", 'printf "subjectAltName=IP:127.0.0.1,DNS:localhost\\n" > san.cnf'], {
    cwd: directory,
  });
  run(
    "x509",
    "-req",
    "-in",
    "server.csr",
    "-CA",
    "ca.pem",
    "-CAkey",
    "ca.key",
    "-CAcreateserial",
    "-out",
    "server.pem",
    "-days",
    "1",
    "-extfile",
    "san.cnf",
  );
}

function rsyslogConfig(directory: string, ports: { tcp: number; tls: number }): string {
  const file = (name: string): string => JSON.stringify(path.join(directory, name));
  return `global(
  workDirectory=${JSON.stringify(directory)}
  maxMessageSize="2m"
  defaultNetstreamDriverCAFile=${file("ca.pem")}
  defaultNetstreamDriverCertFile=${file("server.pem")}
  defaultNetstreamDriverKeyFile=${file("server.key")}
)
module(load="imtcp")
template(name="raw" type="string" string="%rawmsg%\\n")
ruleset(name="plain") { action(type="omfile" file=${file("tcp.log")} template="raw") }
ruleset(name="secure") { action(type="omfile" file=${file("tls.log")} template="raw") }
input(type="imtcp" address="127.0.0.1" port="${ports.tcp}" ruleset="plain")
input(type="imtcp" address="127.0.0.1" port="${ports.tls}" ruleset="secure"
      streamDriver.name="gtls" streamDriver.mode="1" streamDriver.authMode="anon")
`;
}

/** Resolves once something accepts connections on the port; rejects if rsyslogd exits first. */
async function listening(port: number, child: ChildProcess): Promise<void> {
  for (let attempt = 0; attempt < 250; attempt++) {
    if (child.exitCode !== null) throw new Error(`rsyslogd exited with ${child.exitCode}`);
    const connected = await new Promise<boolean>((resolve) => {
      const socket = net.connect({ host: "127.0.0.1", port }, () => {
        socket.destroy();
        resolve(true);
      });
      socket.on("error", () => {
        resolve(false);
      });
    });
    if (connected) return;
    await sleep(20);
  }
  throw new Error(`nothing listens on ${port}`);
}
