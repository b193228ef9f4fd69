/**
 * Loading the AWS SDK lazily and making the S3 client.
 *
 * The SDK is loaded by the datastore's loader (`src/datastore/s3/sdk.ts`), with `createRequire` and a
 * specifier esbuild cannot see: task bundles neither parse nor carry it, and the data tool, the datastore
 * and `@batch` all use the same copy.
 *
 * @module
 */

import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import type * as SdkModule from '@aws-sdk/client-s3';
import { awsRegion, quietly } from '../../aws/index.js';
import { errorMessage } from '../../common/index.js';
import { type S3Sdk as DatastoreS3Sdk, requireS3Sdk } from '../../datastore/index.js';
import { S3ConfigError } from './errors.js';

/**
 * The `@aws-sdk/client-s3` module.
 *
 * @example
 * ```ts
 * const sdk: S3Sdk = loadSdk();
 * ```
 */
export type S3Sdk = DatastoreS3Sdk;
/**
 * The SDK's S3 client.
 *
 * @example
 * ```ts
 * const client: S3SdkClient = await createClient(loadSdk(), { maxSockets: 8 });
 * ```
 */
export type S3SdkClient = SdkModule.S3Client;

/**
 * Loads `@aws-sdk/client-s3` once, where the datastore finds it (`requireS3Sdk`: beside this module or
 * the task bundle, else `STEPFLOW_S3_SDK_PATH` — the SDK a Batch job's code package carries — else the
 * working directory). Throws {@link S3ConfigError} with install advice when there is none.
 *
 * @example
 * ```ts
 * const { S3Client } = loadSdk();
 * ```
 */
export function loadSdk(): S3Sdk {
  try {
    return requireS3Sdk().sdk;
  } catch (err) {
    throw new S3ConfigError(errorMessage(err), { cause: err });
  }
}

type Middleware = Parameters<S3SdkClient['middlewareStack']['addRelativeTo']>[0];

/**
 * How to make the client.
 *
 * @example
 * ```ts
 * const options: ClientOptions = { endpoint: 'http://127.0.0.1:5000', maxSockets: 64 };
 * ```
 */
export interface ClientOptions {
  /** An S3-compatible endpoint; path-style addressing is used with it. */
  readonly endpoint?: string;
  /** The region; default `AWS_REGION`, `AWS_DEFAULT_REGION`, the AWS config file, else `us-east-1`. */
  readonly region?: string;
  /** Sockets per host: the tool's concurrency. */
  readonly maxSockets: number;
}

/**
 * Makes an S3 client for the tool. The SDK's own retries are off (`maxAttempts: 1`): the tool
 * retries transient failures itself, so a 403 or 404 is never retried and every retry is counted.
 *
 * @example
 * ```ts
 * const client = await createClient(loadSdk(), { maxSockets: 64 });
 * ```
 */
export async function createClient(sdk: S3Sdk, options: ClientOptions): Promise<S3SdkClient> {
  const agent = { keepAlive: true, maxSockets: options.maxSockets, maxFreeSockets: options.maxSockets };
  const make = (region: string) =>
    quietly(
      () =>
        new sdk.S3Client({
          region,
          endpoint: options.endpoint,
          forcePathStyle: options.endpoint !== undefined,
          followRegionRedirects: true,
          maxAttempts: 1,
          requestHandler: {
            httpAgent: new HttpAgent(agent),
            httpsAgent: new HttpsAgent(agent),
            connectionTimeout: 10_000,
            socketTimeout: 120_000,
          },
        }),
    );
  // AWS_REGION, AWS_DEFAULT_REGION, the AWS config file, else us-east-1 (S3 answers any region's requests).
  const client = make(options.region ?? awsRegion());
  skipPayloadHashWithChecksum(client);
  return client;
}

/**
 * Uploads carry a CRC32 checksum header (the SDK's default), which is signed and which S3 verifies, so
 * the body is also covered by a SigV4 SHA-256 only at a cost: ~1 ms of CPU per MiB. Such requests are
 * signed with `x-amz-content-sha256: UNSIGNED-PAYLOAD` instead, as the SDK does for streamed uploads.
 */
function skipPayloadHashWithChecksum(client: S3SdkClient): void {
  type Args = { request: { headers?: Record<string, string>; body?: unknown } };
  const middleware = (next: (args: Args) => Promise<unknown>) => async (args: Args) => {
    const { headers, body } = args.request;
    if (headers && body && Object.keys(headers).some((h) => /^x-amz-checksum-/i.test(h))) {
      headers['x-amz-content-sha256'] = 'UNSIGNED-PAYLOAD';
    }
    return next(args);
  };
  client.middlewareStack.addRelativeTo(middleware as unknown as Middleware, {
    relation: 'before',
    toMiddleware: 'httpSigningMiddleware',
    name: 'stepflowUnsignedPayload',
  });
}
