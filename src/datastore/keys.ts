/**
 * Key layout of the datastore, in one place. Every key is relative to the backend root:
 *
 * ```
 * <Flow>/data/<sha[0:2]>/<sha>                          content-addressed blobs
 * <Flow>/<runId>/_meta/run.json                         RunRecord
 * <Flow>/<runId>/_meta/status.json                      RunStatusRecord
 * <Flow>/<runId>/<step>/<taskId>/<attempt>.<kind>       attempt records and logs
 * ```
 *
 * @module
 */

import { InvalidKeyError } from './errors.js';

/**
 * Reserved folder names: `DATA_DIR` (a flow's blobs; never a run id), `META_DIR` (a run's records;
 * never a step name), and the parameters pseudo task `PARAMETERS_STEP/PARAMETERS_TASK`.
 *
 * @example
 * ```ts
 * `${flow}/${runId}/${PARAMETERS_STEP}/${PARAMETERS_TASK}/0.data.json`; // the run's parameters
 * ```
 */
export const DATA_DIR = 'data';
/** See {@link DATA_DIR}. */
export const META_DIR = '_meta';
/** See {@link DATA_DIR}. */
export const PARAMETERS_STEP = '_parameters';
/** See {@link DATA_DIR}. */
export const PARAMETERS_TASK = '0';

/**
 * The files an attempt leaves in its task folder.
 *
 * @example
 * ```ts
 * const kind: AttemptFileKind = 'done.json';
 * ```
 */
export type AttemptFileKind =
  | 'attempt.json'
  | 'data.json'
  | 'done.json'
  | 'stdout.log'
  | 'stderr.log'
  | 'logs.json'
  | 'inputs.json';

/**
 * Checks that `value` can be one segment of a key: non-empty, no `/` or `\`, not `.` or `..`,
 * no control characters.
 *
 * @example
 * ```ts
 * checkSegment('run id', '1700000000'); // ok
 * checkSegment('run id', 'a/b');        // throws InvalidKeyError
 * ```
 */
export function checkSegment(what: string, value: string): string {
  if (typeof value !== 'string' || value.length === 0) {
    throw new InvalidKeyError(what, String(value), 'must be a non-empty string');
  }
  if (value === '.' || value === '..') throw new InvalidKeyError(what, value, 'must not be "." or ".."');
  if (/[/\\]/.test(value)) throw new InvalidKeyError(what, value, 'must not contain "/" or "\\"');
  // biome-ignore lint/suspicious/noControlCharactersInRegex: rejecting control characters is the point
  if (/[\u0000-\u001f\u007f]/.test(value)) {
    throw new InvalidKeyError(what, value, 'must not contain control characters');
  }
  return value;
}

/**
 * Checks a sha256 hex digest (64 lowercase hex characters).
 *
 * @example
 * ```ts
 * checkSha('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
 * ```
 */
export function checkSha(sha: string): string {
  if (typeof sha !== 'string' || !/^[0-9a-f]{64}$/.test(sha)) {
    throw new InvalidKeyError('sha256', String(sha), 'must be 64 lowercase hex characters');
  }
  return sha;
}

/**
 * The key of a content-addressed blob: `<flow>/data/<sha[0:2]>/<sha>`.
 *
 * @example
 * ```ts
 * blobKey('MyFlow', sha); // 'MyFlow/data/e3/e3b0…'
 * ```
 */
export function blobKey(flow: string, sha: string): string {
  return `${flow}/${DATA_DIR}/${sha.slice(0, 2)}/${sha}`;
}

/**
 * The prefix (ending in `/`) of a run's folder.
 *
 * @example
 * ```ts
 * runPrefix('MyFlow', '17'); // 'MyFlow/17/'
 * ```
 */
export function runPrefix(flow: string, runId: string): string {
  return `${flow}/${checkSegment('run id', runId)}/`;
}

/**
 * The prefix (ending in `/`) of a task's folder.
 *
 * @example
 * ```ts
 * taskPrefix('MyFlow', '17', 'start', '0'); // 'MyFlow/17/start/0/'
 * ```
 */
export function taskPrefix(flow: string, runId: string, step: string, taskId: string): string {
  return `${runPrefix(flow, runId)}${checkSegment('step name', step)}/${checkSegment('task id', taskId)}/`;
}

/**
 * The file name of one of an attempt's files: `<attempt>.<kind>`.
 *
 * @example
 * ```ts
 * attemptFile(0, 'done.json'); // '0.done.json'
 * ```
 */
export function attemptFile(attempt: number, kind: AttemptFileKind): string {
  if (!Number.isSafeInteger(attempt) || attempt < 0) {
    throw new InvalidKeyError('attempt', String(attempt), 'must be a non-negative integer');
  }
  return `${attempt}.${kind}`;
}

/**
 * Sorts names the way people expect run and task ids: numeric ids by value, then the rest by code
 * point.
 *
 * @example
 * ```ts
 * sortIds(['10', '9', 'b', 'a']); // ['9', '10', 'a', 'b']
 * ```
 */
export function sortIds(ids: string[]): string[] {
  const numeric = /^\d+$/;
  return ids.sort((a, b) => {
    const na = numeric.test(a);
    const nb = numeric.test(b);
    if (na && nb) return a.length - b.length || (a < b ? -1 : a > b ? 1 : 0);
    if (na !== nb) return na ? -1 : 1;
    return a < b ? -1 : a > b ? 1 : 0;
  });
}

/**
 * What is wrong with a storage key, if anything: every backend accepts only non-empty `/`-separated
 * relative paths without empty, `.` or `..` segments, `\\` or NUL (a backend may add rules of its own).
 *
 * @example
 * ```ts
 * keyProblem('F/1/../x'); // 'a key is a "/"-separated relative path without empty, "." or ".." segments'
 * keyProblem('F/1/_meta/run.json'); // undefined
 * ```
 */
export function keyProblem(key: string): string | undefined {
  if (typeof key !== 'string' || key.length === 0) return 'a key must be a non-empty string';
  if (key.includes('\\') || key.includes('\0')) return 'a key must not contain "\\" or NUL';
  for (const segment of key.split('/')) {
    if (segment === '' || segment === '.' || segment === '..') {
      return 'a key is a "/"-separated relative path without empty, "." or ".." segments';
    }
  }
  return undefined;
}

/**
 * True when `name` is a run id stepflow makes (digits: microseconds since the epoch, or a small number in
 * tests). Other folders beside a flow's runs (`old-copy`, `1764081234567123-bak`, `data`) are not runs.
 *
 * @example
 * ```ts
 * isRunId('1764081234567123'); // true
 * isRunId('old-copy');         // false
 * ```
 */
export function isRunId(name: string): boolean {
  return /^\d{1,30}$/.test(name);
}

/**
 * Run ids newest first (by value; ids are start times), leaving out names that are not run ids.
 *
 * @example
 * ```ts
 * runIdsNewestFirst(['9', 'old-copy', '10']); // ['10', '9']
 * ```
 */
export function runIdsNewestFirst(names: readonly string[]): string[] {
  return names
    .filter(isRunId)
    .map((id) => ({ id, n: BigInt(id) }))
    .sort((a, b) => (a.n < b.n ? 1 : a.n > b.n ? -1 : a.id < b.id ? -1 : 1))
    .map((e) => e.id);
}
