/**
 * The container bootstrap of a `@batch` job (`node -e <this, minified> step <spec>`): the image has only
 * `node`. It finds credentials (SDK-style), fetches the run's code package from S3 with a SigV4-signed GET
 * (no presigned URL: a job may wait in the queue for days), checks its sha256, strips the content store's
 * header byte, untars it, and — when the flow has one — fetches its dependency layer at the same time
 * (ranged GETs in parallel, sha256 checked, unpacked as `node_modules/` beside the bundle; layer.ts), links
 * the packages the image provides, and runs the task entry point `node bundle.mjs step <spec>` with the SDK bundle
 * of the package as `STEPFLOW_S3_SDK_PATH`, saving its stdout and stderr to the datastore as it runs
 * (log-saver.ts), and exits with its code. Imports node built-ins only.
 *
 * @module
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { constants, tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { errorMessage } from '../../../common/error-message.js';
import { ARRAY_MANIFEST_ENV, arrayChild } from './array-child.js';
import type { Env, Fetch } from './credentials.js';
import { fetchLayer, linkImagePackages, signedGet } from './layer.js';
import { LogSaver } from './log-saver.js';
import { readUstar } from './ustar.js';

/**
 * Environment variables the launcher sets for the bootstrap.
 *
 * @example
 * ```ts
 * env[BOOTSTRAP_ENV.url] = 's3://bucket/runs/F/data/ab/abcd...';
 * ```
 */
export const BOOTSTRAP_ENV = {
  /** `s3://bucket/key` of the stored code package. */
  url: 'STEPFLOW_CODE_PACKAGE_URL',
  /** sha256 (hex) of the package archive. */
  sha: 'STEPFLOW_CODE_PACKAGE_SHA',
  /** `s3://bucket/.../<attempt>.`: where the task's own logs go (`stdout.log`, `stderr.log`, `logs.json`). */
  logs: 'STEPFLOW_TASK_LOGS_URL',
  /** The dependency layer (see `../package/ship-layers.ts`, `LAYER_ENV`): URL, sha256 and size of its tar.gz. */
  layerUrl: 'STEPFLOW_LAYER_URL',
  layerSha: 'STEPFLOW_LAYER_SHA',
  layerSize: 'STEPFLOW_LAYER_SIZE',
  /** Packages the image provides (comma-separated), and the image's folders to find them in (colon-separated). */
  imagePackages: 'STEPFLOW_IMAGE_PACKAGES',
  imageNodePath: 'STEPFLOW_IMAGE_NODE_PATH',
  /** Set by the bootstrap for the task: epoch ms when the container's `node` started. */
  startedMs: 'STEPFLOW_BOOTSTRAP_STARTED_MS',
} as const;

/**
 * The SDK bundle's file name inside a package built for AWS Batch.
 *
 * @example
 * ```ts
 * packArchive(bundle, map, manifest, [{ name: SDK_BUNDLE_FILE, data: sdk }]);
 * ```
 */
export const SDK_BUNDLE_FILE = 'aws-sdk-s3.cjs';

/**
 * Fetches the package's stored blob (header byte + archive), following a region redirect once and
 * retrying transient failures.
 *
 * @example
 * ```ts
 * const blob = await fetchPackage('s3://b/runs/F/data/ab/abcd', process.env, fetch);
 * ```
 */
export async function fetchPackage(
  location: string,
  env: Env,
  fetchImpl: Fetch = fetch as unknown as Fetch,
): Promise<Buffer> {
  if (!/^s3:\/\/[^/]+\/./.test(location))
    throw new Error(`${BOOTSTRAP_ENV.url} is not an s3:// URL: ${location}`);
  return await signedGet(location, env, fetchImpl).catch((err: Error) => {
    throw new Error(
      `could not download the code package ${location}: ${err.message.replace(/^could not download \S+: /, '')}`,
    );
  });
}

/**
 * The package archive's files from a stored blob: checks the header byte (0x00 raw, 0x01 gzip'd blob) and
 * the sha256, then gunzips and untars the archive.
 *
 * @example
 * ```ts
 * const files = unpackStored(blob, sha); // Map { 'bundle.mjs' => ..., 'aws-sdk-s3.cjs' => ... }
 * ```
 */
export function unpackStored(blob: Buffer, sha: string): Map<string, Buffer> {
  if (blob.length < 2) throw new Error('the stored code package is empty');
  const archive = blob[0] === 1 ? gunzipSync(blob.subarray(1)) : blob.subarray(1);
  if (blob[0] !== 0 && blob[0] !== 1) throw new Error(`unknown content store header byte ${blob[0]}`);
  const actual = createHash('sha256').update(archive).digest('hex');
  if (actual !== sha) throw new Error(`the code package's sha256 is ${actual}, expected ${sha}`);
  return readUstar(gunzipSync(archive));
}

/**
 * Runs the bootstrap: downloads and unpacks the package into a temp folder, runs the task and returns its
 * exit code.
 *
 * @example
 * ```ts
 * process.exitCode = await bootstrap(process.argv.slice(1), process.env);
 * ```
 */
