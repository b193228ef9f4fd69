/**
 * Names AWS Batch accepts: job names cleaned to `[A-Za-z0-9_-]`, at most 128 characters, starting with a
 * letter or digit (a user name with a dot or a space never fails a job); job definition names derived
 * from a hash of the definition's canonical JSON, so identical content always gets the same name.
 *
 * @module
 */
import { createHash } from 'node:crypto';
import { BATCH_LIMITS } from './limits.js';

/** The parts of a job name. */
export interface JobNameParts {
  readonly user: string;
  readonly flowName: string;
  readonly runId: string;
  readonly stepName: string;
  readonly taskId: string;
  readonly attempt: number;
}

const HASH_LENGTH = 8;

function clean(part: string): string {
  return part.replace(/[^A-Za-z0-9_-]+/g, '_');
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/**
 * The job name `<user>-<flow>-<run>-<step>-<task>-<attempt>`, cleaned: characters AWS refuses become `_`,
 * a leading `-`/`_` is dropped, and a name over 128 characters keeps its start and its task and attempt,
 * with a short hash of the full name in between (so long names stay distinct).
 *
 * @example
 * ```ts
 * jobNameFor({ user: 'jane.doe', flowName: 'F', runId: '17', stepName: 'train', taskId: '3', attempt: 0 });
 * // 'jane_doe-F-17-train-3-0'
 * ```
 */
export function jobNameFor(parts: JobNameParts): string {
  const head = [parts.user, parts.flowName, parts.runId, parts.stepName].map(clean).join('-');
  const tail = `-${clean(parts.taskId)}-${parts.attempt}`;
  const name = `${head}${tail}`.replace(/^[-_]+/, '');
  const max = BATCH_LIMITS.maxNameLength;
  if (name.length <= max) return name;
  const hash = sha256(`${head}${tail}`).slice(0, HASH_LENGTH);
  const keep = max - tail.length - HASH_LENGTH - 1;
  if (keep < 1) return `${name.slice(0, max - HASH_LENGTH - 1)}-${hash}`;
  return `${name.slice(0, keep)}-${hash}${tail}`;
}

/**
 * JSON with object keys sorted at every level (arrays keep their order; `undefined` members are left
 * out, as `JSON.stringify` does): the same content always gives the same text.
 *
 * @example
 * ```ts
 * canonicalJson({ b: 1, a: [{ d: 2, c: 3 }] }); // '{"a":[{"c":3,"d":2}],"b":1}'
 * ```
 */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => {
    if (v === null || typeof v !== 'object' || Array.isArray(v)) return v;
    const sorted: Record<string, unknown> = {};
    for (const k of Object.keys(v).sort()) sorted[k] = (v as Record<string, unknown>)[k];
    return sorted;
  });
}

/**
 * The name of a job definition with this content: `stepflow-` and the first 16 hex digits of the sha256
 * of its canonical JSON. Identical content → the same name (reused across runs and users); any change
 * → a new name. The key order of `content` does not matter.
 *
 * @example
 * ```ts
 * definitionName({ type: 'container', containerProperties: { image: 'node:22' } }); // 'stepflow-3f0c…' (16 hex)
 * ```
 */
export function definitionName(content: unknown): string {
  return `stepflow-${sha256(canonicalJson(content)).slice(0, 16)}`;
}

/**
 * The start shared by the job names of one run, `<user>-<flow>-<run>-` cleaned as in {@link jobNameFor}:
 * what `stepflow batch list` asks ListJobs for (`JOB_NAME` filter `<prefix>*`).
 *
 * @example
 * ```ts
 * jobNamePrefix({ user: 'jane.doe', flowName: 'F', runId: '17' }); // 'jane_doe-F-17-'
 * ```
 */
export function jobNamePrefix(parts: Pick<JobNameParts, 'user' | 'flowName' | 'runId'>): string {
  return `${[parts.user, parts.flowName, parts.runId].map(clean).join('-')}-`.replace(/^[-_]+/, '');
}
