/**
 * Failures that explain themselves: a FAILED job's description (`statusReason`, `container.reason`,
 * `container.exitCode`, the last `attempts[]` entry) plus what the step asked for (memory and where it came
 * from, the time limit and where it came from, the image) become one {@link JobFailure}: its kind and a
 * message saying what happened and what to do. Pure: no AWS call, no clock.
 *
 * The strings matched are AWS's (aws-batch-and-peers.md §3.6, metaflow-batch.md §11.4):
 * `OutOfMemoryError: Container killed due to memory usage` (exit 137), `Job attempt duration exceeded
 * timeout`, `Host EC2 (instance i-...) terminated.`, `Your Spot Task was interrupted.` (Fargate Spot),
 * `CannotPullContainerError: ...`, and stepflow's own `stopped by stepflow: ...` (TerminateJob).
 *
 * @module
 */
import type { JobDetail } from '@aws-sdk/client-batch';
import type { MemoryOrigin, ResolvedBatch } from '../spec/resolve.js';

/**
 * What went wrong with a job.
 *
 * @example
 * ```ts
 * const kind: FailureKind = 'out-of-memory';
 * ```
 */
export type FailureKind =
  | 'user-code'
  | 'out-of-memory'
  | 'timed-out'
  | 'spot-reclaimed'
  | 'image-pull'
  | 'terminated-by-stepflow'
  | 'unplaceable'
  | 'unknown';

/**
 * A failed job, explained. (`unplaceable` is the launcher's: a job stuck RUNNABLE that AWS says can never
 * be placed, which it terminated; see stuck-runnable.ts.)
 *
 * @example
 * ```ts
 * const failure = classifyFailure(input);
 * if (failure.kind === 'spot-reclaimed') resubmit();
 * else console.error(failure.message);
 * ```
 */
export interface JobFailure {
  readonly kind: FailureKind;
  /** What happened, where (the job id; the runtime prints it after the task's pathspec) and what to do. */
  readonly message: string;
  /** AWS's reasons, verbatim (distinct, joined with ` - `), or `no reason given`. */
  readonly awsReason: string;
  /** What happened in a few words, for the job's status line: `user code failed (exit code 1)`. */
  readonly summary: string;
}

/**
 * What {@link classifyFailure} looks at.
 *
 * @example
 * ```ts
 * const input: FailureInput = { pathspec: 'F/1/train/2', job, exitCode: 137, step: resolved };
 * ```
 */
export interface FailureInput {
  readonly pathspec: string;
  /** The FAILED job's description (DescribeJobs). */
  readonly job: JobDetail;
  /** The container's exit code when known (DescribeJobs, else ListJobs). */
  readonly exitCode?: number | null;
  /** What the step asked for. */
  readonly step: Pick<ResolvedBatch, 'memory' | 'memoryFrom' | 'timeout' | 'image'>;
  /** The last lines the task printed (stderr when it printed any, else stdout). */
  readonly outputTail?: readonly string[];
  /** Set when stepflow itself stopped the job (interrupt, timeout, kill). */
  readonly killedReason?: string;
}

/**
 * The prefix of every TerminateJob reason stepflow sends.
 *
 * @example
 * ```ts
 * `${STEPFLOW_TERMINATION_PREFIX}: interrupted (Ctrl-C)`; // the reason AWS then reports
 * ```
 */
export const STEPFLOW_TERMINATION_PREFIX = 'stopped by stepflow';

const SPOT = [/Host EC2 \(instance [^)]*\) terminated/i, /Your Spot Task was interrupted/i];
const OOM = /OutOfMemoryError/i;
const TIMEOUT = /Job attempt duration exceeded timeout/i;
const PULL = /CannotPullContainerError/i;

/**
 * AWS's reasons for a job's end, most specific last: the job's `statusReason`, its `container.reason`,
 * the last attempt's `statusReason` and `container.reason` (distinct, non-empty).
 *
 * @example
 * ```ts
 * reasonsOf({ statusReason: 'Essential container in task exited',
 *   container: { reason: 'OutOfMemoryError: Container killed due to memory usage' } } as JobDetail);
 * // ['Essential container in task exited', 'OutOfMemoryError: Container killed due to memory usage']
 * ```
 */
export function reasonsOf(job: JobDetail): string[] {
  const last = job.attempts?.at(-1);
  const all = [job.statusReason, job.container?.reason, last?.statusReason, last?.container?.reason];
  return [...new Set(all.filter((r): r is string => typeof r === 'string' && r.trim() !== ''))];
}

/**
 * The spot reclaim reason among a job's reasons (`Host EC2 (instance i-...) terminated.` or Fargate's
 * `Your Spot Task was interrupted.`), if any.
 *
 * @example
 * ```ts
 * spotReclaimReason({ statusReason: 'Host EC2 (instance i-0abc) terminated.' } as JobDetail);
 * // 'Host EC2 (instance i-0abc) terminated.'
 * ```
 */
export function spotReclaimReason(job: JobDetail): string | undefined {
  return reasonsOf(job).find((r) => SPOT.some((re) => re.test(r)));
}

/**
 * Where a step's memory came from and how to raise it, for the out-of-memory message.
 *
 * @example
 * ```ts
 * memoryAdvice(4096, 'default'); // 'the default, as neither @batch nor @resources sets memory); ...'
 * ```
 */
export function memoryAdvice(memory: number, from: MemoryOrigin): string {
  const more = memory * 2;
  switch (from) {
    case '@batch':
      return `set by the @batch option memory). Raise it, e.g. @batch({ memory: ${more} })`;
    case '@resources':
      return (
        `set by @resources memory; the larger of @batch and @resources wins). Raise it, e.g. ` +
        `@resources({ memory: ${more} })`
      );
    default:
      return (
        'the default, as neither @batch nor @resources sets memory). Ask for more, e.g. ' +
        `@batch({ memory: ${more} }) or @resources({ memory: ${more} })`
      );
  }
}

