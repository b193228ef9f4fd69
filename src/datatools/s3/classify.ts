/**
 * Sorting failures: which are transient (retried) and which map to a named, permanent error.
 *
 * @module
 */

import {
  S3AccessDeniedError,
  S3Error,
  S3InsufficientDiskSpaceError,
  S3InvalidRangeError,
  S3NoSuchBucketError,
  S3NotFoundError,
  type S3Operation,
} from './errors.js';

/** S3 error codes that mean "try again later" (as Metaflow's s3op). */
const TRANSIENT_CODES = new Set([
  'SlowDown',
  'RequestTimeout',
  'RequestTimeoutException',
  'Throttling',
  'ThrottlingException',
  'ThrottledException',
  'TooManyRequests',
  'TooManyRequestsException',
  'RequestLimitExceeded',
  'RequestThrottled',
  'RequestThrottledException',
  'ProvisionedThroughputExceededException',
  'BandwidthLimitExceeded',
  'InternalError',
  'ServiceUnavailable',
  'EC2ThrottledException',
  'PriorRequestNotComplete',
  'TimeoutError',
  'RequestTimeTooSkewed',
  'IncompleteBody',
  'TruncatedBody',
]);

/** HTTP statuses that are transient. */
const TRANSIENT_STATUS = new Set([408, 429, 500, 502, 503, 504]);

/** Node network error codes that are transient. */
const TRANSIENT_SYSCALL = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ENETUNREACH',
  'EHOSTUNREACH',
  'UND_ERR_SOCKET',
  'ERR_STREAM_PREMATURE_CLOSE',
]);

interface ErrorShape {
  name?: unknown;
  code?: unknown;
  Code?: unknown;
  message?: unknown;
  $metadata?: { httpStatusCode?: unknown };
  $response?: { statusCode?: unknown };
  $retryable?: unknown;
}

function shape(err: unknown): ErrorShape {
  return typeof err === 'object' && err !== null ? (err as ErrorShape) : {};
}

/**
 * The HTTP status of an SDK error, if it got a response.
 *
 * @example
 * ```ts
 * httpStatus(err); // 404
 * ```
 */
export function httpStatus(err: unknown): number | undefined {
  const s = shape(err);
  const status = s.$metadata?.httpStatusCode ?? s.$response?.statusCode;
  return typeof status === 'number' ? status : undefined;
}

/**
 * The error code: the S3 code (`NoSuchKey`, `SlowDown`, ...) or the Node code (`ECONNRESET`).
 *
 * @example
 * ```ts
 * errorCode(err); // 'NoSuchKey'
 * ```
 */
export function errorCode(err: unknown): string | undefined {
  const s = shape(err);
  for (const v of [s.Code, s.code, s.name]) if (typeof v === 'string' && v !== 'Error') return v;
  return undefined;
}

/**
 * A short description for messages: `503 SlowDown`, `ECONNRESET`, ...
 *
 * @example
 * ```ts
 * describeFailure(err); // '503 SlowDown: Please reduce your request rate.'
 * ```
 */
export function describeFailure(err: unknown): string {
  const status = httpStatus(err);
  const code = errorCode(err);
  const message = shape(err).message;
  const head = [status, code].filter((v) => v !== undefined).join(' ');
  const text = typeof message === 'string' && message !== code ? message : '';
  return [head, text].filter(Boolean).join(': ') || String(err);
}

/**
 * True when a failure is worth retrying: throttling, 5xx, timeouts and network errors. Permanent
 * failures (403, 404, 416, bad requests, full disk) are not.
 *
 * @example
 * ```ts
 * isTransient({ name: 'SlowDown', $metadata: { httpStatusCode: 503 } }); // true
 * isTransient({ name: 'NoSuchKey', $metadata: { httpStatusCode: 404 } }); // false
 * ```
 */
export function isTransient(err: unknown): boolean {
  if (err instanceof S3Error) return false;
  if (err instanceof TransientDataError) return true;
  const status = httpStatus(err);
  const code = errorCode(err);
  if (code !== undefined && (TRANSIENT_CODES.has(code) || TRANSIENT_SYSCALL.has(code))) return true;
  if (status !== undefined) return TRANSIENT_STATUS.has(status);
  // No HTTP response at all: a connection-level failure the SDK flagged, or a broken stream.
  if (shape(err).$retryable) return true;
  const message = String(shape(err).message ?? '');
  return /socket hang up|premature close|aborted|ECONNRESET|EPIPE/i.test(message);
}

/**
 * A download or upload whose bytes came out wrong (short body, size mismatch): retried like a
 * network error.
 *
 * @example
 * ```ts
 * throw new TransientDataError('expected 1048576 bytes, got 65536');
 * ```
 */
export class TransientDataError extends Error {
  override readonly name = 'TransientDataError';
}

/**
 * Maps a permanent failure to the tool's named error for `url`; anything unknown becomes an
 * {@link S3Error} with the SDK's code and message.
 *
 * @example
 * ```ts
 * throw toS3Error(err, 's3://bucket/key', { operation: 'get', bucket: 'bucket' });
 * ```
 */
export function toS3Error(
  err: unknown,
  url: string,
  context: { operation: S3Operation; bucket: string; range?: string; tempdir?: string },
): S3Error {
  if (err instanceof S3Error) return err;
  const options = { operation: context.operation, cause: err };
  const code = errorCode(err);
  const status = httpStatus(err);
  if (code === 'ENOSPC' || code === 'EDQUOT') {
    return new S3InsufficientDiskSpaceError(url, context.tempdir ?? '(temp dir)', options);
  }
  if (code === 'NoSuchBucket') return new S3NoSuchBucketError(url, context.bucket, options);
  if (code === 'NoSuchKey' || code === 'NotFound' || status === 404) return new S3NotFoundError(url, options);
  if (code === 'AccessDenied' || code === 'Forbidden' || status === 403) {
    return new S3AccessDeniedError(url, options);
  }
  if (code === 'InvalidRange' || status === 416) {
    return new S3InvalidRangeError(url, context.range, options);
  }
  return new S3Error(`S3 ${context.operation} of ${url} failed: ${describeFailure(err)}.`, url, options);
}
