/**
 * Reading an AWS SDK (or network) error: its code, its HTTP status, and what kind of failure it is —
 * throttling, transient (worth retrying), or a missing permission. The one place these lists live; the
 * S3 datastore, the `S3` data tool and `@batch` all classify through here.
 *
 * @module
 */

/** Codes of throttling answers (any service). */
const THROTTLING_CODES = new Set([
  'TooManyRequestsException',
  'ThrottlingException',
  'Throttling',
  'ThrottledException',
  'TooManyRequests',
  'RequestLimitExceeded',
  'RequestThrottled',
  'RequestThrottledException',
  'ProvisionedThroughputExceededException',
  'BandwidthLimitExceeded',
  'EC2ThrottledException',
  'SlowDown',
]);

/** Codes that mean "try again later" besides throttling (as Metaflow's s3op and botocore). */
const TRANSIENT_CODES = new Set([
  'RequestTimeout',
  'RequestTimeoutException',
  'InternalError',
  'InternalFailure',
  'ServiceUnavailable',
  'ServiceUnavailableException',
  'PriorRequestNotComplete',
  'TimeoutError',
  'RequestTimeTooSkewed',
  'IncompleteBody',
  'TruncatedBody',
]);

/** HTTP statuses that are transient. */
const TRANSIENT_STATUS = new Set([408, 429, 500, 502, 503, 504]);

/** HTTP statuses of a server failure (the call may have had its effect). */
const SERVER_STATUS = new Set([500, 502, 503, 504]);