function formatLimit(seconds: number): string {
  if (seconds % 3600 === 0) return `${seconds / 3600} h`;
  if (seconds % 60 === 0) return `${seconds / 60} min`;
  return `${seconds} s`;
}

function timeoutAdvice(source: string): string {
  if (source === 'METAFLOW_DEFAULT_RUNTIME_LIMIT') {
    return (
      'set by METAFLOW_DEFAULT_RUNTIME_LIMIT, as the step has no @timeout). Raise the setting (seconds) ' +
      'or give the step its own @timeout'
    );
  }
  return `set by ${source}). Raise it there if the step needs longer`;
}

function tailText(lines: readonly string[] | undefined): string {
  if (!lines || lines.length === 0) return ' It printed nothing.';
  return ` Its last lines:\n${lines.map((l) => `  | ${l}`).join('\n')}`;
}

/**
 * Explains a FAILED job: its {@link FailureKind} and a message naming the job id, AWS's
 * reason and what to do.
 *
 * @example
 * ```ts
 * const failure = classifyFailure({
 *   pathspec: 'F/1/train/2',
 *   job: { jobId: 'j-1', status: 'FAILED', statusReason: 'Essential container in task exited',
 *     container: { exitCode: 137, reason: 'OutOfMemoryError: Container killed due to memory usage' } },
 *   exitCode: 137,
 *   step: { memory: 4096, memoryFrom: 'default', image: 'node:20',
 *     timeout: { seconds: 432000, source: 'METAFLOW_DEFAULT_RUNTIME_LIMIT' } },
 * });
 * failure.kind; // 'out-of-memory'
 * ```
 */
export function classifyFailure(input: FailureInput): JobFailure {
  const { job, step } = input;
  const reasons = reasonsOf(job);
  const awsReason = reasons.length > 0 ? reasons.join(' - ') : 'no reason given';
  const code = input.exitCode ?? job.container?.exitCode ?? job.attempts?.at(-1)?.container?.exitCode;
  // The runtime prints the message after the task's pathspec: it is not repeated here.
  const where = `job ${job.jobId}`;
  const hit = (re: RegExp) => reasons.find((r) => re.test(r));
  const exit = `exit code ${code ?? 'unknown'}`;
  const summaries: Record<FailureKind, string> = {
    'user-code': `user code failed (${exit})`,
    'out-of-memory': `out of memory (${exit})`,
    'timed-out': 'timed out',
    'spot-reclaimed': 'spot capacity reclaimed',
    'image-pull': 'image pull failed',
    'terminated-by-stepflow': 'terminated by stepflow',
    unplaceable: 'no compute environment can run it',
    unknown: `${awsReason} (container ${exit})`,
  };
  const made = (kind: FailureKind, message: string): JobFailure => ({
    kind,
    message,
    awsReason,
    summary: summaries[kind],
  });

  if (input.killedReason || hit(new RegExp(`^${STEPFLOW_TERMINATION_PREFIX}`, 'i'))) {
    const why = input.killedReason ?? hit(new RegExp(`^${STEPFLOW_TERMINATION_PREFIX}`, 'i'));
    return made('terminated-by-stepflow', `${where} was terminated by stepflow (${why}).`);
  }
  const spot = spotReclaimReason(job);
  if (spot) {
    return made(
      'spot-reclaimed',
      `${where} lost its spot capacity (${spot}): AWS reclaimed the instance while the step ran. ` +
        'Add @retry to the step, or use an on-demand queue (option queue / METAFLOW_BATCH_JOB_QUEUE).',
    );
  }
  const pull = hit(PULL);
  if (pull) {
    return made(
      'image-pull',
      `${where} could not start: the image ${step.image} could not be pulled (${pull}). Check the image ` +
        'name and tag exist (option image / METAFLOW_BATCH_CONTAINER_IMAGE, registry ' +
        'METAFLOW_BATCH_CONTAINER_REGISTRY), that the compute environment can reach the registry (NAT ' +
        'gateway or VPC endpoints), and that the instance role (EC2) or execution role (Fargate) may pull ' +
        'it (ECR: ecr:GetAuthorizationToken, ecr:BatchGetImage).',
    );
  }
  const timedOut = hit(TIMEOUT);
  if (timedOut) {
    const { seconds, source } = step.timeout;
    return made(
      'timed-out',
      `${where} timed out (${timedOut}): it ran longer than its limit of ${formatLimit(seconds)} ` +
        `(${seconds} s, ${timeoutAdvice(source)}.`,
    );
  }
  const oom = hit(OOM);
  if (oom || code === 137) {
    const what = oom
      ? `ran out of memory (${oom}${code !== undefined && code !== null ? `, exit code ${code}` : ''})`
      : 'was killed (exit code 137, SIGKILL), most often for using more memory than it asked for';
    return made(
      'out-of-memory',
      `${where} ${what}: the step asked for ${step.memory} MiB (${memoryAdvice(step.memory, step.memoryFrom)}.`,
    );
  }
  if (typeof code === 'number' && code !== 0) {
    return made(
      'user-code',
      `${where} failed: the step's code exited with code ${code} (AWS: ${awsReason}).${tailText(input.outputTail)}`,
    );
  }
  return made(
    'unknown',
    `${where} failed: ${awsReason} (container exit code ${code ?? 'unknown'}).` +
      (input.outputTail?.length ? tailText(input.outputTail) : ''),
  );
}
