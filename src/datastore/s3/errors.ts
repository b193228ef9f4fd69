/**
 * Errors of the S3 storage backend: an S3 or network failure turned into a {@link StorageError} that
 * names the bucket and says what to check. Credentials never appear in a message.
 *
 * @module
 */

import { awsErrorCode, awsHttpStatus } from '../../aws/index.js';
import { brandErrorClass } from '../../common/index.js';
import { StorageError } from '../errors.js';

/** Where a failed request went, for the explanation. */
export interface S3ErrorContext {
  /** The bucket of the datastore root. */
  readonly bucket: string;
  /** The full object key (or list prefix) in the bucket. */
  readonly objectKey: string;
  /** `METAFLOW_S3_ENDPOINT_URL`, when one is set. */
  readonly endpoint?: string;
  /** The client's region. */
  readonly region: string;
  /** How many attempts the client makes before giving up. */
  readonly maxAttempts: number;
}

/**
 * An S3 request of the S3 storage backend failed for good (after the client's retries).
 *
 * @example
 * ```ts
 * try {
 *   await storage.get('MyFlow/1/_meta/run.json');
 * } catch (err) {
 *   if (err instanceof S3StorageError && err.code === 'NoSuchBucket') console.error(err.message);
 * }
 * ```
 */
export class S3StorageError extends StorageError {
  static {
    brandErrorClass(S3StorageError, 'S3StorageError');
  }

  override readonly name: string = 'S3StorageError';
  /** The bucket of the datastore root. */
  readonly bucket: string;
  /** The S3 error code (`NoSuchBucket`, `AccessDenied`, ...) or the network error code (`ECONNREFUSED`). */
  readonly code: string;
  /** The HTTP status of the last response, when there was one. */
  readonly status: number | undefined;

  constructor(
    operation: string,
    key: string,
    root: string,
    fields: {
      readonly bucket: string;
      readonly code: string;
      readonly status?: number;
      readonly text: string;
    },
    options?: { readonly cause?: unknown },
  ) {
    super(operation, key, root, { cause: options?.cause, detail: fields.text });
    this.message = `S3 ${operation} failed for key "${key}" under ${root}: ${fields.text}`;
    this.bucket = fields.bucket;
    this.code = fields.code;
    this.status = fields.status;
  }
}

const CREDENTIAL_CODES = new Set([
  'InvalidAccessKeyId',
  'SignatureDoesNotMatch',
  'ExpiredToken',
  'ExpiredTokenException',
  'InvalidToken',
  'TokenRefreshRequired',
  'RequestExpired',
]);
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'TimeoutError',
  'RequestTimeout',
  'NetworkingError',
]);

/** The S3 or network error code of an SDK error (its `name`/`Code`, or a Node `code`). */
export function s3ErrorCode(err: unknown): string {
  return awsErrorCode(err) ?? 'Unknown';
}

/** The HTTP status of an SDK error, when it got a response. */
export function s3ErrorStatus(err: unknown): number | undefined {
  return awsHttpStatus(err);
}

/** True for "the object is not there" (not for a missing bucket). */
export function isNotFound(err: unknown): boolean {
  const code = s3ErrorCode(err);
  return (
    code === 'NoSuchKey' || code === 'NotFound' || (code !== 'NoSuchBucket' && s3ErrorStatus(err) === 404)
  );
}

/**
 * Turns an SDK or network error into an {@link S3StorageError} explaining what to check.
 *
 * @example
 * ```ts
 * throw toS3StorageError('read', key, storage.root, err, { bucket, objectKey, region, maxAttempts: 7 });
 * ```
 */
export function toS3StorageError(
  operation: string,
  key: string,
  root: string,
  err: unknown,
  ctx: S3ErrorContext,
): S3StorageError {
  if (err instanceof S3StorageError) return err;
  const code = s3ErrorCode(err);
  const status = s3ErrorStatus(err);
  const text = explain(code, status, err, ctx);
  return new S3StorageError(operation, key, root, { bucket: ctx.bucket, code, status, text }, { cause: err });
}

function explain(code: string, status: number | undefined, err: unknown, ctx: S3ErrorContext): string {
  const where = `s3://${ctx.bucket}/${ctx.objectKey}`;
  const endpoint = ctx.endpoint ? `the endpoint ${ctx.endpoint}` : `AWS S3 in region ${ctx.region}`;
  const rootVars = '--datastore-root or METAFLOW_DATASTORE_SYSROOT_S3';
  if (code === 'NoSuchBucket') {
    return (
      `the bucket "${ctx.bucket}" does not exist on ${endpoint}. Create it, or point ${rootVars} at an ` +
      'existing bucket (and check METAFLOW_S3_ENDPOINT_URL and AWS_REGION)'
    );
  }
  if (code === 'AccessDenied' || code === 'AllAccessDisabled' || code === 'Forbidden' || status === 403) {
    return (
      `access to ${where} was denied (${code}). Check which AWS credentials are in use (AWS_PROFILE, ` +
      'AWS_ACCESS_KEY_ID, or the instance or job role) and that their IAM policy allows s3:GetObject, ' +
      `s3:PutObject, s3:DeleteObject and s3:ListBucket on the bucket "${ctx.bucket}" (plus kms:Decrypt and ` +
      'kms:GenerateDataKey when METAFLOW_S3_SERVER_SIDE_ENCRYPTION is aws:kms)'
    );
  }
  if (CREDENTIAL_CODES.has(code)) {
    return (
      `S3 rejected the AWS credentials (${code}) for the bucket "${ctx.bucket}". Refresh or fix them ` +
      '(AWS_PROFILE, AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN), and check the clock'
    );
  }
  if (
    code === 'CredentialsProviderError' ||
    (err as Error | undefined)?.name === 'CredentialsProviderError'
  ) {
    return (
      `no AWS credentials were found to reach the bucket "${ctx.bucket}". Set AWS_PROFILE, or ` +
      'AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or run where an instance or job role is available'
    );
  }
  if (NETWORK_CODES.has(code)) {
    return (
      `cannot reach ${endpoint} for the bucket "${ctx.bucket}" (${code}, after ${ctx.maxAttempts} attempts). ` +
      'Check the network, AWS_REGION and METAFLOW_S3_ENDPOINT_URL'
    );
  }
  if (code === 'PermanentRedirect' || code === 'AuthorizationHeaderMalformed' || status === 301) {
    return (
      `the bucket "${ctx.bucket}" is not in region ${ctx.region} (${code}). Set AWS_REGION to the ` +
      "bucket's region"
    );
  }
  if (code === 'InvalidBucketName') {
    return `"${ctx.bucket}" is not a valid bucket name. Fix ${rootVars} (s3://bucket/prefix)`;
  }
  if (code === 'SlowDown' || code.startsWith('Throttl') || (status !== undefined && status >= 500)) {
    return (
      `S3 kept failing for ${where} (${code}${status ? `, HTTP ${status}` : ''}) after ${ctx.maxAttempts} ` +
      'attempts: it is throttling or unavailable. Retry later, or raise METAFLOW_S3_RETRY_COUNT'
    );
  }
  const message = err instanceof Error ? err.message : String(err);
  return (
    `${code}${status ? ` (HTTP ${status})` : ''} for ${where}: ${message}. Check the datastore root ` +
    `(${rootVars}) and the AWS settings`
  );
}
