/**
 * Test access to the local AWS Batch stand-in (moto + dockerd + the node-only job image + the job
 * credentials endpoint) that `scripts/test.mjs` starts for batch tests (files under `test/e2e/batch/` or
 * named `*.batch.test.ts`). Without it a test skips, except under CI (CI=true or CI=1), where it fails.
 *
 * @module
 */
import {
  type BatchClient,
  DescribeJobsCommand,
  type JobDetail,
  type JobStatus,
  ListJobsCommand,
} from '@aws-sdk/client-batch';
import { type CloudWatchLogsClient, GetLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { needService } from '../../scripts/ci-rules.mjs';

/** Where the stand-in is and what it created. */
export interface BatchTestEnv {
  /** The moto endpoint (S3, Batch, CloudWatch Logs, IAM). */
  readonly endpoint: string;
  /** A job queue backed by an unmanaged compute environment; moto runs its jobs in Docker. */
  readonly queue: string;
  /** The local node-only image (`node` on PATH, credentials endpoint in its env). */
  readonly image: string;
  /** A bucket that exists on the endpoint. */
  readonly bucket: string;
  readonly region: string;
}

/** The log group moto (like AWS Batch's default) writes job output to. */
export const BATCH_LOG_GROUP = '/aws/batch/job';

/**
 * The stand-in's settings from the environment (`STEPFLOW_TEST_AWS_ENDPOINT`, `STEPFLOW_TEST_BATCH_QUEUE`,
 * `STEPFLOW_TEST_BATCH_IMAGE`, `STEPFLOW_TEST_BATCH_BUCKET`, `STEPFLOW_TEST_BATCH_REGION`), or undefined
 * when they are not all set. For hooks; tests use {@link batchEnv}.
 *
 * @example
 * ```ts
 * before(async () => {
 *   const env = readBatchEnv();
 *   if (env) await fetch(`${env.endpoint}/${env.bucket}/input.txt`, { method: 'PUT', body: 'x' });
 * });
 * ```
 */
export function readBatchEnv(): BatchTestEnv | undefined {
  const e = process.env;
  const endpoint = e.STEPFLOW_TEST_AWS_ENDPOINT;
  const queue = e.STEPFLOW_TEST_BATCH_QUEUE;
  const image = e.STEPFLOW_TEST_BATCH_IMAGE;
  const bucket = e.STEPFLOW_TEST_BATCH_BUCKET;
  if (!endpoint || !queue || !image || !bucket) return undefined;
  return { endpoint, queue, image, bucket, region: e.STEPFLOW_TEST_BATCH_REGION ?? 'us-east-1' };
}

/**
 * The stand-in's settings, or undefined after skipping the test (failing it under CI (CI=true or CI=1)).
 *
 * @example
 * ```ts
 * it('runs a job', async (t) => {
 *   const env = batchEnv(t);
 *   if (!env) return;
 *   // submit to env.queue with env.image
 * });
 * ```
 */
export function batchEnv(t: { skip(message?: string): void }): BatchTestEnv | undefined {
  const env = readBatchEnv();
  if (env) return env;
  const why =
    'the local AWS Batch stand-in (moto + dockerd + the node job image): run batch tests through ' +
    '`node scripts/test.mjs test/e2e/batch` (it starts one; needs root, python3 with moto, and docker.io)';
  needService(t, false, why);
  return undefined;
}

const FINAL: ReadonlySet<JobStatus | undefined> = new Set<JobStatus | undefined>(['SUCCEEDED', 'FAILED']);

/**
 * Polls DescribeJobs until the job has SUCCEEDED or FAILED; returns its last description and every
 * status seen, in order.
 *
 * @example
 * ```ts
 * const { job } = await waitForJob(batch, jobId);
 * assert.equal(job.status, 'SUCCEEDED');
 * ```
 */
export async function waitForJob(
  batch: BatchClient,
  jobId: string,
  { timeoutMs = 60_000, intervalMs = 250 } = {},
): Promise<{ job: JobDetail; seen: JobStatus[] }> {
  const seen: JobStatus[] = [];
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const out = await batch.send(new DescribeJobsCommand({ jobs: [jobId] }));
    const job = out.jobs?.[0];
    if (!job) throw new Error(`DescribeJobs does not know job ${jobId}`);
    if (job.status && seen.at(-1) !== job.status) seen.push(job.status);
    if (FINAL.has(job.status)) return { job, seen };
    if (Date.now() > deadline) {
      throw new Error(
        `job ${jobId} is still ${job.status} after ${timeoutMs / 1000} s (seen: ${seen.join(' → ')})`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/**
 * The job's container exit code. DescribeJobs on moto leaves it out, so it is read from ListJobs (which has
 * it on AWS too).
 *
 * @example
 * ```ts
 * assert.equal(await exitCodeOf(batch, queue, job), 3);
 * ```
 */
export async function exitCodeOf(
  batch: BatchClient,
  queue: string,
  job: JobDetail,
): Promise<number | undefined> {
  const fromDescribe = job.container?.exitCode ?? job.attempts?.at(-1)?.container?.exitCode;
  if (fromDescribe !== undefined) return fromDescribe;
  let nextToken: string | undefined;
  do {
    const page = await batch.send(new ListJobsCommand({ jobQueue: queue, jobStatus: job.status, nextToken }));
    const hit = page.jobSummaryList?.find((s) => s.jobId === job.jobId);
    if (hit) return hit.container?.exitCode;
    nextToken = page.nextToken;
  } while (nextToken);
  return undefined;
}

/**
 * The job's log lines from CloudWatch Logs, taking the stream name from the job's description (never
 * building it: AWS and moto name streams differently).
 *
 * @example
 * ```ts
 * const lines = await jobLogLines(logs, job);
 * ```
 */
export async function jobLogLines(logs: CloudWatchLogsClient, job: JobDetail): Promise<string[]> {
  const stream = job.container?.logStreamName ?? job.attempts?.at(-1)?.container?.logStreamName;
  if (!stream) throw new Error(`job ${job.jobId} (${job.status}) names no log stream`);
  const lines: string[] = [];
  let token: string | undefined;
  for (;;) {
    const page = await logs.send(
      new GetLogEventsCommand({
        logGroupName: BATCH_LOG_GROUP,
        logStreamName: stream,
        startFromHead: true,
        nextToken: token,
      }),
    );
    for (const event of page.events ?? []) lines.push(event.message ?? '');
    if (!page.nextForwardToken || page.nextForwardToken === token) return lines;
    token = page.nextForwardToken;
  }
}

/**
 * The environment of a `stepflow` command run against the stand-in: credentials for the LOCAL side only
 * (moto; a job gets its own from the image's credentials endpoint), the endpoints, queue and image, and a
 * fast poll; `extra` adds or overrides variables.
 *
 * @example
 * ```ts
 * await runCli(['run', flow, '--datastore', 's3'], { env: batchCliEnv(env, { METAFLOW_USER: 'me' }) });
 * ```
 */
export function batchCliEnv(e: BatchTestEnv, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return {
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
    AWS_REGION: e.region,
    AWS_DEFAULT_REGION: e.region,
    AWS_ENDPOINT_URL: e.endpoint,
    METAFLOW_S3_ENDPOINT_URL: e.endpoint,
    METAFLOW_BATCH_JOB_QUEUE: e.queue,
    METAFLOW_BATCH_CONTAINER_IMAGE: e.image,
    STEPFLOW_BATCH_POLL_MS: '250',
    ...extra,
  };
}