/** Node and undici network error codes (no answer came). */
const NETWORK_CODES = new Set([
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

/** Codes of a refused permission (IAM or an SCP), any service. */
const PERMISSION_CODES = new Set([
  'AccessDenied',
  'AccessDeniedException',
  'UnauthorizedOperation',
  'UnauthorizedException',
  'UnrecognizedClientException',
  'AuthorizationError',
  'NotAuthorized',
]);

interface ErrorShape {
  name?: unknown;
  code?: unknown;
  Code?: unknown;
  message?: unknown;
  errors?: unknown;
  $metadata?: { httpStatusCode?: unknown };
  $response?: { statusCode?: unknown };
  $retryable?: { throttling?: unknown } | unknown;
}

function shape(err: unknown): ErrorShape {
  return typeof err === 'object' && err !== null ? (err as ErrorShape) : {};
}

/**
 * The HTTP status of an SDK error, if it got a response.
 *
 * @example
 * ```ts
 * awsHttpStatus({ $metadata: { httpStatusCode: 404 } }); // 404
 * ```
 */
export function awsHttpStatus(err: unknown): number | undefined {
  const s = shape(err);
  const status = s.$metadata?.httpStatusCode ?? s.$response?.statusCode;
  return typeof status === 'number' ? status : undefined;
}

/**
 * Every code an error carries, most specific first: a Node `code` (`ECONNRESET`), the first nested
 * error's code (an `AggregateError` of connection attempts), the service's `Code`, the SDK's `name`
 * (not the bare `Error`), then any other `code`.
 *
 * @example
 * ```ts
 * awsErrorCodes({ name: 'NoSuchKey', Code: 'NoSuchKey' }); // ['NoSuchKey']
 * ```
 */
export function awsErrorCodes(err: unknown): string[] {
  const s = shape(err);
  const out: string[] = [];
  const add = (v: unknown) => {
    if (typeof v === 'string' && v !== '' && v !== 'Error' && !out.includes(v)) out.push(v);
  };
  if (typeof s.code === 'string' && /^E[A-Z_]+$/.test(s.code)) add(s.code);
  if (Array.isArray(s.errors)) add((s.errors[0] as { code?: unknown } | undefined)?.code);
  add(s.Code);
  add(s.name);
  add(s.code);
  return out;
}

/**
 * The error's code (the first of {@link awsErrorCodes}): `NoSuchKey`, `AccessDeniedException`,
 * `ECONNRESET`, ...
 *
 * @example
 * ```ts
 * awsErrorCode(Object.assign(new Error('x'), { code: 'ECONNRESET' })); // 'ECONNRESET'
 * ```
 */
export function awsErrorCode(err: unknown): string | undefined {
  return awsErrorCodes(err)[0];
}

/**
 * A short description for messages: `503 SlowDown: Please reduce your request rate.`
 *
 * @example
 * ```ts
 * describeAwsFailure({ name: 'SlowDown', message: 'Reduce your rate', $metadata: { httpStatusCode: 503 } });
 * // '503 SlowDown: Reduce your rate'
 * ```
 */
export function describeAwsFailure(err: unknown): string {
  const status = awsHttpStatus(err);
  const code = awsErrorCode(err);
  const message = shape(err).message;
  const head = [status, code].filter((v) => v !== undefined).join(' ');
  const text = typeof message === 'string' && message !== code ? message : '';
  return [head, text].filter(Boolean).join(': ') || String(err);
}

/**
 * True for a throttling answer: HTTP 429, a throttling code, or the SDK's `$retryable.throttling`.
 *
 * @example
 * ```ts
 * isThrottling({ name: 'TooManyRequestsException', $metadata: { httpStatusCode: 429 } }); // true
 * ```
 */
export function isThrottling(err: unknown): boolean {
  const s = shape(err);
  if (awsHttpStatus(err) === 429) return true;
  if ((s.$retryable as { throttling?: unknown } | undefined)?.throttling === true) return true;
  return awsErrorCodes(err).some((c) => THROTTLING_CODES.has(c));
}

/**
 * True for a failure with no answer at all: a network error code, or the SDK's `TimeoutError`.
 *
 * @example
 * ```ts
 * isNetworkFailure(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' })); // true
 * ```
 */
export function isNetworkFailure(err: unknown): boolean {
  if (awsHttpStatus(err) !== undefined) return false;
  return awsErrorCodes(err).some((c) => NETWORK_CODES.has(c) || c === 'TimeoutError');
}

/**
 * True when a failure is worth retrying: throttling, 408/5xx, timeouts and network errors. Permanent
 * failures (403, 404, 416, bad requests) are not.
 *
 * @example
 * ```ts
 * isTransientAwsError({ name: 'SlowDown', $metadata: { httpStatusCode: 503 } }); // true
 * isTransientAwsError({ name: 'NoSuchKey', $metadata: { httpStatusCode: 404 } }); // false
 * ```
 */
export function isTransientAwsError(err: unknown): boolean {
  const codes = awsErrorCodes(err);
  if (codes.some((c) => THROTTLING_CODES.has(c) || TRANSIENT_CODES.has(c) || NETWORK_CODES.has(c)))
    return true;
  const status = awsHttpStatus(err);
  if (status !== undefined) return TRANSIENT_STATUS.has(status);
  // No HTTP response at all: a connection-level failure the SDK flagged, or a broken stream.
  if (shape(err).$retryable) return true;
  const message = String(shape(err).message ?? '');
  return /socket hang up|premature close|aborted|ECONNRESET|EPIPE/i.test(message);
}

/**
 * True for a refused permission: `AccessDenied(Exception)`, `UnauthorizedOperation`, ..., or HTTP 403
 * saying "not authorized" / "access denied".
 *
 * @example
 * ```ts
 * isPermissionDenied({ name: 'AccessDeniedException', message: 'User is not authorized to perform: batch:DescribeJobs' }); // true
 * ```
 */
export function isPermissionDenied(err: unknown): boolean {
  if (awsErrorCodes(err).some((c) => PERMISSION_CODES.has(c))) return true;
  const message = String(shape(err).message ?? '');
  return awsHttpStatus(err) === 403 && /not authorized|access denied|forbidden/i.test(message);
}

/**
 * How an AWS error may be retried: `throttled` (429 and throttling codes), `server` (HTTP
 * 500/502/503/504: the call may have had its effect), `network` (no answer), or `undefined` (not
 * retried: the error is the answer).
 *
 * @example
 * ```ts
 * const kind: RetryKind = 'server';
 * ```
 */
export type RetryKind = 'throttled' | 'server' | 'network';

/**
 * Classifies an error thrown by an AWS SDK call for a retry loop (see {@link RetryKind}).
 *
 * @example
 * ```ts
 * retryKind({ name: 'InternalError', $metadata: { httpStatusCode: 503 } }); // 'server'
 * retryKind(new Error('ClientException: job queue does not exist')); // undefined
 * ```
 */
export function retryKind(err: unknown): RetryKind | undefined {
  if (!err || typeof err !== 'object') return undefined;
  if (isThrottling(err)) return 'throttled';
  const status = awsHttpStatus(err);
  if (status !== undefined && SERVER_STATUS.has(status)) return 'server';
  if (isNetworkFailure(err)) return 'network';
  return undefined;
}

/**
 * A short description of an AWS error for a notice: `TooManyRequestsException (HTTP 429)`.
 *
 * @example
 * ```ts
 * describeAwsError({ name: 'TooManyRequestsException', $metadata: { httpStatusCode: 429 } });
 * ```
 */
export function describeAwsError(err: unknown): string {
  const status = awsHttpStatus(err);
  return `${awsErrorCode(err) ?? 'an error'}${status ? ` (HTTP ${status})` : ''}`;
}
