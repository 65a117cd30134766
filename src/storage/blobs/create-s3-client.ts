import { S3Client } from "@aws-sdk/client-s3";

export interface S3ConnectionOptions {
  /** `https://minio.example.com:9000`; undefined: AWS's endpoint for the region. */
  readonly endpoint?: string | undefined;
  readonly region: string;
  /** `https://endpoint/bucket/key` rather than `https://bucket.endpoint/key` (MinIO, Ceph, s3rver). */
  readonly forcePathStyle: boolean;
  /** Undefined: the SDK's default chain (environment, profile, container or instance role). */
  readonly credentials?: { readonly accessKeyId: string; readonly secretAccessKey: string } | undefined;
  /** Time limit to open a connection, ms. */
  readonly connectionTimeoutMs?: number;
  /** Time a request may wait for the next bytes of the answer, ms (an idle limit, not a total). */
  readonly requestTimeoutMs?: number;
  /** Tries of one call, the first included; the SDK backs off between them. */
  readonly maxAttempts?: number;
}

const DEFAULT_CONNECTION_TIMEOUT_MS = 5_000;
const DEFAULT_REQUEST_TIMEOUT_MS = 60_000;
const DEFAULT_MAX_ATTEMPTS = 3;

/**
 * An S3 client for the blob store, with bounded timeouts and retries so that an object store that
 * is down fails a call instead of hanging it. Checksums are sent only where an operation requires
 * them: the store sets its own (SHA-256 of a whole object, MD5 of a part), which S3, MinIO, R2 and
 * Ceph all verify; the SDK's default CRC32 trailers are not understood by every S3-compatible
 * server.
 */
export function createS3Client(options: S3ConnectionOptions): S3Client {
  return new S3Client({
    region: options.region,
    forcePathStyle: options.forcePathStyle,
    ...(options.endpoint === undefined ? {} : { endpoint: options.endpoint }),
    ...(options.credentials === undefined ? {} : { credentials: { ...options.credentials } }),
    maxAttempts: options.maxAttempts ?? DEFAULT_MAX_ATTEMPTS,
    requestChecksumCalculation: "WHEN_REQUIRED",
    responseChecksumValidation: "WHEN_REQUIRED",
    requestHandler: {
      connectionTimeout: options.connectionTimeoutMs ?? DEFAULT_CONNECTION_TIMEOUT_MS,
      requestTimeout: options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS,
    },
  });
}
