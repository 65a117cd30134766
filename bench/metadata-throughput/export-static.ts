import { createHash } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { httpGet } from "./processes.ts";

export interface ExportedFile {
  /** URL path, e.g. /p2/bench/pkg001.json */
  readonly path: string;
  readonly bytes: number;
  readonly gzipBytes: number;
  readonly sha256: string;
  readonly gzipSha256: string;
}

export interface StaticExport {
  readonly files: readonly ExportedFile[];
  /** Every /p2/ path (tagged and ~dev documents), in name order. */
  readonly p2Paths: readonly string[];
}

/**
 * Fetches /packages.json and every p2 document (tagged and ~dev) through the broker, with the
 * token, and writes the exact bytes into `docroot` under the same paths. The gzip body the broker
 * sends is stored beside each file as `.gz`, for nginx's gzip_static, so both servers send the
 * very same bytes. File times are set to the broker's Last-Modified.
 */
export async function exportStatic(brokerUrl: string, token: string, docroot: string): Promise<StaticExport> {
  const auth = { authorization: `Bearer ${token}` };
  const root = await fetchDocument(brokerUrl, "/packages.json", auth, docroot);
  if (root === undefined) throw new Error("the broker has no /packages.json");
  const names = availablePackages(fs.readFileSync(path.join(docroot, "packages.json"), "utf8"));
  const files: ExportedFile[] = [root];
  const p2Paths: string[] = [];
  for (const name of names) {
    for (const suffix of ["", "~dev"]) {
      const file = await fetchDocument(brokerUrl, `/p2/${name}${suffix}.json`, auth, docroot);
      if (file === undefined) continue;
      files.push(file);
      p2Paths.push(file.path);
    }
  }
  return { files, p2Paths };
}

async function fetchDocument(
  brokerUrl: string,
  urlPath: string,
  auth: Record<string, string>,
  docroot: string,
): Promise<ExportedFile | undefined> {
  const plain = await httpGet(`${brokerUrl}${urlPath}`, auth);
  if (plain.status === 404) return undefined;
  if (plain.status !== 200) throw new Error(`GET ${urlPath} from the broker: HTTP ${plain.status}`);
  const gzip = await httpGet(`${brokerUrl}${urlPath}`, { ...auth, "accept-encoding": "gzip" });
  if (gzip.status !== 200 || gzip.headers["content-encoding"] !== "gzip") {
    throw new Error(`GET ${urlPath} with Accept-Encoding: gzip did not answer a gzip body`);
  }
  const target = path.join(docroot, ...urlPath.split("/").filter(Boolean));
  fs.mkdirSync(path.dirname(target), { recursive: true });
  fs.writeFileSync(target, plain.body);
  fs.writeFileSync(`${target}.gz`, gzip.body);
  const lastModified = plain.headers["last-modified"];
  if (lastModified !== undefined) {
    const time = new Date(lastModified);
    fs.utimesSync(target, time, time);
    fs.utimesSync(`${target}.gz`, time, time);
  }
  return {
    path: urlPath,
    bytes: plain.body.length,
    gzipBytes: gzip.body.length,
    sha256: sha256(plain.body),
    gzipSha256: sha256(gzip.body),
  };
}

function availablePackages(packagesJson: string): string[] {
  const parsed = JSON.parse(packagesJson) as { "available-packages"?: unknown };
  const names = parsed["available-packages"];
  if (!Array.isArray(names) || !names.every((name): name is string => typeof name === "string")) {
    throw new Error("packages.json has no available-packages list");
  }
  return names;
}

export function sha256(bytes: Buffer): string {
  return createHash("sha256").update(bytes).digest("hex");
}

/**
 * Checks that `serverUrl` sends the exported bytes for every file with the token (and the same gzip
 * bytes when `sameGzipBytes`), and refuses a request without it: both sides must do the same work.
 */
export async function verifyServer(
  label: string,
  serverUrl: string,
  token: string,
  exported: StaticExport,
  sameGzipBytes: boolean,
): Promise<void> {
  const auth = { authorization: `Bearer ${token}` };
  for (const file of exported.files) {
    const plain = await httpGet(`${serverUrl}${file.path}`, auth);
    if (plain.status !== 200 || sha256(plain.body) !== file.sha256) {
      throw new Error(`${label}: ${file.path} differs from the export (HTTP ${plain.status})`);
    }
    const gzip = await httpGet(`${serverUrl}${file.path}`, { ...auth, "accept-encoding": "gzip" });
    if (gzip.status !== 200 || gzip.headers["content-encoding"] !== "gzip") {
      throw new Error(`${label}: ${file.path} is not sent gzipped (HTTP ${gzip.status})`);
    }
    if (sameGzipBytes && sha256(gzip.body) !== file.gzipSha256) {
      throw new Error(`${label}: the gzip body of ${file.path} differs from the export`);
    }
  }
  const first = exported.p2Paths[0];
  if (first === undefined) throw new Error("no p2 documents were exported");
  const anonymous = await httpGet(`${serverUrl}${first}`);
  if (anonymous.status !== 401)
    throw new Error(`${label}: ${first} without a token gave ${anonymous.status}`);
  const wrong = await httpGet(`${serverUrl}${first}`, { authorization: `Bearer ${token}x` });
  if (wrong.status !== 401) throw new Error(`${label}: ${first} with a wrong token gave ${wrong.status}`);
}
