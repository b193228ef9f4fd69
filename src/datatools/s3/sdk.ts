/**
 * Loading the AWS SDK lazily and making the S3 client.
 *
 * The SDK is loaded with `createRequire(...)` and a specifier esbuild cannot see, not with
 * `import('@aws-sdk/client-s3')`: esbuild follows a literal dynamic import when it bundles a flow, so
 * every code package build would parse the SDK's ~570 files (about +0.3 s per `stepflow run`), and a
 * flow that uses `S3` would carry ~1.4 MB of SDK in its bundle. Left external, the SDK is resolved at
 * run time from the bundle's folder upwards (the project's `node_modules`), then from the working
 * directory. `require` also picks the SDK's CommonJS build, which loads about twice as fast as its ESM
 * build (~130 ms against ~270 ms).
 *
 * @module
 */

import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import { createRequire } from 'node:module';
import path from 'node:path';
import type * as SdkModule from '@aws-sdk/client-s3';
import { S3ConfigError } from './errors.js';

/**
 * The `@aws-sdk/client-s3` module.
 *
 * @example
 * ```ts
 * const sdk: S3Sdk = loadSdk();
 * ```
 */
export type S3Sdk = typeof SdkModule;
/**
 * The SDK's S3 client.
 *
 * @example
 * ```ts
 * const client: S3SdkClient = await createClient(loadSdk(), { maxSockets: 8 });
 * ```
 */
export type S3SdkClient = SdkModule.S3Client;

/** Passed to a `createRequire` function, which bundlers do not follow (see the module comment). */
const SDK_PACKAGE: string = '@aws-sdk/client-s3';

let loaded: S3Sdk | undefined;

/**
 * Loads `@aws-sdk/client-s3` once: from beside this module (or the task bundle), else from the
 * working directory. Throws {@link S3ConfigError} with install advice when neither has it.
 *
 * @example
 * ```ts
 * const { S3Client } = loadSdk();
 * ```
 */
export function loadSdk(): S3Sdk {
  if (loaded) return loaded;
  const bases = [import.meta.url, path.join(process.cwd(), 'stepflow-s3.cjs')];
  const failures: string[] = [];
  for (const base of bases) {
    try {
      loaded = createRequire(base)(SDK_PACKAGE) as S3Sdk;
      return loaded;
    } catch (err) {
      failures.push(`${base}: ${(err as Error).message.split('\n')[0]}`);
    }
  }
  throw new S3ConfigError(
    `The AWS SDK (${SDK_PACKAGE}) could not be loaded (${failures.join('; ')}). Install it beside ` +
      `the flow (npm install ${SDK_PACKAGE}), or in the image that runs the task.`,
  );
}

type Middleware = Parameters<S3SdkClient['middlewareStack']['addRelativeTo']>[0];

/** The SDK's switch for its "Node 20 support ends in 2027" warning (stepflow supports Node 20). */
const NODE_WARNING_SWITCH = 'AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED';

/** Makes the client without the SDK's Node-version warning in every task's log, leaving env as it was. */
function quietly<T>(make: () => T): T {
  if (process.env[NODE_WARNING_SWITCH] !== undefined) return make();
  process.env[NODE_WARNING_SWITCH] = 'true';
  try {
    return make();
  } finally {
    delete process.env[NODE_WARNING_SWITCH];
  }
}

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
  const make = (region: string | undefined) =>
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
  const region = options.region ?? (process.env.AWS_REGION || process.env.AWS_DEFAULT_REGION || undefined);
  let client = make(region);
  if (region === undefined) {
    try {
      await client.config.region();
    } catch {
      // No region anywhere (env, ~/.aws/config): S3 answers any region's requests from us-east-1.
      client.destroy();
      client = make('us-east-1');
    }
  }
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
