/**
 * Loading AWS SDK packages lazily, outside of code package bundles: the one loader for the S3 client
 * (datastore, `S3` data tool) and the Batch and CloudWatch Logs clients (`@batch`).
 *
 * Packages are loaded through `createRequire`, which esbuild does not follow: a task bundle never
 * carries the SDK, and a process that never talks to AWS never loads it. A package is resolved from this
 * module's file (a task bundle's folder upward); else from `STEPFLOW_S3_SDK_PATH` (the S3 SDK the first
 * process found, which child processes inherit; the other SDK packages are looked for beside it); else
 * from the working directory. It is loaded with `require` (its CommonJS build: about twice as fast as
 * `import()`).
 *
 * @module
 */
import { createRequire } from 'node:module';
import path from 'node:path';
import { AwsSdkMissingError } from './errors.js';

/**
 * The environment variable that carries the resolved S3 SDK path to child processes.
 *
 * @example
 * ```ts
 * process.env[SDK_PATH_ENV]; // '/…/node_modules/@aws-sdk/client-s3/dist-cjs/index.js'
 * ```
 */
export const SDK_PATH_ENV = 'STEPFLOW_S3_SDK_PATH';

/**
 * The S3 client package.
 *
 * @example
 * ```ts
 * resolveAwsPackage(S3_SDK_PACKAGE);
 * ```
 */
export const S3_SDK_PACKAGE = '@aws-sdk/client-s3';

/** The SDK warns in every process under Node < 22; stepflow supports Node 20 and pins the SDK: noise. */
const NODE_WARNING_ENV = 'AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED';

const requireHere = createRequire(import.meta.url);
const loaded = new Map<string, { module: unknown; path: string }>();

function firstLine(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).split('\n')[0] as string;
}

/**
 * The entry file of an AWS SDK package, resolved synchronously: from this module's location, else
 * `STEPFLOW_S3_SDK_PATH` (the S3 SDK itself, or a package beside it), else the working directory.
 * Throws {@link AwsSdkMissingError} listing every place tried.
 *
 * @example
 * ```ts
 * resolveAwsPackage('@aws-sdk/client-batch'); // '/…/node_modules/@aws-sdk/client-batch/dist-cjs/index.js'
 * ```
 */
export function resolveAwsPackage(specifier: string): string {
  const failures: string[] = [];
  try {
    return requireHere.resolve(specifier);
  } catch (err) {
    failures.push(`from ${import.meta.url}: ${firstLine(err)}`);
  }
  const fromEnv = process.env[SDK_PATH_ENV];
  if (fromEnv) {
    if (specifier === S3_SDK_PACKAGE) return fromEnv;
    try {
      return createRequire(fromEnv).resolve(specifier);
    } catch (err) {
      failures.push(`beside ${fromEnv}: ${firstLine(err)}`);
    }
  }
  try {
    return createRequire(path.join(process.cwd(), 'stepflow-aws.cjs')).resolve(specifier);
  } catch (err) {
    failures.push(`from ${process.cwd()}: ${firstLine(err)}`);
  }
  throw new AwsSdkMissingError(specifier, failures);
}

/**
 * Loads an AWS SDK package once per process (see {@link resolveAwsPackage}); the S3 SDK's path is
 * recorded in `STEPFLOW_S3_SDK_PATH` for child processes.
 *
 * @example
 * ```ts
 * const { module: batch } = requireAwsPackage<typeof import('@aws-sdk/client-batch')>('@aws-sdk/client-batch');
 * ```
 */
export function requireAwsPackage<T>(specifier: string): { module: T; path: string } {
  const hit = loaded.get(specifier);
  if (hit) return hit as { module: T; path: string };
  const file = resolveAwsPackage(specifier);
  let module: T;
  try {
    module = requireHere(file) as T;
  } catch (err) {
    throw new AwsSdkMissingError(specifier, [`${file}: ${firstLine(err)}`], { cause: err });
  }
  if (specifier === S3_SDK_PACKAGE && !process.env[SDK_PATH_ENV]) process.env[SDK_PATH_ENV] = file;
  const entry = { module, path: file };
  loaded.set(specifier, entry);
  return entry;
}

/**
 * The environment of a thread or process that will construct an AWS client: this one's, with the SDK's
 * "Node < 22" warning switched off unless the environment already decides about it.
 *
 * @example
 * ```ts
 * new Worker(source, { eval: true, env: quietSdkEnv() });
 * ```
 */
export function quietSdkEnv(): NodeJS.ProcessEnv {
  return { ...process.env, [NODE_WARNING_ENV]: process.env[NODE_WARNING_ENV] ?? 'true' };
}

/**
 * Runs `make` (an AWS client constructor) without the SDK's Node-version warning, leaving env as it was.
 *
 * @example
 * ```ts
 * const client = quietly(() => new sdk.S3Client({}));
 * ```
 */
export function quietly<T>(make: () => T): T {
  if (process.env[NODE_WARNING_ENV] !== undefined) return make();
  process.env[NODE_WARNING_ENV] = 'true';
  try {
    return make();
  } finally {
    delete process.env[NODE_WARNING_ENV];
  }
}
