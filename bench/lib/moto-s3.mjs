/**
 * A benchmark's own moto server (scripts/lib/moto.mjs, a free loopback port) as the stand-in of S3 — the S3
 * datastore's, the S3 tool's — and, in simple mode, of AWS Batch: the fake credentials moto accepts, the
 * check that moto is there, the start, buckets, and the environment that points stepflow's S3 at it.
 *
 * @module
 */
import { needService } from '../../scripts/ci-rules.mjs';
import { motoAvailable, startMoto } from '../../scripts/lib/moto.mjs';

/**
 * Fake credentials and region moto accepts; never real ones.
 *
 * @example
 * await runCommand('aws', args, { env: hostNodeEnv(MOTO_AWS_ENV) });
 */
export const MOTO_AWS_ENV = Object.freeze({
  AWS_ACCESS_KEY_ID: 'test',
  AWS_SECRET_ACCESS_KEY: 'test',
  AWS_REGION: 'us-east-1',
  AWS_DEFAULT_REGION: 'us-east-1',
});

/**
 * The same credentials for an SDK client or `S3Storage`.
 *
 * @example
 * new S3Storage(root, { endpoint: moto.url, credentials: MOTO_CREDENTIALS });
 */
export const MOTO_CREDENTIALS = {
  accessKeyId: MOTO_AWS_ENV.AWS_ACCESS_KEY_ID,
  secretAccessKey: MOTO_AWS_ENV.AWS_SECRET_ACCESS_KEY,
};

const MISSING = "moto (python3 -c 'import moto, moto.server, flask, flask_cors')";

/**
 * Throws when moto is not importable by python3: for a benchmark that measures nothing without it.
 *
 * @example
 * requireMoto();
 */
export function requireMoto() {
  if (!motoAvailable()) throw new Error(`moto is not importable by python3: ${MISSING} fails`);
}

/**
 * For a benchmark whose S3 part is one part of several: true when moto is there; otherwise logs that
 * `part` is left out and returns false — or throws under CI (CI=true or CI=1), which must not pass by
 * leaving parts out.
 *
 * @param {{ log(line: string): void }} ctx
 * @param {string} part
 * @returns {boolean}
 * @example
 * if (!motoOrSkip(ctx, 'the S3 figures')) return rows;
 */
export function motoOrSkip(ctx, part) {
  const t = { skip: (why) => ctx.log(`${part} left out: ${why}`) };
  return needService(t, motoAvailable(), MISSING);
}

/**
 * Environment for stepflow's S3 (datastore, S3 tool) on the S3 server at `endpoint`, with the fake credentials.
 *
 * @param {string} endpoint
 * @returns {Record<string, string>}
 * @example
 * const env = s3Env(moto.url); // { ...MOTO_AWS_ENV, METAFLOW_S3_ENDPOINT_URL: moto.url }
 */
export function s3Env(endpoint) {
  return { ...MOTO_AWS_ENV, METAFLOW_S3_ENDPOINT_URL: endpoint };
}

/**
 * Creates `bucket` on the moto server at `endpoint` (an unsigned PUT).
 *
 * @param {string} endpoint
 * @param {string} bucket
 * @example
 * await createBucket(moto.url, 'stepflow-bench');
 */
export async function createBucket(endpoint, bucket) {
  const res = await fetch(`${endpoint}/${bucket}`, { method: 'PUT' });
  if (!res.ok) throw new Error(`could not create bucket ${bucket} on moto (${endpoint}): HTTP ${res.status}`);
}

/**
 * Starts the benchmark's moto (its log in `logDir`, else a temp folder of `ctx`); with `simpleBatch`, Batch
 * in simple mode (jobs are not run in containers: a job-runner stand-in runs them). Stop it with `stop()`.
 *
 * @param {{ tempDir(): string }} ctx
 * @param {{ logDir?: string, simpleBatch?: boolean }} [options]
 * @returns {Promise<{ url: string, port: number, pid: number, stop(): Promise<void> }>}
 * @example
 * const moto = await startBenchMoto(ctx);
 * try {
 *   await createBucket(moto.url, 'stepflow-bench');
 * } finally {
 *   await moto.stop();
 * }
 */
export async function startBenchMoto(ctx, { logDir, simpleBatch = false } = {}) {
  const moto = await startMoto({ logDir: logDir ?? ctx.tempDir() });
  if (!simpleBatch) return moto;
  const config = await fetch(`${moto.url}/moto-api/config`, {
    method: 'POST',
    body: JSON.stringify({ batch: { use_docker: false } }),
  });
  if (!config.ok) {
    await moto.stop();
    throw new Error(`moto refused simple mode: HTTP ${config.status}`);
  }
  return moto;
}
