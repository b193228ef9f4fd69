/**
 * Jobs stuck RUNNABLE. AWS keeps a job RUNNABLE (possibly forever) while no compute environment of its queue
 * can place it, and says why in `statusReason`: `CAPACITY:*` (wait: capacity may come),
 * `MISCONFIGURATION:*` and `UNDETERMINED` (printed). Two MISCONFIGURATION reasons mean the job can never
 * run (`JOB_RESOURCE_REQUIREMENT`, `COMPUTE_ENVIRONMENT_MAX_RESOURCE`): the launcher then terminates it
 * and fails the attempt with {@link unplaceableMessage}. Pure.
 *
 * @module
 */
import type { JobDetail } from '@aws-sdk/client-batch';
import type { ResolvedBatch } from '../spec/resolve.js';

/**
 * RUNNABLE reasons that mean the requirements can never be met by the queue's compute environments.
 *
 * @example
 * ```ts
 * NEVER_PLACEABLE.includes('MISCONFIGURATION:JOB_RESOURCE_REQUIREMENT'); // true
 * ```
 */
export const NEVER_PLACEABLE: readonly string[] = [
  'MISCONFIGURATION:JOB_RESOURCE_REQUIREMENT',
  'MISCONFIGURATION:COMPUTE_ENVIRONMENT_MAX_RESOURCE',
];

/**
 * What a RUNNABLE job's `statusReason` means for the launcher.
 *
 * @example
 * ```ts
 * runnableVerdict('CAPACITY:INSUFFICIENT_INSTANCE_CAPACITY - ...'); // 'wait'
 * runnableVerdict('MISCONFIGURATION:JOB_RESOURCE_REQUIREMENT - ...'); // 'fail'
 * ```
 */
export function runnableVerdict(reason: string | undefined): 'none' | 'wait' | 'fail' {
  if (!reason || reason.trim() === '') return 'none';
  const code = reason.trim().split(/[\s-]/, 1)[0]?.toUpperCase() ?? '';
  return NEVER_PLACEABLE.includes(code) ? 'fail' : 'wait';
}

/**
 * The line printed (once per change of reason) while a job waits RUNNABLE with a reason.
 *
 * @example
 * ```ts
 * runnableNotice('F/1/train/2', job);
 * // 'F/1/train/2: job j-1 is RUNNABLE: CAPACITY:INSUFFICIENT_INSTANCE_CAPACITY - ... (waiting for capacity)'
 * ```
 */
export function runnableNotice(pathspec: string, job: JobDetail): string {
  const reason = job.statusReason ?? '';
  const upper = reason.toUpperCase();
  const what = upper.startsWith('CAPACITY:')
    ? 'waiting for capacity'
    : upper.startsWith('MISCONFIGURATION:')
      ? 'AWS reports a configuration problem of the queue or its compute environments; still waiting'
      : 'still waiting';
  return `${pathspec}: job ${job.jobId} is RUNNABLE: ${reason} (${what})`;
}

/**
 * The attempt's failure when AWS says the job can never be placed: the reason, what was asked (cpu,
 * memory, gpu), the queue, and what to do.
 *
 * @example
 * ```ts
 * unplaceableMessage({ pathspec: 'F/1/train/2', jobId: 'j-1', queue: 'q', reason: 'MISCONFIGURATION:...',
 *   step: { cpu: 64, memory: 512000, gpu: 0 } });
 * ```
 */
export function unplaceableMessage(input: {
  readonly pathspec: string;
  readonly jobId: string;
  readonly queue: string;
  readonly reason: string;
  readonly step: Pick<ResolvedBatch, 'cpu' | 'memory' | 'gpu'>;
}): string {
  const { cpu, memory, gpu } = input.step;
  const asked = `${cpu} vCPU, ${memory} MiB of memory${gpu > 0 ? `, ${gpu} GPU` : ''}`;
  return (
    `${input.pathspec}: job ${input.jobId} can never run on queue ${input.queue}: AWS says ` +
    `"${input.reason}". The step asks for ${asked}, more than any compute environment of the queue can ` +
    'provide, so stepflow terminated the job. Ask for less (@batch or @resources cpu/memory/gpu), use ' +
    "another queue (option queue / METAFLOW_BATCH_JOB_QUEUE), or raise the compute environment's " +
    'maxvCpus / allow larger instance types.'
  );
}

/**
 * The TerminateJob reason (after `stopped by stepflow: `) of a job that can never be placed.
 *
 * @example
 * ```ts
 * unplaceableTermination('MISCONFIGURATION:JOB_RESOURCE_REQUIREMENT - ...');
 * ```
 */
export function unplaceableTermination(reason: string): string {
  return `the job can never be placed (${reason})`;
}
