/**
 * Sorting failures: which are transient (retried) and which map to a named, permanent error.
 *
 * @module
 */

import { awsErrorCode, awsHttpStatus, describeAwsFailure, isTransientAwsError } from '../../aws/index.js';
import { brandErrorClass, StepflowError } from '../../common/errors.js';
import {
  S3AccessDeniedError,
  S3Error,
  S3InsufficientDiskSpaceError,
  S3InvalidRangeError,
  S3NoSuchBucketError,
  S3NotFoundError,
  type S3Operation,
} from './errors.js';

/**
 * The HTTP status of an SDK error, if it got a response (the shared reading of `src/aws/`).
 *
 * @example
 * ```ts
 * httpStatus(err); // 404
 * ```
 */
export const httpStatus: (err: unknown) => number | undefined = awsHttpStatus;

/**
 * The error code: the S3 code (`NoSuchKey`, `SlowDown`, ...) or the Node code (`ECONNRESET`).
 *
 * @example
 * ```ts
 * errorCode(err); // 'NoSuchKey'
 * ```
 */
export const errorCode: (err: unknown) => string | undefined = awsErrorCode;

/**
 * A short description for messages: `503 SlowDown`, `ECONNRESET`, ...
 *
 * @example
 * ```ts
 * describeFailure(err); // '503 SlowDown: Please reduce your request rate.'
 * ```
 */
export const describeFailure: (err: unknown) => string = describeAwsFailure;

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
  return isTransientAwsError(err);
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
export class TransientDataError extends StepflowError {
  static {
    brandErrorClass(TransientDataError, 'TransientDataError');
  }

  override readonly name: string = 'TransientDataError';
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
