import fs from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import S3rver from "s3rver";
import { freePort } from "./free-port.ts";

/** The key pair s3rver knows; any other access key id is refused with InvalidAccessKeyId. */
const ACCESS_KEY_ID = "S3RVER";
const SECRET_ACCESS_KEY = "S3RVER";

export interface S3TestServer {
  /** `http://127.0.0.1:PORT`: use path-style addressing. */
  readonly endpoint: string;
  readonly bucket: string;
  readonly credentials: { readonly accessKeyId: string; readonly secretAccessKey: string };
  stop(): Promise<void>;
}

/**
 * An S3-protocol server (s3rver) on a loopback port, storing into a temporary folder, with one
 * empty bucket. s3rver answers AbortMultipartUpload with 405 and ListMultipartUploads with
 * NotImplemented; this harness answers both itself from s3rver's folder (an abort removes the
 * upload's parts, as S3 does), so that tests use only standard S3 calls, as they would on MinIO.
 */
export async function startS3Server(bucket = "package-broker-test"): Promise<S3TestServer> {
  const port = await freePort();
  const directory = fs.mkdtempSync(path.join(os.tmpdir(), "pb-s3-"));
  const s3rver = new S3rver({ directory, silent: true, configureBuckets: [{ name: bucket, configs: [] }] });
  await s3rver.configureBuckets();
  const handle = s3rver.callback();
  const uploadsOf = (name: string): string => path.join(directory, name, "._S3rver_uploads");
  const server = http.createServer((request, response) => {
    const url = new URL(request.url ?? "/", "http://localhost");
    const uploadId = url.searchParams.get("uploadId");
    const [, bucketName = ""] = url.pathname.split("/");
    if (request.method === "DELETE" && uploadId !== null && /^[0-9a-f-]+$/i.test(uploadId)) {
      fs.rmSync(path.join(uploadsOf(bucketName), uploadId), { recursive: true, force: true });
      response.writeHead(204).end();
      return;
    }
    if (request.method === "GET" && url.searchParams.has("uploads") && /^[a-z0-9.-]+$/.test(bucketName)) {
      const body = listMultipartUploads(
        uploadsOf(bucketName),
        bucketName,
        url.searchParams.get("prefix") ?? "",
      );
      response.writeHead(200, { "content-type": "application/xml" }).end(body);
      return;
    }
    handle(request, response);
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", resolve);
  });
  return {
    endpoint: `http://127.0.0.1:${port}`,
    bucket,
    credentials: { accessKeyId: ACCESS_KEY_ID, secretAccessKey: SECRET_ACCESS_KEY },
    stop: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) =>
        server.close(() => {
          resolve();
        }),
      );
      fs.rmSync(directory, { recursive: true, force: true });
    },
  };
}

/** ListMultipartUploadsResult for the uploads s3rver keeps in `folder` (`<uploadId>/key`). */
function listMultipartUploads(folder: string, bucket: string, prefix: string): string {
  const uploads = fs.existsSync(folder)
    ? fs
        .readdirSync(folder)
        .map((uploadId) => ({ uploadId, key: fs.readFileSync(path.join(folder, uploadId, "key"), "utf8") }))
        .filter(({ key }) => key.startsWith(prefix))
    : [];
  const escape = (text: string): string =>
    text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    '<ListMultipartUploadsResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">',
    `<Bucket>${escape(bucket)}</Bucket><Prefix>${escape(prefix)}</Prefix>`,
    "<MaxUploads>1000</MaxUploads><IsTruncated>false</IsTruncated>",
    ...uploads.map(
      ({ uploadId, key }) =>
        `<Upload><Key>${escape(key)}</Key><UploadId>${escape(uploadId)}</UploadId></Upload>`,
    ),
    "</ListMultipartUploadsResult>",
  ].join("");
}
