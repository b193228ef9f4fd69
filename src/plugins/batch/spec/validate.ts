/**
 * The checks of `@batch` that do not depend on the platform (EC2 or Fargate), each naming the flow, the
 * step, the option, the value and the allowed range: sizes, swap, tmpfs, the time limit, images, roles,
 * queues and the log configuration. Tags are checked in `tags.ts`, Fargate's rules in `fargate.ts`, the
 * size of whole requests where they are built.
 *
 * @module
 */
import type { AttemptTimeout, StepWhere } from '../../../decorators/index.js';
import { BatchConfigError, batchOptionError } from '../errors.js';
import { isMountPath } from './container.js';
import { BATCH_LIMITS, LOG_DRIVERS } from './limits.js';

const ROLE_ARN = /^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@/-]{1,512}$/;
const QUEUE_NAME = /^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$/;
const QUEUE_ARN = /^arn:aws[a-z-]*:batch:[a-z0-9-]+:\d{12}:job-queue\/[A-Za-z0-9][A-Za-z0-9_-]{0,127}$/;
const IMAGE = /^[A-Za-z0-9][A-Za-z0-9._\-/:@]*$/;

/** The sizes and knobs checked by {@link checkSizes}. */
export interface SizeInput {
  readonly cpu: number;
  readonly gpu: number;
  readonly memory: number;
  readonly sharedMemory?: number;
  readonly maxSwap?: number;
  readonly swappiness?: number;
  readonly ephemeralStorage?: number;
  readonly inferentia?: number;
  readonly trainium?: number;
}

/**
 * Checks sizes after the merge with `@resources`: cpu > 0, memory ≥ 4 MiB, whole non-negative gpu,
 * swappiness 0–100 and only with maxSwap, ephemeralStorage 21–200 GiB, and not both inferentia and
 * trainium.
 *
 * @example
 * ```ts
 * checkSizes(where, { cpu: 1, gpu: 0, memory: 4096, swappiness: 10 }); // throws: swappiness needs maxSwap
 * ```
 */
export function checkSizes(where: StepWhere, s: SizeInput): void {
  if (!(s.cpu > 0)) throw batchOptionError(where, 'cpu', s.cpu, 'option "cpu" must be greater than 0');
  if (!Number.isInteger(s.memory) || s.memory < BATCH_LIMITS.minMemoryMiB) {
    throw batchOptionError(
      where,
      'memory',
      s.memory,
      `option "memory" must be a whole number of MiB, at least ${BATCH_LIMITS.minMemoryMiB} (AWS's minimum)`,
    );
  }
  if (!Number.isInteger(s.gpu) || s.gpu < 0) {
    throw batchOptionError(where, 'gpu', s.gpu, 'option "gpu" must be a whole number of GPUs, 0 or more');
  }
  if (s.sharedMemory !== undefined && !(Number.isInteger(s.sharedMemory) && s.sharedMemory > 0)) {
    throw batchOptionError(
      where,
      'sharedMemory',
      s.sharedMemory,
      'option "sharedMemory" must be a whole number of MiB greater than 0',
    );
  }
  const { min, max } = BATCH_LIMITS.swappiness;
  if (s.swappiness !== undefined && (s.swappiness < min || s.swappiness > max)) {
    throw batchOptionError(
      where,
      'swappiness',
      s.swappiness,
      `option "swappiness" must be a whole number from ${min} to ${max}`,
    );
  }
  if (s.swappiness !== undefined && s.maxSwap === undefined) {
    throw batchOptionError(
      where,
      'swappiness',
      s.swappiness,
      'option "swappiness" needs "maxSwap": AWS ignores swappiness unless maxSwap is set',
      'Add maxSwap (MiB of swap, 0 for none) or remove swappiness.',
    );
  }
  const eph = BATCH_LIMITS.ephemeralStorageGiB;
  if (s.ephemeralStorage !== undefined && (s.ephemeralStorage < eph.min || s.ephemeralStorage > eph.max)) {
    throw batchOptionError(
      where,
      'ephemeralStorage',
      s.ephemeralStorage,
      `option "ephemeralStorage" must be a whole number of GiB from ${eph.min} to ${eph.max}`,
    );
  }
  if (s.inferentia !== undefined && s.trainium !== undefined) {
    throw batchOptionError(
      where,
      'trainium',
      { inferentia: s.inferentia, trainium: s.trainium },
      'options "inferentia" and "trainium" are the same setting (trainium is an alias): give only one',
    );
  }
}

/**
 * Checks a tmpfs: an absolute mount path, and a size no larger than the memory plus the swap (a tmpfs
 * lives in the container's memory).
 *
 * @example
 * ```ts
 * checkTmpfs(where, { path: 'tmp', size: 1024, memory: 4096 }); // throws: tmpfsPath must be absolute
 * ```
 */
export function checkTmpfs(
  where: StepWhere,
  t: { readonly path: string; readonly size: number; readonly memory: number; readonly maxSwap?: number },
): void {
  if (!isMountPath(t.path)) {
    throw batchOptionError(
      where,
      'tmpfsPath',
      t.path,
      'option "tmpfsPath" must be an absolute path other than "/" (no spaces, "..", ":" or ","), e.g. "/metaflow_temp"',
    );
  }
  const room = t.memory + (t.maxSwap ?? 0);
  if (t.size > room) {
    throw batchOptionError(
      where,
      'tmpfsSize',
      t.size,
      `option "tmpfsSize" must be at most the step's memory${t.maxSwap ? ' plus maxSwap' : ''} (${room} MiB): ` +
        'a tmpfs lives in the container memory',
      'Lower tmpfsSize or raise memory.',
    );
  }
}

