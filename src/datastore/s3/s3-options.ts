/**
 * The settings of the S3 storage backend: the `s3://bucket/prefix` root, the client options, and how
 * they are read from the environment (`METAFLOW_S3_*`, `AWS_REGION`).
 *
 * @module
 */

import { awsRegion } from '../../aws/index.js';
import { InvalidKeyError } from '../errors.js';

/** Server-side encryption modes S3 applies to every stored object. */
export type S3ServerSideEncryption = 'AES256' | 'aws:kms';

/**
 * Static AWS credentials (tests, or a caller that has its own). Without them the AWS SDK's default
 * chain is used (environment, profile, instance or job role).
 *
 * @example
 * ```ts
 * const credentials: S3Credentials = { accessKeyId: 'test', secretAccessKey: 'test' };
 * ```
 */
export interface S3Credentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string;
}

/**
 * Options of an {@link S3Storage}. Every field is optional; the defaults suit AWS S3.
 *
 * @example
 * ```ts
 * const options: S3StorageOptions = { endpoint: 'http://127.0.0.1:5000', sse: 'AES256', concurrency: 8 };
 * ```
 */
export interface S3StorageOptions {
  /** An S3-compatible endpoint (moto, MinIO); path-style addressing is then used. */
  readonly endpoint?: string;
  /** The region (default `us-east-1`). */
  readonly region?: string;
  /** Server-side encryption requested on every PutObject and CreateMultipartUpload. */
  readonly sse?: S3ServerSideEncryption;
  /** Attempts per request, with adaptive retries on throttling, 5xx and network errors (default 7). */
  readonly maxAttempts?: number;
  /** Parts uploaded at once by a multipart upload (default 4). */
  readonly concurrency?: number;
  /** Bodies larger than this go up as a multipart upload (default 16 MiB). */
  readonly multipartThreshold?: number;
  /** The part size of multipart uploads (default 16 MiB; at least 5 MiB, as S3 requires). */
  readonly partSize?: number;
  /** The page size of ListObjectsV2 (default 1000, S3's maximum). */
  readonly listPageSize?: number;
  /** How long a synchronous read may take before it fails (default 15 minutes). */
  readonly syncTimeoutMs?: number;
  /** Static credentials; without them the AWS SDK's default credential chain is used. */
  readonly credentials?: S3Credentials;
}

/** A parsed `s3://bucket/prefix` root. */
export interface S3Root {
  readonly bucket: string;
  /** The key prefix without leading or trailing `/` (empty for the bucket's top). */
  readonly prefix: string;
}

/** 16 MiB: the default multipart threshold and part size. */
export const DEFAULT_PART_SIZE = 16 * 1024 * 1024;
/** S3's smallest part (all but the last). */
export const MIN_PART_SIZE = 5 * 1024 * 1024;
/** Attempts per request when `METAFLOW_S3_RETRY_COUNT` is not set. */
export const DEFAULT_MAX_ATTEMPTS = 7;

/**
 * Parses a datastore root `s3://bucket[/prefix]`.
 *
 * @example
 * ```ts
 * parseS3Root('s3://my-bucket/stepflow/'); // { bucket: 'my-bucket', prefix: 'stepflow' }
 * ```
 */
export function parseS3Root(root: string): S3Root {
  const match = /^s3:\/\/([^/]+)(?:\/(.*))?$/.exec(root ?? '');
  if (!match) {
    throw new InvalidKeyError(
      'S3 datastore root',
      String(root),
      'it must look like s3://bucket/prefix; set it with --datastore-root or METAFLOW_DATASTORE_SYSROOT_S3',
    );
  }
  const bucket = match[1];
  if (!/^[a-z0-9][a-z0-9.\-_]{1,254}$/i.test(bucket)) {
    throw new InvalidKeyError(
      'S3 bucket name',
      bucket,
      'a bucket name is 3 to 63 lowercase letters, digits, "." and "-"; give the root as s3://<bucket>/<prefix>',
    );
  }
  const prefix = (match[2] ?? '').replace(/^\/+|\/+$/g, '');
  if (prefix.split('/').some((s) => s === '.' || s === '..' || (prefix !== '' && s === ''))) {
    throw new InvalidKeyError(
      'S3 datastore root',
      root,
      'its prefix must not hold empty, "." or ".." segments',
    );
  }
  return { bucket, prefix };
}

/**
 * Reads the S3 client options from the environment: `AWS_REGION`/`AWS_DEFAULT_REGION`,
 * `METAFLOW_S3_ENDPOINT_URL`, `METAFLOW_S3_SERVER_SIDE_ENCRYPTION` (`AES256` or `aws:kms`) and
 * `METAFLOW_S3_RETRY_COUNT` (retries; attempts = retries + 1).
 *
 * @example
 * ```ts
 * s3OptionsFromEnv({ METAFLOW_S3_ENDPOINT_URL: 'http://127.0.0.1:5000', METAFLOW_S3_RETRY_COUNT: '2' });
 * // { region: 'us-east-1', endpoint: 'http://127.0.0.1:5000', maxAttempts: 3 }
 * ```
 */
export function s3OptionsFromEnv(env: NodeJS.ProcessEnv = process.env): S3StorageOptions {
  const region = awsRegion(env);
  const endpoint = env.METAFLOW_S3_ENDPOINT_URL || undefined;
  let maxAttempts = DEFAULT_MAX_ATTEMPTS;
  const retries = env.METAFLOW_S3_RETRY_COUNT;
  if (retries !== undefined && retries !== '') {
    const n = Number(retries);
    if (!Number.isInteger(n) || n < 0) {
      throw new InvalidKeyError(
        'METAFLOW_S3_RETRY_COUNT',
        retries,
        'it must be a whole number of retries (>= 0)',
      );
    }
    maxAttempts = n + 1;
  }
  const sse = parseSse(env.METAFLOW_S3_SERVER_SIDE_ENCRYPTION);
  return { region, maxAttempts, ...(endpoint ? { endpoint } : {}), ...(sse ? { sse } : {}) };
}

function parseSse(value: string | undefined): S3ServerSideEncryption | undefined {
  if (value === undefined || value === '') return undefined;
  const lower = value.toLowerCase();
  if (lower === 'aes256') return 'AES256';
  if (lower === 'aws:kms') return 'aws:kms';
  throw new InvalidKeyError('METAFLOW_S3_SERVER_SIDE_ENCRYPTION', value, 'use AES256 or aws:kms');
}