export async function bootstrap(args: readonly string[], env: Env, fetchImpl?: Fetch): Promise<number> {
  if (args[0] === 'array' && env[ARRAY_MANIFEST_ENV]) {
    // An array child: its task and per-attempt environment come from the manifest (array-child.ts).
    const child = await arrayChild(env, fetchImpl ?? (fetch as unknown as Fetch));
    args = child.args;
    env = { ...env, ...child.env };
  }
  const location = env[BOOTSTRAP_ENV.url];
  const sha = env[BOOTSTRAP_ENV.sha];
  if (!location || !sha) throw new Error(`${BOOTSTRAP_ENV.url} and ${BOOTSTRAP_ENV.sha} must be set`);
  const startedMs = Math.round(Date.now() - process.uptime() * 1000);
  const layerUrl = env[BOOTSTRAP_ENV.layerUrl];
  const layerSha = env[BOOTSTRAP_ENV.layerSha];
  const dir = join(
    env.METAFLOW_TEMPDIR || tmpdir(),
    `stepflow-code-${sha.slice(0, 16)}${layerSha ? `-${layerSha.slice(0, 16)}` : ''}`,
  );
  mkdirSync(dir, { recursive: true });
  // The layer downloads (and unpacks as it arrives) while the code package downloads.
  const [blob] = await Promise.all([
    fetchPackage(location, env, fetchImpl),
    layerUrl && layerSha
      ? fetchLayer(
          layerUrl,
          layerSha,
          Number(env[BOOTSTRAP_ENV.layerSize]),
          env,
          fetchImpl ?? (fetch as unknown as Fetch),
          dir,
        )
      : undefined,
  ]);
  const files = unpackStored(blob, sha);
  for (const [name, data] of files) writeFileSync(join(dir, name), data);
  const childEnv: Record<string, string | undefined> = {
    ...env,
    [BOOTSTRAP_ENV.startedMs]: String(startedMs),
  };
  const provided = (env[BOOTSTRAP_ENV.imagePackages] ?? '').split(',').filter((p) => p !== '');
  if (provided.length > 0) {
    const searchPath = (env[BOOTSTRAP_ENV.imageNodePath] ?? '').split(':').filter((p) => p !== '');
    linkImagePackages(provided, searchPath, dir);
    // For require() of anything else the image has (ESM imports use the links above).
    childEnv.NODE_PATH = [...searchPath, ...(env.NODE_PATH ? [env.NODE_PATH] : [])].join(':');
  }
  if (files.has(SDK_BUNDLE_FILE)) childEnv.STEPFLOW_S3_SDK_PATH = join(dir, SDK_BUNDLE_FILE);
  return await runTask([join(dir, 'bundle.mjs'), ...args], childEnv, env, fetchImpl);
}

/**
 * Runs the task with its stdout and stderr teed to this process's and, when `STEPFLOW_TASK_LOGS_URL` is
 * set, saved by a {@link LogSaver}; SIGTERM/SIGINT (TerminateJob) are passed on to the task, which gets
 * 20 s before SIGKILL. Returns the task's exit code (128 + signal number when killed) once the logs are
 * saved.
 *
 * @example
 * ```ts
 * const code = await runTask(['bundle.mjs', 'step', spec], childEnv, process.env);
 * ```
 */
export async function runTask(
  args: readonly string[],
  childEnv: Env,
  env: Env,
  fetchImpl?: Fetch,
): Promise<number> {
  const logs = env[BOOTSTRAP_ENV.logs];
  const saver = logs ? new LogSaver(logs, env, fetchImpl) : undefined;
  const child = spawn(process.execPath, args, { stdio: ['inherit', 'pipe', 'pipe'], env: childEnv });
  for (const s of ['stdout', 'stderr'] as const) {
    child[s].on('data', (chunk: Buffer) => {
      process[s].write(chunk);
      if (!saver) return;
      saver.add(s, chunk);
      // Bounded memory: while more than two log segments wait for S3, the task waits on its writes.
      if (saver.full && !child[s].isPaused()) {
        child[s].pause();
        void saver.save(true).then(() => child[s].resume());
      }
    });
  }
  const stop = (signal: NodeJS.Signals) => {
    child.kill(signal);
    setTimeout(() => child.kill('SIGKILL'), 20_000).unref();
  };
  process.on('SIGTERM', stop).on('SIGINT', stop);
  saver?.start();
  const code = await new Promise<number>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (status, signal) =>
      resolve(status ?? (signal ? 128 + (constants.signals[signal] ?? 9) : 1)),
    );
  });
  try {
    await saver?.close(code);
  } catch (err) {
    console.error(`stepflow bootstrap: could not save the task's logs: ${errorMessage(err)}`);
  }
  return code;
}

/**
 * The bootstrap's entry (what the inline script calls): exit with the task's code, or 2 with a message
 * when the package cannot be fetched.
 *
 * @example
 * ```ts
 * main(); // in `node -e`
 * ```
 */
export function main(): void {
  bootstrap(process.argv.slice(1), process.env).then(
    (code) => process.exit(code),
    (err: unknown) => {
      console.error(`stepflow bootstrap: ${err instanceof Error ? err.message : String(err)}`);
      process.exit(2);
    },
  );
}