/**
 * The attempt time limit of a `@batch` step, in whole seconds: the step's `@timeout` (as its
 * `attemptTimeout` hook reports it) or `METAFLOW_DEFAULT_RUNTIME_LIMIT`; at least 60 seconds (AWS's
 * minimum of `timeout.attemptDurationSeconds`).
 *
 * @example
 * ```ts
 * batchTimeout(where, { seconds: 90, source: '@timeout(seconds=90)' }, 432000); // { seconds: 90, source: ... }
 * batchTimeout(where, undefined, 432000); // { seconds: 432000, source: 'METAFLOW_DEFAULT_RUNTIME_LIMIT' }
 * ```
 */
export function batchTimeout(
  where: StepWhere,
  fromDecorators: AttemptTimeout | undefined,
  runtimeLimitSeconds: number,
): AttemptTimeout {
  const min = BATCH_LIMITS.minTimeoutSeconds;
  if (fromDecorators) {
    const seconds = Math.ceil(fromDecorators.seconds);
    if (seconds < min) {
      throw batchOptionError(
        where,
        'timeout',
        seconds,
        `the time limit ${fromDecorators.source} is ${seconds} seconds; AWS Batch needs at least ${min} seconds`,
        `Raise the limit to ${min} seconds or more.`,
      );
    }
    return { seconds, source: fromDecorators.source };
  }
  if (runtimeLimitSeconds < min) {
    throw new BatchConfigError(
      `@batch on step ${where.flowName}.${where.stepName}: METAFLOW_DEFAULT_RUNTIME_LIMIT is ` +
        `${runtimeLimitSeconds} seconds; AWS Batch needs at least ${min}. Raise it or add @timeout to the step.`,
      { setting: 'METAFLOW_DEFAULT_RUNTIME_LIMIT', flow: where.flowName, step: where.stepName },
    );
  }
  return { seconds: Math.ceil(runtimeLimitSeconds), source: 'METAFLOW_DEFAULT_RUNTIME_LIMIT' };
}

/** Where a value came from, for messages: the option, or the setting it fell back to. */
export type Origin = { readonly option: string; readonly setting?: string };

function fromText(origin: Origin): string {
  return origin.setting ? `option "${origin.option}" (from ${origin.setting})` : `option "${origin.option}"`;
}

/**
 * Checks the image (≤ 255 characters, a plain image reference), the roles (IAM role ARNs) and the queue
 * (a name of letters, digits, `-`, `_`, or a job queue ARN).
 *
 * @example
 * ```ts
 * checkNames(where, { image: 'node:22', iamRole: 'arn:aws:iam::123456789012:role/job' }, origins);
 * ```
 */
export function checkNames(
  where: StepWhere,
  v: {
    readonly image: string;
    readonly queue?: string;
    readonly iamRole?: string;
    readonly executionRole?: string;
  },
  origins: {
    readonly image: Origin;
    readonly queue: Origin;
    readonly iamRole: Origin;
    readonly executionRole: Origin;
  },
): void {
  if (v.image.length > BATCH_LIMITS.maxImageLength || !IMAGE.test(v.image)) {
    throw batchOptionError(
      where,
      'image',
      v.image,
      `${fromText(origins.image)} must be an image reference of at most ${BATCH_LIMITS.maxImageLength} characters ` +
        '(letters, digits and . _ - / : @), e.g. "node:22"',
    );
  }
  for (const key of ['iamRole', 'executionRole'] as const) {
    const role = v[key];
    if (role !== undefined && !ROLE_ARN.test(role)) {
      throw batchOptionError(
        where,
        key,
        role,
        `${fromText(origins[key])} must be an IAM role ARN, e.g. "arn:aws:iam::123456789012:role/batch-job"`,
      );
    }
  }
  if (v.queue !== undefined && !QUEUE_NAME.test(v.queue) && !QUEUE_ARN.test(v.queue)) {
    throw batchOptionError(
      where,
      'queue',
      v.queue,
      `${fromText(origins.queue)} must be a job queue name (up to 128 letters, digits, - and _) or a job queue ARN`,
    );
  }
}

/**
 * Checks the log configuration: a driver AWS knows, and options only with a driver.
 *
 * @example
 * ```ts
 * checkLogConfiguration(where, 'awslogs', { 'awslogs-group': '/x' }); // ok
 * checkLogConfiguration(where, undefined, { 'awslogs-group': '/x' }); // throws: logOptions needs logDriver
 * ```
 */
export function checkLogConfiguration(
  where: StepWhere,
  logDriver: string | undefined,
  logOptions: Readonly<Record<string, string>>,
): void {
  if (logDriver !== undefined && !(LOG_DRIVERS as readonly string[]).includes(logDriver)) {
    throw batchOptionError(
      where,
      'logDriver',
      logDriver,
      `option "logDriver" must be one of ${LOG_DRIVERS.join(', ')}`,
    );
  }
  if (logDriver === undefined && Object.keys(logOptions).length > 0) {
    throw batchOptionError(
      where,
      'logOptions',
      logOptions,
      'option "logOptions" needs "logDriver": the options belong to a log driver',
      'Add logDriver, e.g. "awslogs".',
    );
  }
}
