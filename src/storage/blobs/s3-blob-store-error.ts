/** What each S3 error code usually means for the operator. */
const HINTS: Readonly<Record<string, string>> = {
  NoSuchBucket: "the bucket does not exist: create it, or check PB_BLOB_URL",
  InvalidAccessKeyId: "the access key is not known: check PB_S3_ACCESS_KEY_ID",
  SignatureDoesNotMatch: "the secret key does not match the access key: check PB_S3_SECRET_ACCESS_KEY",
  AccessDenied:
    "the credentials were refused or may not do this: check PB_S3_ACCESS_KEY_ID, PB_S3_SECRET_ACCESS_KEY and the bucket policy",
  InvalidBucketName: "check PB_BLOB_URL",
  PermanentRedirect: "the bucket is in another region: check PB_S3_REGION",
  AuthorizationHeaderMalformed: "check PB_S3_REGION",
  ECONNREFUSED: "nothing listens at the endpoint: check PB_S3_ENDPOINT",
  ENOTFOUND: "the endpoint's host name does not resolve: check PB_S3_ENDPOINT",
  TimeoutError: "the object store did not answer in time",
};

/**
 * A failed call to the object store. The message names the operation, the bucket, the object key
 * and S3's error code, never a credential; the SDK's error is not kept, as its request carries the
 * signed headers.
 */
export class S3BlobStoreError extends Error {
  override readonly name = "S3BlobStoreError";
  /** S3's error code (`NoSuchBucket`, `AccessDenied`, ...) or the network error's code. */
  readonly code: string;
  readonly status: number | undefined;

  constructor(operation: string, bucket: string, key: string, error: unknown) {
    const status = httpStatus(error);
    const code = codeOf(error, status);
    const hint = HINTS[code];
    super(
      `S3 ${operation} of "${key}" in bucket "${bucket}" failed: ${code}` +
        `${status === undefined ? "" : ` (HTTP ${status})`}${hint === undefined ? "" : `; ${hint}`}`,
    );
    this.code = code;
    this.status = status;
  }
}

/** Answers to HEAD have no body, so no S3 code: the status says what happened. */
const CODE_OF_STATUS: Readonly<Partial<Record<number, string>>> = {
  301: "PermanentRedirect",
  400: "BadRequest",
  403: "AccessDenied",
  404: "NotFound",
};

function codeOf(error: unknown, status: number | undefined): string {
  const code = errorCode(error);
  if (code !== "Unknown" && code !== "UnknownError") return code;
  return (status === undefined ? undefined : CODE_OF_STATUS[status]) ?? code;
}

/** S3's error code, a network error's code (ECONNREFUSED), or the error's class name. */
export function errorCode(error: unknown): string {
  if (!(error instanceof Error)) return "UnknownError";
  if ("code" in error && typeof error.code === "string" && error.code !== "") return error.code;
  if ("Code" in error && typeof error.Code === "string" && error.Code !== "") return error.Code;
  return error.name === "Error" ? "UnknownError" : error.name;
}

export function httpStatus(error: unknown): number | undefined {
  if (typeof error !== "object" || error === null || !("$metadata" in error)) return undefined;
  const metadata = error.$metadata;
  if (typeof metadata !== "object" || metadata === null || !("httpStatusCode" in metadata)) return undefined;
  return typeof metadata.httpStatusCode === "number" ? metadata.httpStatusCode : undefined;
}
