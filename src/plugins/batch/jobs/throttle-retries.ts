/**
 * Which AWS answers are throttling (`TooManyRequestsException`, `ThrottlingException`, HTTP 429) or a
 * server failure (HTTP 500, 502, 503, 504), and the retry loops built on that: {@link submitThrottled}
 * (SubmitJob through the run's {@link SubmitRate}, retried for as long as AWS throttles) and
 * {@link retryThrottled} (any other call, e.g. TerminateJob, retried while AWS throttles).
 *
 * A SubmitJob answered 5xx (or cut off by the network) may have created the job: before submitting
 * again, ListJobs on the queue looks for jobs of the same name and DescribeJobs keeps the one carrying
 * this submission's token (`STEPFLOW_SUBMISSION` in its environment), which is adopted. A name alone is
 * not enough: a spot resubmission reuses its attempt's name, and the older job must not be adopted.
 *
 * @module
 */
import { randomUUID } from 'node:crypto';
import type { SubmitJobCommandInput, SubmitJobCommandOutput } from '@aws-sdk/client-batch';
import {
  describeAwsError,
  isThrottling,
  type RetryKind,
  retryKind,
  withRetries,
} from '../../../aws/index.js';
import type { BatchApi } from '../aws.js';

/** DescribeJobs takes at most this many ids. */
const DESCRIBE_MAX = 100;

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
  /** SubmitJob without SDK retries (the limiter owns them); ListJobs and DescribeJobs find a job a 5xx created. */
  readonly api: Pick<BatchApi, 'submitJob' | 'listJobs' | 'describeJobs'>;
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

/**
 * The environment variable that carries a submission's unique token (in `containerOverrides`, which
 * DescribeJobs shows on AWS and on moto): after a SubmitJob answered 5xx, only a job carrying the token
 * is adopted — never an older job of the same name (a spot resubmission reuses the name).
 *
 * @example
 * ```ts
 * withSubmissionToken(request).containerOverrides?.environment; // [..., { name: 'STEPFLOW_SUBMISSION', value: '…' }]
 * ```
 */
export const SUBMISSION_ENV = 'STEPFLOW_SUBMISSION';

/**
 * The token of a request, if it has one.
 *
 * @example
 * ```ts
 * submissionToken(withSubmissionToken(request)); // 'c0ffee…'
 * ```
 */
export function submissionToken(
  request: Pick<SubmitJobCommandInput, 'containerOverrides'>,
): string | undefined {
  return request.containerOverrides?.environment?.find((e) => e.name === SUBMISSION_ENV)?.value;
}

/**
 * The request with a unique {@link SUBMISSION_ENV} token in its environment (unchanged if it has one).
 *
 * @example
 * ```ts
 * const sent = withSubmissionToken({ jobName: 'j', jobQueue: 'q', jobDefinition: 'd' });
 * ```
 */
export function withSubmissionToken<R extends SubmitJobCommandInput>(request: R): R {
  if (submissionToken(request)) return request;
  const environment = [...(request.containerOverrides?.environment ?? [])];
  environment.push({ name: SUBMISSION_ENV, value: randomUUID() });
  return { ...request, containerOverrides: { ...request.containerOverrides, environment } };
}

/**
 * The job this submission created, if a failed SubmitJob did create it: the jobs of the same name
 * (ListJobs), newest first, whose environment carries the request's token (DescribeJobs).
 */
async function findSubmitted(
  api: Pick<BatchApi, 'listJobs' | 'describeJobs'>,
  request: SubmitJobCommandInput & { jobName: string },
): Promise<string | undefined> {
  const token = submissionToken(request);
  if (!token) return undefined;
  try {
    const out = await api.listJobs({
      jobQueue: request.jobQueue,
      filters: [{ name: 'JOB_NAME', values: [request.jobName] }],
    });
    const hits = (out.jobSummaryList ?? []).filter((s) => s.jobName === request.jobName && s.jobId);
    hits.sort((a, b) => (b.createdAt ?? 0) - (a.createdAt ?? 0));
    const ids = hits.slice(0, DESCRIBE_MAX).map((s) => s.jobId as string);
    if (ids.length === 0) return undefined;
    const { jobs } = await api.describeJobs({ jobs: ids });
    const mine = (jobs ?? []).find((j) =>
      (j.container?.environment ?? []).some((e) => e.name === SUBMISSION_ENV && e.value === token),
    );
    return mine?.jobId;
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
  // Every try of this submission carries one token; a 5xx is followed by adopting only a job with it.
  const sent = withSubmissionToken(request);
  let serverRetries = 0;
  for (let retry = 0; ; retry++) {
    if (!(await ctx.rate.take({ cancelled, retry: retry > 0 }))) return undefined;
    try {
      const out = await ctx.api.submitJob(sent);
      ctx.rate.succeeded();
      return out;
    } catch (err) {
      const kind = retryKind(err);
      if (!kind || (kind !== 'throttled' && ++serverRetries > MAX_SERVER_RETRIES)) throw err;
      if (kind !== 'network') ctx.rate.slowDown(describeAwsError(err));
      ctx.onRetry?.(kind, err);
      if (kind !== 'throttled') {
        const jobId = await findSubmitted(ctx.api, sent);
        if (jobId) return { jobId, jobName: request.jobName };
      }
      await sleepUnless(clock, backoffMs(retry + 1), cancelled);
      if (cancelled()) return undefined;
    }
  }
}

/**
 * Calls `call` until it does not fail with a throttling answer (the shared retry helper of `src/aws/`:
 * jittered back-off from 1 s, at most 30 s, no limit on the number of tries); any other error is thrown.
 * For calls that must not fail because AWS is busy, such as TerminateJob.
 *
 * @example
 * ```ts
 * await retryThrottled(() => api.terminateJob({ jobId, reason }));
 * ```
 */
export function retryThrottled<T>(
  call: () => Promise<T>,
  options: { clock?: Clock; onRetry?: (err: unknown) => void } = {},
): Promise<T> {
  return withRetries(
    () => call(),
    { retries: Number.POSITIVE_INFINITY, baseDelayMs: 1000, maxDelayMs: 30_000 },
    {
      isTransient: isThrottling,
      onRetry: (err) => options.onRetry?.(err),
      ...(options.clock ? { clock: options.clock } : {}),
    },
  );
}
