/**
 * Loading `@aws-sdk/client-s3` lazily, outside of code package bundles, and building its client.
 *
 * The SDK is loaded through `createRequire`, which esbuild does not follow: a task bundle never
 * carries the SDK (about 3 MB), and a process that only uses the local datastore never loads it
 * (about 150 ms). The package is resolved from this module's file, i.e. from a task bundle's folder
 * upward; when that fails, from the path in `STEPFLOW_S3_SDK_PATH`, which the first process that
 * loaded the SDK sets so that its child task processes find the same copy; then from the working
 * directory. It is loaded with
 * `require` (its CommonJS build): about twice as fast as `import()` of the same file, which makes
 * Node scan the 500 KB module for its export names.
 *
 * @module
 */

import type { S3Client, S3ClientConfig } from '@aws-sdk/client-s3';
import {
  AwsSdkMissingError,
  awsRegion,
  quietly,
  requireAwsPackage,
  resolveAwsPackage,
  S3_SDK_PACKAGE,
  SDK_PATH_ENV,
} from '../../aws/index.js';
import { DatastoreError } from '../errors.js';
import type { S3StorageOptions } from './s3-options.js';

export { quietly, quietSdkEnv, SDK_PATH_ENV } from '../../aws/index.js';

/** The `@aws-sdk/client-s3` module. */
export type S3Sdk = typeof import('@aws-sdk/client-s3');

/**
 * Loads `@aws-sdk/client-s3` once per process; resolves to the module and the file it came from.
 *
 * @example
 * ```ts
 * const { sdk } = await loadS3Sdk();
 * const client = new sdk.S3Client({ region: 'us-east-1' });
 * ```
 */
export async function loadS3Sdk(): Promise<{ sdk: S3Sdk; path: string }> {
  return requireS3Sdk();
}

/**
 * {@link loadS3Sdk}, synchronously: the one place stepflow loads the S3 SDK (the datastore, the `S3` data
 * tool and the `@batch` launcher all find the same copy, also in a Batch container, where
 * `STEPFLOW_S3_SDK_PATH` names the bundled SDK of the code package), through the shared loader of
 * `src/aws/`. Throws a {@link DatastoreError} with install advice when no copy can be found.
 *
 * @example
 * ```ts
 * const { sdk, path } = requireS3Sdk();
 * ```
 */
export function requireS3Sdk(): { sdk: S3Sdk; path: string } {
  let entry: { module: S3Sdk; path: string };
  try {
    entry = requireAwsPackage<S3Sdk>(S3_SDK_PACKAGE);
  } catch (err) {
    throw sdkMissing(err instanceof AwsSdkMissingError ? err.failures : [String(err)], err);
  }
  if (typeof entry.module?.S3Client !== 'function')
    throw sdkMissing([`${entry.path} does not export S3Client`]);
  return { sdk: entry.module, path: entry.path };
}

/**
 * The path of `@aws-sdk/client-s3`'s CommonJS entry, resolved synchronously: from this module's
 * location (a task bundle's folder upward), else `STEPFLOW_S3_SDK_PATH`, else the working directory.
 *
 * @example
 * ```ts
 * const file = resolveS3SdkPath(); // '/…/node_modules/@aws-sdk/client-s3/dist-cjs/index.js'
 * ```
 */
export function resolveS3SdkPath(): string {
  try {
    return resolveAwsPackage(S3_SDK_PACKAGE);
  } catch (err) {
    throw sdkMissing(err instanceof AwsSdkMissingError ? err.failures : [String(err)], err);
  }
}

function sdkMissing(failures: readonly string[], cause?: unknown): DatastoreError {
  return new DatastoreError(
    `The S3 datastore needs the package ${S3_SDK_PACKAGE}, which cannot be loaded (${failures.join('; ')}). ` +
      `Install it beside the flow (npm install ${S3_SDK_PACKAGE}) or in the image that runs the task, or ` +
      `set ${SDK_PATH_ENV} to the path of its entry module.`,
    { cause },
  );
}

/**
 * The plain (structured-cloneable) client configuration of some options: adaptive retries, the
 * endpoint with path-style addressing, the region (a bucket in another region is followed).
 *
 * @example
 * ```ts
 * new sdk.S3Client(s3ClientConfig({ endpoint: 'http://127.0.0.1:5000' }));
 * ```
 */
export function s3ClientConfig(options: S3StorageOptions): S3ClientConfig {
  return {
    region: options.region ?? awsRegion(),
    retryMode: 'adaptive',
    maxAttempts: options.maxAttempts ?? 7,
    followRegionRedirects: true,
    // A connection that never opens, or an answer that stalls mid-body, fails (and is retried) instead of
    // hanging the task: 10 s to connect, 2 min without a byte (an idle timeout, not a limit on big transfers).
    requestHandler: { connectionTimeout: 10_000, socketTimeout: 120_000 },
    ...(options.endpoint ? { endpoint: options.endpoint, forcePathStyle: true } : {}),
    ...(options.credentials
      ? {
          credentials: {
            accessKeyId: options.credentials.accessKeyId,
            secretAccessKey: options.credentials.secretAccessKey,
            ...(options.credentials.sessionToken ? { sessionToken: options.credentials.sessionToken } : {}),
          },
        }
      : {}),
  };
}

/**
 * Creates an S3 client for some options (loading the SDK on first use).
 *
 * @example
 * ```ts
 * const { sdk, client } = await createS3Client({ region: 'eu-west-1' });
 * ```
 */
export async function createS3Client(options: S3StorageOptions): Promise<{ sdk: S3Sdk; client: S3Client }> {
  const { sdk } = await loadS3Sdk();
  return { sdk, client: quietly(() => new sdk.S3Client(s3ClientConfig(options))) };
}
