/**
 * The container side of an AWS Batch array job: a child finds its index (`AWS_BATCH_JOB_ARRAY_INDEX`, else
 * the suffix of `AWS_BATCH_JOB_ID=<parent>:<i>`, which is all the local stand-in sets), reads its chunk of
 * the manifest the launcher stored before submitting (one signed GET, retried like the package download),
 * and runs its entry's task spec with the entry's environment, exactly as a plain job runs its own.
 *
 * @module
 */
import type { Env, Fetch } from './credentials.js';
import { signedGet } from './layer.js';

/**
 * The array job's environment variable naming the manifest's `s3://` prefix (ending in `/`).
 *
 * @example
 * ```ts
 * env[ARRAY_MANIFEST_ENV] = 's3://bucket/runs/F/17/_arrays/work/a1-0/';
 * ```
 */
export const ARRAY_MANIFEST_ENV = 'STEPFLOW_ARRAY_MANIFEST';

/**
 * Children per manifest chunk: child `i` is in chunk `⌊i / ARRAY_CHUNK⌋` (`<prefix><k>.json`).
 *
 * @example
 * ```ts
 * Math.floor(1234 / ARRAY_CHUNK); // 12: the child reads <prefix>12.json
 * ```
 */
export const ARRAY_CHUNK = 100;

/**
 * This child's array index: `AWS_BATCH_JOB_ARRAY_INDEX`, else the `<i>` of `AWS_BATCH_JOB_ID=<parent>:<i>`.
 *
 * @example
 * ```ts
 * arrayIndex({ AWS_BATCH_JOB_ID: 'abc:7' }); // 7
 * ```
 */
export function arrayIndex(env: Env): number {
  const raw = env.AWS_BATCH_JOB_ARRAY_INDEX || /:(\d+)$/.exec(env.AWS_BATCH_JOB_ID ?? '')?.[1];
  if (!raw || !/^\d+$/.test(raw))
    throw new Error(
      `array child without an index: AWS_BATCH_JOB_ARRAY_INDEX is not set and AWS_BATCH_JOB_ID (${env.AWS_BATCH_JOB_ID ?? 'unset'}) has no ":<index>"`,
    );
  return Number(raw);
}

/**
 * The task of this child: its manifest entry's arguments for `bundle.mjs` and environment. Throws, saying
 * which object and index, when the manifest chunk or the entry is missing.
 *
 * @example
 * ```ts
 * const { args, env: extra } = await arrayChild(process.env, fetch);
 * ```
 */
export async function arrayChild(env: Env, fetchImpl: Fetch): Promise<{ args: string[]; env: Env }> {
  const i = arrayIndex(env);
  const url = `${env[ARRAY_MANIFEST_ENV]}${Math.floor(i / ARRAY_CHUNK)}.json`;
  let chunk: { first?: number; children?: { task?: unknown; env?: Env }[] };
  try {
    chunk = JSON.parse(String(await signedGet(url, env, fetchImpl)));
  } catch (err) {
    throw new Error(`could not read the array manifest ${url} of child ${i}: ${(err as Error).message}`);
  }
  const entry = chunk.children?.[i - (chunk.first ?? 0)];
  if (!entry?.task) throw new Error(`the array manifest ${url} has no entry for child ${i}`);
  return { args: ['step', JSON.stringify(entry.task)], env: entry.env ?? {} };
}
