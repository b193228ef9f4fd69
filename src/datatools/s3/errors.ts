/**
 * The S3 data tool's errors. Every class sets `name`, carries the S3 URL it is about (`url`) and the
 * operation, and accepts a `cause` (the SDK or file system error underneath).
 *
 * @module
 */

import { brandErrorClass, StepflowError } from '../../common/index.js';

/**
 * What the tool was doing when an error happened.
 *
 * @example
 * ```ts
 * if (err instanceof S3Error && err.operation === 'put') console.error(`upload of ${err.url} failed`);
 * ```
 */
export type S3Operation = 'get' | 'put' | 'info' | 'list' | 'config';

/**
 * Options every S3 error accepts.
 *
 * @example
 * ```ts
 * new S3NotFoundError('s3://b/k', { operation: 'get', cause: sdkError } satisfies S3ErrorOptions);
 * ```
 */
export interface S3ErrorOptions {
  /** The operation that failed. */
  readonly operation?: S3Operation;
  /** The error underneath (SDK, network or file system). */
  readonly cause?: unknown;
}

/**
 * Base class of every error the S3 data tool throws. `url` is the `s3://` URL involved (undefined for
 * configuration errors that concern no object).
 *
 * @example
 * ```ts
 * try {
 *   await s3.get('missing.csv');
 * } catch (err) {
 *   if (err instanceof S3Error) console.error(`${err.name} on ${err.url}: ${err.message}`);
 * }
 * ```
 */
export class S3Error extends StepflowError {
  static {
    brandErrorClass(S3Error, 'S3Error');
  }

  override readonly name: string = 'S3Error';
  /** The S3 URL the error is about. */
  readonly url: string | undefined;
  /** The operation that failed. */
  readonly operation: S3Operation | undefined;

  constructor(
    message: string,
    url: string | undefined,
    options: S3ErrorOptions & { readonly hint?: string } = {},
  ) {
    super(message, { cause: options.cause, hint: options.hint });
    this.url = url;
    this.operation = options.operation;
  }
}

/**
 * A URL or key the tool cannot use: not `s3://bucket/key`, or a relative key without an S3 root.
 *
 * @example
 * ```ts
 * throw new S3UrlError('data.csv', 'a relative key needs an S3 root: new S3({ run: this }) or new S3({ s3root })');
 * ```
 */
export class S3UrlError extends S3Error {
  static {
    brandErrorClass(S3UrlError, 'S3UrlError');
  }

  override readonly name: string = 'S3UrlError';
  constructor(url: string, problem: string, options: S3ErrorOptions = {}) {
    super(`Invalid S3 URL or key "${url}": ${problem}.`, url, options);
  }
}

/**
 * The tool is misconfigured or misused: `new S3({ run: this })` outside a running step, no
 * `METAFLOW_DATATOOLS_S3ROOT`, used after `close()`, or the AWS SDK cannot be loaded.
 *
 * @example
 * ```ts
 * throw new S3ConfigError('METAFLOW_DATATOOLS_S3ROOT is not set; set it to s3://bucket/prefix');
 * ```
 */
export class S3ConfigError extends S3Error {
  static {
    brandErrorClass(S3ConfigError, 'S3ConfigError');
  }

  override readonly name: string = 'S3ConfigError';
  constructor(message: string, options: S3ErrorOptions = {}) {
    super(message, undefined, { operation: 'config', ...options });
  }
}

/**
 * The object (or, for `info`, possibly its bucket) does not exist: HTTP 404.
 *
 * @example
 * ```ts
 * const obj = await s3.get('maybe.json', { returnMissing: true }); // no S3NotFoundError: obj.exists is false
 * ```
 */
export class S3NotFoundError extends S3Error {
  static {
    brandErrorClass(S3NotFoundError, 'S3NotFoundError');
  }

  override readonly name: string = 'S3NotFoundError';
  declare readonly url: string;
  constructor(url: string, options: S3ErrorOptions = {}) {
    const hint =
      'Check the key (and the S3 root); pass { returnMissing: true } to get an object with exists === false ' +
      'instead of an error.';
    super(`S3 object not found: ${url}. ${hint}`, url, { ...options, hint });
  }
}

/**
 * The credentials in use may not read or write the object: HTTP 403.
 *
 * @example
 * ```ts
 * if (err instanceof S3AccessDeniedError) console.error(`no access to ${err.url}`);
 * ```
 */
export class S3AccessDeniedError extends S3Error {
  static {
    brandErrorClass(S3AccessDeniedError, 'S3AccessDeniedError');
  }

