/**
 * Array jobs, the pure part: which attempts may share one array job (the same request but for the
 * command and the per-attempt environment), the array's SubmitJob request, and its manifest: the task
 * spec and per-attempt environment of each child, in chunks of {@link ARRAY_CHUNK} children stored as
 * `<prefix><k>.json` before the SubmitJob (see bootstrap/array-child.ts for the child's side).
 *
 * @module
 */
import type { KeyValuePair, SubmitJobCommandInput } from '@aws-sdk/client-batch';
import { ARRAY_CHUNK, ARRAY_MANIFEST_ENV } from '../bootstrap/array-child.js';
import { LOGS_MIN_MS_ENV } from '../bootstrap/log-saver.js';
import { BOOTSTRAP_ENV } from '../bootstrap/main.js';
import { BATCH_LIMITS } from '../spec/limits.js';
import { canonicalJson } from '../spec/names.js';
import { SUBMISSION_ENV } from './throttle-retries.js';

/**
 * A SubmitJob request as the launcher makes it (a name is required).
 *
 * @example
 * ```ts
 * const request: JobRequest = { jobName: 'jane-F-1-train-3-0', jobQueue: 'q', jobDefinition: 'd' };
 * ```
 */
export type JobRequest = SubmitJobCommandInput & { jobName: string };

/**
 * The environment variables that differ between the attempts of one step: they go in each child's
 * manifest entry, never in the group key or the array's own environment.
 *
 * @example
 * ```ts
 * PER_ATTEMPT_ENV.has('STEPFLOW_TASK_LOGS_URL'); // true
 * ```
 */
export const PER_ATTEMPT_ENV: ReadonlySet<string> = new Set([
  BOOTSTRAP_ENV.logs,
  SUBMISSION_ENV,
  LOGS_MIN_MS_ENV,
]);

/**
 * One child of an array's manifest: the task spec its plain job's command would carry, and its own
 * environment.
 *
 * @example
 * ```ts
 * const entry: ManifestEntry = { task: spec.task, env: { STEPFLOW_TASK_LOGS_URL: 's3://b/F/1/s/2/0.' } };
 * ```
 */
export interface ManifestEntry {
  readonly task: unknown;
  readonly env: Readonly<Record<string, string>>;
}

/**
 * One stored chunk of an array's manifest (`<prefix><k>.json`).
 *
 * @example
 * ```ts
 * const chunk: ManifestChunk = { version: 1, first: 100, children: [entry] };
 * ```
 */
export interface ManifestChunk {
  readonly version: 1;
  readonly first: number;
  readonly children: readonly ManifestEntry[];
}

function split(env: readonly KeyValuePair[] | undefined): {
  shared: KeyValuePair[];
  own: Record<string, string>;
} {
  const shared: KeyValuePair[] = [];
  const own: Record<string, string> = {};
  for (const e of env ?? []) {
    if (e.name && PER_ATTEMPT_ENV.has(e.name)) own[e.name] = e.value ?? '';
    else shared.push(e);
  }
  return { shared, own };
}

/** The task spec of a plain job's command (`node -e <bootstrap> step <spec>`), if it is one. */
function taskOf(request: JobRequest): unknown {
  const command = request.containerOverrides?.command;
  if (command?.length !== 5 || command[3] !== 'step') return undefined;
  try {
    return JSON.parse(command[4] as string);
  } catch {
    return undefined;
  }
}

/**
 * The key of the attempts that may run as one array job (undefined: never grouped): the step and the
 * whole request but for its name, tags' task-specific values, command and per-attempt environment.
 *
 * @example
 * ```ts
 * groupKey('work', a) === groupKey('work', b); // same queue, definition, resources, time limit and environment
 * ```
 */
export function groupKey(step: string, request: JobRequest): string | undefined {
  if (taskOf(request) === undefined || request.arrayProperties) return undefined;
  const { jobName: _name, containerOverrides, ...rest } = request;
  const { command: _command, environment, ...overrides } = containerOverrides ?? {};
  return canonicalJson({ step, rest, overrides, env: split(environment).shared });
}

/**
 * The manifest entry of one attempt's request.
 *
 * @example
 * ```ts
 * manifestEntry(request).task; // the TaskSpec of its command
 * ```
 */
export function manifestEntry(request: JobRequest): ManifestEntry {
  return { task: taskOf(request), env: split(request.containerOverrides?.environment).own };
}

/**
 * The manifest's chunks for the requests of one array, in index order ({@link ARRAY_CHUNK} children each).
 *
 * @example
 * ```ts
 * manifestChunks(requests).length; // Math.ceil(requests.length / 100)
 * ```
 */
export function manifestChunks(requests: readonly JobRequest[]): ManifestChunk[] {
  const chunks: ManifestChunk[] = [];
  for (let first = 0; first < requests.length; first += ARRAY_CHUNK) {
    const children = requests.slice(first, first + ARRAY_CHUNK).map(manifestEntry);
    chunks.push({ version: 1, first, children });
  }
  return chunks;
}

/**
 * The array job's SubmitJob request for the members of a group (≥ 2, same {@link groupKey}): the first
 * member's request with the shared environment plus `STEPFLOW_ARRAY_MANIFEST`, the command
 * `node -e <bootstrap> array`, `arrayProperties.size`, and a name made of the run's part of the first
 * member's name and `label`.
 *
 * @example
 * ```ts
 * const request = arrayRequest(members, 'a1-0', 's3://b/F/17/_arrays/work/a1-0/');
 * request.arrayProperties; // { size: members.length }
 * ```
 */
export function arrayRequest(members: readonly JobRequest[], label: string, manifestUrl: string): JobRequest {
  const first = members[0] as JobRequest;
  const overrides = first.containerOverrides ?? {};
  const command = [...(overrides.command ?? []).slice(0, 3), 'array'];
  const environment = [
    ...split(overrides.environment).shared,
    { name: ARRAY_MANIFEST_ENV, value: manifestUrl },
  ];
  // `<user>-<flow>-<run>-<step>-<task>-<attempt>`: the task and attempt give way to the array's label.
  const head = first.jobName.replace(/-[^-]+-\d+$/, '');
  const jobName = `${head.slice(0, BATCH_LIMITS.maxNameLength - label.length - 1)}-${label}`;
  return {
    ...first,
    jobName,
    containerOverrides: { ...overrides, command, environment },
    arrayProperties: { size: members.length },
  };
}
