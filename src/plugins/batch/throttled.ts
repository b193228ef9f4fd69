/**
 * Which AWS answers are throttling (`TooManyRequestsException`, `ThrottlingException`, HTTP 429) or a
 * server failure (HTTP 500, 502, 503, 504), and the retry loops built on that: {@link submitThrottled}
 * (SubmitJob through the run's {@link SubmitRate}, retried for as long as AWS throttles) and
 * {@link retryThrottled} (any other call, e.g. TerminateJob, retried while AWS throttles).
 *
 * A SubmitJob answered 5xx (or cut off by the network) may have created the job: before submitting
 * again, ListJobs on the queue looks for a job of the same name (names are unique per run, task and
 * attempt) and adopts it.
 *
 * @module
 */
import type { SubmitJobCommandInput, SubmitJobCommandOutput } from '@aws-sdk/client-batch';
import { describeAwsError, type RetryKind, retryKind } from '../../aws/index.js';
import type { BatchApi } from './aws.js';
import { type Clock, realClock, type SubmitRate } from './submit-rate.js';

export { describeAwsError, type RetryKind, retryKind };

/**
 * Back-off before the n-th retry (1-based): 1 s × n, at most 30 s (Nextflow's linear back-off, capped).
 *
 * @example
 * ```ts
 * backoffMs(3); // 3000
 * ```
 */
export function backoffMs(retry: number): number {
  return Math.min(30_000, 1000 * retry);
}

/** Server and network failures of one SubmitJob are retried at most this many times. */
export const MAX_SERVER_RETRIES = 10;

/**
 * What {@link submitThrottled} needs.
 *
 * @example
 * ```ts
 * const ctx: SubmitContext = { api, rate, onRetry: () => counts.retries++ };
 * ```
 */
export interface SubmitContext {
  /** SubmitJob without SDK retries (the limiter owns them) and ListJobs (to find a job a 5xx created). */
  readonly api: Pick<BatchApi, 'submitJob' | 'listJobs'>;
  readonly rate: SubmitRate;
  readonly clock?: Clock;
  /** Told each retried call. */
  readonly onRetry?: (kind: RetryKind, err: unknown) => void;
}

async function sleepUnless(clock: Clock, ms: number, cancelled: () => boolean): Promise<void> {
  const end = clock.now() + ms;
  while (!cancelled()) {
    const left = end - clock.now();
    if (left <= 0) return;
    await clock.sleep(Math.min(left, 1000));
  }
}

async function findSubmitted(
  api: Pick<BatchApi, 'listJobs'>,
  request: SubmitJobCommandInput & { jobName: string },
): Promise<string | undefined> {
  try {
    const out = await api.listJobs({
      jobQueue: request.jobQueue,
      filters: [{ name: 'JOB_NAME', values: [request.jobName] }],
    });
    const hits = (out.jobSummaryList ?? []).filter((s) => s.jobName === request.jobName && s.jobId);
    hits.sort((a, b) => (b.createdAt ?? 0) - (a.createdAt ?? 0));
    return hits[0]?.jobId;
  } catch {
    return undefined;
  }
}

/**
 * Submits one job through the run's rate: waits for a slot, sends, and on a throttling answer slows the
 * rate down and tries again after a back-off, with no limit on the number of tries; a server or network
 * failure also slows down (server only) and is retried up to {@link MAX_SERVER_RETRIES} times, after
 * looking for a job of the same name that the failed call may have created. Any other error is thrown.
 * Resolves `undefined` when `cancelled()` became true before the job was submitted.
 *
 * @example
 * ```ts
 * const out = await submitThrottled(ctx, request, () => killed);
 * if (out) console.log(out.jobId);
 * ```
 */
export async function submitThrottled(
  ctx: SubmitContext,
  request: SubmitJobCommandInput & { jobName: string },
  cancelled: () => boolean = () => false,
): Promise<Pick<SubmitJobCommandOutput, 'jobId' | 'jobName'> | undefined> {
  const clock = ctx.clock ?? realClock;
  let serverRetries = 0;
  for (let retry = 0; ; retry++) {
    if (!(await ctx.rate.take({ cancelled, retry: retry > 0 }))) return undefined;
    try {
      const out = await ctx.api.submitJob(request);
      ctx.rate.succeeded();
      return out;
    } catch (err) {
      const kind = retryKind(err);
      if (!kind || (kind !== 'throttled' && ++serverRetries > MAX_SERVER_RETRIES)) throw err;
      if (kind !== 'network') ctx.rate.slowDown(describeAwsError(err));
      ctx.onRetry?.(kind, err);
      if (kind !== 'throttled') {
        const jobId = await findSubmitted(ctx.api, request);
        if (jobId) return { jobId, jobName: request.jobName };
      }
      await sleepUnless(clock, backoffMs(retry + 1), cancelled);
      if (cancelled()) return undefined;
    }
  }
}

/**
 * Calls `call` until it does not fail with a throttling answer (back-off {@link backoffMs}, no limit on
 * the number of tries); any other error is thrown. For calls that must not fail because AWS is busy,
 * such as TerminateJob.
 *
 * @example
 * ```ts
 * await retryThrottled(() => api.terminateJob({ jobId, reason }));
 * ```
 */
export async function retryThrottled<T>(
  call: () => Promise<T>,
  options: { clock?: Clock; onRetry?: (err: unknown) => void } = {},
): Promise<T> {
  const clock = options.clock ?? realClock;
  for (let retry = 1; ; retry++) {
    try {
      return await call();
    } catch (err) {
      if (retryKind(err) !== 'throttled') throw err;
      options.onRetry?.(err);
      await clock.sleep(backoffMs(retry));
    }
  }
}
