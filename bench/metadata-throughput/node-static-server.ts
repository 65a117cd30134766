/**
 * A reference point, not a product: the smallest Node server that does what the nginx baseline
 * does. One process, node:http, every file of DOCROOT in memory (with its .gz), the same token
 * check as a string compare, Last-Modified, no logging, no framework, no database. It shows what
 * a single Node process can reach on this machine, i.e. the ceiling for the broker.
 *
 *   BENCH_TOKEN=... node bench/metadata-throughput/node-static-server.ts DOCROOT PORT
 */
import fs from "node:fs";
import http from "node:http";
import path from "node:path";

interface StaticFile {
  readonly body: Buffer;
  readonly gzip: Buffer | undefined;
  readonly lastModified: string;
}

const [docroot, portText] = process.argv.slice(2);
const token = process.env.BENCH_TOKEN ?? "";
if (docroot === undefined || portText === undefined || token === "") {
  process.stderr.write("usage: BENCH_TOKEN=... node node-static-server.ts DOCROOT PORT\n");
  process.exit(2);
}

const files = new Map<string, StaticFile>();
for (const entry of fs.readdirSync(docroot, { recursive: true, withFileTypes: true })) {
  if (!entry.isFile() || !entry.name.endsWith(".json")) continue;
  const file = path.join(entry.parentPath, entry.name);
  const gz = `${file}.gz`;
  files.set(`/${path.relative(docroot, file).split(path.sep).join("/")}`, {
    body: fs.readFileSync(file),
    gzip: fs.existsSync(gz) ? fs.readFileSync(gz) : undefined,
    lastModified: fs.statSync(file).mtime.toUTCString(),
  });
}
const accepted = new Set([`Bearer ${token}`, `Basic ${Buffer.from(`token:${token}`).toString("base64")}`]);

const server = http.createServer((request, response) => {
  if (!accepted.has(request.headers.authorization ?? "")) {
    response.writeHead(401, { "www-authenticate": 'Basic realm="bench"', "content-length": 0 });
    response.end();
    return;
  }
  const file = files.get(request.url ?? "");
  if (file === undefined) {
    response.writeHead(404, { "content-length": 0 });
    response.end();
    return;
  }
  const wantsGzip = (request.headers["accept-encoding"] ?? "").includes("gzip");
  const body = wantsGzip && file.gzip !== undefined ? file.gzip : file.body;
  const gzip = body !== file.body;
  response.writeHead(200, {
    "content-type": "application/json",
    "content-length": body.length,
    "last-modified": file.lastModified,
    vary: "Accept-Encoding",
    ...(gzip ? { "content-encoding": "gzip" } : {}),
  });
  response.end(body);
});
server.keepAliveTimeout = 65_000;
server.listen(Number(portText), "127.0.0.1");
process.once("SIGTERM", () => {
  server.close();
  server.closeAllConnections();
});