  override readonly name: string = 'S3AccessDeniedError';
  declare readonly url: string;
  constructor(url: string, options: S3ErrorOptions = {}) {
    const hint =
      'Check the AWS credentials in use (AWS_PROFILE, AWS_ACCESS_KEY_ID, the task role) and the bucket policy.';
    super(`Access denied to ${url} (${options.operation ?? 'request'}). ${hint}`, url, { ...options, hint });
  }
}

/**
 * The requested byte range is outside the object: HTTP 416, or a range that is empty or negative.
 *
 * @example
 * ```ts
 * await s3.get({ key: 'small.bin', offset: 1_000_000, length: 10 }); // throws S3InvalidRangeError
 * ```
 */
export class S3InvalidRangeError extends S3Error {
  static {
    brandErrorClass(S3InvalidRangeError, 'S3InvalidRangeError');
  }

  override readonly name: string = 'S3InvalidRangeError';
  declare readonly url: string;
  /** The HTTP Range header asked for, e.g. `bytes=10-19`. */
  readonly range: string | undefined;
  constructor(url: string, range: string | undefined, options: S3ErrorOptions & { detail?: string } = {}) {
    const hint = 'Use offset < size and length > 0, or a negative length for the last bytes.';
    super(
      `Invalid byte range ${range ?? '(none)'} for ${url}: ${options.detail ?? 'the range starts past the end of the object'}. ${hint}`,
      url,
      { ...options, hint },
    );
    this.range = range;
  }
}

/**
 * The bucket does not exist.
 *
 * @example
 * ```ts
 * if (err instanceof S3NoSuchBucketError) console.error(`create the bucket of ${err.url} first`);
 * ```
 */
export class S3NoSuchBucketError extends S3Error {
  static {
    brandErrorClass(S3NoSuchBucketError, 'S3NoSuchBucketError');
  }

  override readonly name: string = 'S3NoSuchBucketError';
  declare readonly url: string;
  /** The bucket that does not exist. */
  readonly bucket: string;
  constructor(url: string, bucket: string, options: S3ErrorOptions = {}) {
    const hint =
      'Check the bucket name, the S3 root (METAFLOW_DATATOOLS_S3ROOT) and, for S3-compatible stores, ' +
      'METAFLOW_S3_ENDPOINT_URL.';
    super(`The S3 bucket "${bucket}" does not exist (for ${url}). ${hint}`, url, { ...options, hint });
    this.bucket = bucket;
  }
}

/**
 * A download ran out of local disk space (ENOSPC) in the temp dir.
 *
 * @example
 * ```ts
 * if (err instanceof S3InsufficientDiskSpaceError) console.error(`${err.tempdir} is full`);
 * ```
 */
export class S3InsufficientDiskSpaceError extends S3Error {
  static {
    brandErrorClass(S3InsufficientDiskSpaceError, 'S3InsufficientDiskSpaceError');
  }

  override readonly name: string = 'S3InsufficientDiskSpaceError';
  declare readonly url: string;
  /** The temp dir the download was written to. */
  readonly tempdir: string;
  constructor(url: string, tempdir: string, options: S3ErrorOptions = {}) {
    const hint =
      'Free space there, point METAFLOW_TEMPDIR (or the tmproot option) at a larger disk, or raise @batch ' +
      'tmpfsSize.';
    super(`Out of disk space while downloading ${url} into ${tempdir}. ${hint}`, url, { ...options, hint });
    this.tempdir = tempdir;
  }
}

/**
 * A request kept failing with transient errors (throttling, 5xx, network) after every retry.
 *
 * @example
 * ```ts
 * if (err instanceof S3RetriesExhaustedError) console.error(`${err.url}: gave up after ${err.attempts} attempts`);
 * ```
 */
export class S3RetriesExhaustedError extends S3Error {
  static {
    brandErrorClass(S3RetriesExhaustedError, 'S3RetriesExhaustedError');
  }

  override readonly name: string = 'S3RetriesExhaustedError';
  declare readonly url: string;
  /** How many attempts were made. */
  readonly attempts: number;
  constructor(url: string, attempts: number, options: S3ErrorOptions & { detail?: string } = {}) {
    super(
      `S3 ${options.operation ?? 'request'} of ${url} failed ${attempts} times with transient errors ` +
        `(last: ${options.detail ?? 'unknown'}). S3 or the network is overloaded; retry later or raise ` +
        'METAFLOW_S3_RETRY_COUNT.',
      url,
      options,
    );
    this.attempts = attempts;
  }
}
