/**
 * The checks and adjustments that depend on the platform of the job queue (EC2 or Fargate), run once the
 * launcher knows it (a DescribeJobQueues + DescribeComputeEnvironments look-up per queue per run).
 *
 * @module
 */
import type { StepWhere } from '../../../decorators/index.js';
import { BatchConfigError, batchOptionError } from '../errors.js';
import { checkFargateOptions, fargateSize } from './fargate.js';
import type { ResolvedBatch } from './resolve.js';

/** Where a job runs: EC2 (and SPOT) or FARGATE (and FARGATE_SPOT). */
export type BatchPlatform = 'EC2' | 'FARGATE';

/** A resolved step checked for its platform: queue known, Fargate sizes rounded, notices extended. */
export interface PlatformBatch extends ResolvedBatch {
  readonly platform: BatchPlatform;
  readonly queue: string;
}

/**
 * The platform of a compute environment from its `computeResources.type`: `EC2`/`SPOT` → EC2,
 * `FARGATE`/`FARGATE_SPOT` → FARGATE; an unmanaged environment (no `computeResources`) counts as EC2.
 *
 * @example
 * ```ts
 * platformOf('FARGATE_SPOT'); // 'FARGATE'
 * platformOf(undefined);      // 'EC2'
 * ```
 */
export function platformOf(computeResourcesType: string | undefined): BatchPlatform {
  return computeResourcesType === 'FARGATE' || computeResourcesType === 'FARGATE_SPOT' ? 'FARGATE' : 'EC2';
}

function whereOf(r: ResolvedBatch): StepWhere {
  return { flowName: r.flowName, stepName: r.stepName };
}

/**
 * The job queue of a resolved step, or a `BatchConfigError` naming `METAFLOW_BATCH_JOB_QUEUE` and the
 * `queue` option when neither gives one. Deferred to launch time so a `@batch` step still runs locally
 * (and `check` passes) on a machine without AWS settings.
 *
 * @example
 * ```ts
 * const queue = requireQueue(resolved); // 'my-queue'
 * ```
 */
export function requireQueue(r: ResolvedBatch): string {
  if (r.queue !== undefined) return r.queue;
  throw new BatchConfigError(
    `@batch on step ${r.flowName}.${r.stepName}: no job queue. Set METAFLOW_BATCH_JOB_QUEUE ` +
      '(environment or ~/.metaflowconfig/config.json) or give @batch({ queue: "..." }).',
    { setting: 'METAFLOW_BATCH_JOB_QUEUE', option: 'queue', flow: r.flowName, step: r.stepName },
  );
}

/**
 * Platform-dependent validation, to call once the queue's platform is known and before any job of the
 * run is submitted (so nothing is submitted when any step is invalid):
 * - a queue is required (`requireQueue`);
 * - EC2: cpu must be a whole number ≥ 1; `ephemeralStorage` is an error (Fargate only);
 * - FARGATE: every option Fargate cannot honour is an error naming it (`checkFargateOptions`), an
 *   execution role is required (`executionRole` / `METAFLOW_ECS_FARGATE_EXECUTION_ROLE`), and cpu/memory
 *   are rounded up to the nearest valid Fargate pair, with a notice saying so.
 * Returns the step with the platform's values; its `notices` are for the launcher to print. The job
 * definition's size is checked by `jobDefinitionFor`.
 *
 * @example
 * ```ts
 * const p = validateForPlatform(resolved, 'FARGATE');
 * for (const n of p.notices) console.error(n);
 * ```
 */
export function validateForPlatform(r: ResolvedBatch, platform: BatchPlatform): PlatformBatch {
  const queue = requireQueue(r);
  const where = whereOf(r);
  if (platform === 'EC2') {
    if (!Number.isInteger(r.cpu) || r.cpu < 1) {
      throw batchOptionError(
        where,
        'cpu',
        r.cpu,
        `option "cpu" must be a whole number of vCPUs, at least 1, on EC2 (queue "${queue}")`,
        'Fractional vCPUs exist only on Fargate.',
      );
    }
    if (r.ephemeralStorage !== undefined) {
      throw batchOptionError(
        where,
        'ephemeralStorage',
        r.ephemeralStorage,
        `option "ephemeralStorage" is only available on Fargate, and queue "${queue}" runs on EC2`,
        'Remove it (EC2 jobs use the instance volume), or use a Fargate queue.',
      );
    }
    return { ...r, queue, platform };
  }
  checkFargateOptions(r);
  if (r.executionRole === undefined) {
    throw new BatchConfigError(
      `@batch on step ${r.flowName}.${r.stepName}: queue "${queue}" runs on Fargate, which needs a task ` +
        'execution role. Set METAFLOW_ECS_FARGATE_EXECUTION_ROLE or give @batch({ executionRole: "arn:aws:iam::...:role/..." }) ' +
        '(see https://docs.aws.amazon.com/batch/latest/userguide/execution-IAM-role.html).',
      {
        setting: 'METAFLOW_ECS_FARGATE_EXECUTION_ROLE',
        option: 'executionRole',
        flow: r.flowName,
        step: r.stepName,
      },
    );
  }
  const size = fargateSize(where, r.cpu, r.memory);
  const prefix = `@batch on step ${r.flowName}.${r.stepName}: `;
  const notices = size.notice ? [...r.notices, `${prefix}${size.notice}.`] : r.notices;
  return { ...r, cpu: size.cpu, memory: size.memory, queue, platform, notices };
}
