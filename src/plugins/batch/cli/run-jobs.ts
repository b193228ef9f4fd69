/**
 * The AWS Batch jobs of past runs, for `stepflow batch list|kill`: which runs (the latest of the user, a
 * given run, or every run of a user), their jobs (the `<attempt>.batch.json` records written right after
 * SubmitJob, plus ListJobs on the run's queues for names of the run that have no record yet), their live
 * status (DescribeJobs, ≤ 100 ids per call), and ending the unfinished ones (TerminateJob, then waiting
 * until AWS says they ended).
 *
 * @module
 */
import type { JobDetail, JobStatus } from '@aws-sdk/client-batch';
import { errorMessage } from '../../../common/index.js';
import type { RunRecord, StorageBackend } from '../../../datastore/index.js';
import { FlowDatastore, isRunId, runPrefix } from '../../../datastore/index.js';
import type { BatchApi } from '../aws.js';
import { BatchRunJobsError } from '../errors.js';
import type { BatchJobRecord } from '../jobs/batch-job.js';
import { DESCRIBE_JOBS_MAX } from '../jobs/poller.js';
import { type TerminateRetry, terminateReason, terminateWithRetry } from '../jobs/terminate.js';
import { jobNamePrefix } from '../spec/names.js';
import { arrayOf, arrayUnfinished } from './run-arrays.js';

/**
 * Job statuses that are not final.
 *
 * @example
 * ```ts
 * UNFINISHED.has('RUNNABLE'); // true
 * ```
 */
export const UNFINISHED: ReadonlySet<string> = new Set<JobStatus>([
  'SUBMITTED',
  'PENDING',
  'RUNNABLE',
  'STARTING',
  'RUNNING',
]);

/**
 * Which runs (Metaflow's `batch list` options): by default the latest run of the current user; `runId`
 * that run (of `user`, when given); `user` or `myRuns` alone every run of that user.
 *
 * @example
 * ```ts
 * const selection: RunSelection = { myRuns: true };
 * ```
 */
export interface RunSelection {
  readonly runId?: string;
  readonly user?: string;
  readonly myRuns?: boolean;
}

/**
 * One job of a run, with its live status.
 *
 * @example
 * ```ts
 * const job: RunJob = { pathspec: 'F/17/train/3', runId: '17', attempt: 0, jobId: 'abc', jobName: 'jane-F-17-train-3-0', status: 'RUNNING', queue: 'q' };
 * ```
 */
export interface RunJob {
  readonly pathspec: string;
  readonly runId: string;
  readonly attempt: number;
  readonly jobId: string;
  readonly jobName: string;
  readonly status: string;
  readonly queue: string;
  /** AWS's reason (a terminated job: `stopped by stepflow: ...`). */
  readonly statusReason?: string;
  /** An array child's parent (its job id is `<arrayJobId>:<index>`). */
  readonly arrayJobId?: string;
  /** An array job: its size and its children's counts by state (the pathspec names the step). */
  readonly array?: { readonly size: number; readonly counts: Readonly<Record<string, number>> };
}

/**
 * The runs a selection names, newest first.
 *
 * @example
 * ```ts
 * const runs = await selectRuns(storage, 'TrainFlow', {}, currentUser()); // [the latest run of the user]
 * ```
 */
export async function selectRuns(
  storage: StorageBackend,
  flowName: string,
  selection: RunSelection,
  me: string,
): Promise<RunRecord[]> {
  if (selection.myRuns && selection.user !== undefined) {
    throw new BatchRunJobsError('--user and --my-runs exclude each other: pass one of them.', {
      flow: flowName,
    });
  }
  if (selection.myRuns && selection.runId !== undefined) {
    throw new BatchRunJobsError('--run-id and --my-runs exclude each other: pass one of them.', {
      flow: flowName,
    });
  }
  const user = selection.myRuns ? me : selection.user;
  if (selection.runId !== undefined) {
    const run = isRunId(selection.runId)
      ? await new FlowDatastore(storage, flowName).readRun(selection.runId)
      : undefined;
    if (!run) {
      throw new BatchRunJobsError(
        `No run ${flowName}/${selection.runId} in the datastore ${storage.root}: check the run id (the first ` +
          'line `stepflow run` printed) and the datastore (--datastore-root, METAFLOW_DATASTORE_SYSROOT_S3).',
        { flow: flowName, runId: selection.runId },
      );
    }
    return user === undefined || run.user === user ? [run] : [];
  }
  const fds = new FlowDatastore(storage, flowName);
  const owner = user ?? me;
  const runs: RunRecord[] = [];
  for (const id of await fds.listRunIds()) {
    const run = await fds.readRun(id);
    if (run?.user !== owner) continue;
    runs.push(run);
    if (user === undefined) break;
  }
  if (runs.length === 0 && user === undefined) {
    throw new BatchRunJobsError(
      `No run of ${flowName} by ${owner} in the datastore ${storage.root}: pass --run-id ID, or --user NAME ` +
        'for the runs of another user (METAFLOW_USER sets who you are).',
      { flow: flowName },
    );
  }
  return runs;
}

/**
 * Where to look for the jobs of a run.
 *
 * @example
 * ```ts
 * const source: RunJobsSource = { api: sdkBatchApi(), storage, flowName: 'F', defaultQueue: 'my-queue' };
 * ```
 */
export interface RunJobsSource {
  readonly api: BatchApi;
  readonly storage: StorageBackend;
  readonly flowName: string;
  /** `METAFLOW_BATCH_JOB_QUEUE`: also asked with ListJobs (a job with no record may be there). */
  readonly defaultQueue?: string;
}

interface Found {
  pathspec: string;
  runId: string;
  attempt: number;
  jobId: string;
  jobName: string;
  queue: string;
  arrayJobId?: string;
}

/**
 * Every job of the runs (from records and ListJobs) with its live status; `unfinished` keeps only the
 * jobs that are not SUCCEEDED or FAILED. A recorded job AWS no longer knows is left out; a queue ListJobs
 * fails on is passed to `warn`.
 *
 * @example
 * ```ts
 * const jobs = await runJobs(source, runs, { unfinished: true });
 * for (const j of jobs) console.log(j.pathspec, j.jobId, j.status);
 * ```
 */
export async function runJobs(
  source: RunJobsSource,
  runs: readonly RunRecord[],
  options: { unfinished?: boolean; warn?: (message: string) => void } = {},
): Promise<RunJob[]> {
  const found = new Map<string, Found>();
  for (const run of runs) {
    const queues = new Set<string>(source.defaultQueue ? [source.defaultQueue] : []);
    for (const job of await recordedJobs(source, run.runId)) {
      found.set(job.jobId, job);
      queues.add(job.queue);
      // The array job of a recorded child: one entry for the step (its pathspec without the task).
      if (job.arrayJobId && !found.has(job.arrayJobId)) {
        const { arrayJobId: _, ...rest } = job;
        found.set(job.arrayJobId, {
          ...rest,
          jobId: job.arrayJobId,
          pathspec: job.pathspec.split('/').slice(0, 3).join('/'),
        });
      }
    }
    for (const q of declaredQueues(run)) queues.add(q);
    for (const job of await listedJobs(source, run, queues, options.warn))
      if (!found.has(job.jobId)) found.set(job.jobId, job);
  }
  const described = await describeAll(source.api, [...found.keys()]);
  const out: RunJob[] = [];
  for (const job of found.values()) {
    const detail = described.get(job.jobId);
    if (!detail?.status) continue;
    const array = arrayOf(detail, [...found.values()], described);
    if (options.unfinished && !(array ? arrayUnfinished(detail, array) : UNFINISHED.has(detail.status)))
      continue;
    out.push({
      ...job,
      status: detail.status,
      ...(detail.statusReason ? { statusReason: detail.statusReason } : {}),
      ...(array ? { array } : {}),
    });
  }
  return out.sort((a, b) =>
    a.runId !== b.runId
      ? a.runId < b.runId
        ? 1
        : -1
      : a.pathspec.localeCompare(b.pathspec) || a.attempt - b.attempt,
  );
}

async function recordedJobs(source: RunJobsSource, runId: string): Promise<Found[]> {
  const prefix = runPrefix(source.flowName, runId);
  const keys = (await source.storage.list(prefix, { recursive: true }))
    .map((e) => e.key)
    .filter((k) => k.endsWith('.batch.json'));
  const jobs = await Promise.all(
    keys.map(async (key) => {
      const body = await source.storage.get(key);
      if (!body) return undefined;
      const record = JSON.parse(String(body)) as BatchJobRecord;
      const [step, task] = key.slice(prefix.length).split('/');
      return {
        pathspec: `${source.flowName}/${runId}/${step}/${task}`,
        runId,
        attempt: record.attempt,
        jobId: record.jobId,
        jobName: record.jobName,
        queue: record.queue,
        ...(record.arrayJobId ? { arrayJobId: record.arrayJobId } : {}),
      };
    }),
  );
  return jobs.filter((j): j is Found => j !== undefined);
}

/** The queues named by the run's `@batch` decorators (as recorded in the run record). */
function declaredQueues(run: RunRecord): string[] {
  const decorators = (run.extra?.decorators ?? {}) as Record<
    string,
    readonly { name?: string; options?: { queue?: unknown } }[]
  >;
  const queues: string[] = [];
  for (const list of Object.values(decorators)) {
    for (const d of list ?? []) {
      if (d.name === 'batch' && typeof d.options?.queue === 'string' && d.options.queue)
        queues.push(d.options.queue);
    }
  }
  return queues;
}

/** Jobs on the queues whose name starts with the run's prefix (`<user>-<flow>-<run>-`). */
async function listedJobs(
  source: RunJobsSource,
  run: RunRecord,
  queues: Iterable<string>,
  warn: (message: string) => void = () => {},
): Promise<Found[]> {
  const prefix = jobNamePrefix({ user: run.user, flowName: source.flowName, runId: run.runId });
  const out: Found[] = [];
  for (const queue of queues) {
    let nextToken: string | undefined;
    do {
      let page: Awaited<ReturnType<BatchApi['listJobs']>>;
      try {
        page = await source.api.listJobs({
          jobQueue: queue,
          filters: [{ name: 'JOB_NAME', values: [`${prefix}*`] }],
          nextToken,
        });
      } catch (err) {
        // A queue deleted since the run: its recorded jobs are still described.
        warn(
          `ListJobs on queue ${queue} failed (${errorMessage(err)}); jobs of run ${run.runId} without a record there are not shown`,
        );
        break;
      }
      for (const s of page.jobSummaryList ?? []) {
        if (!s.jobId || !s.jobName?.startsWith(prefix)) continue;
        const parts = /^(.+)-([^-]+)-(\d+)$/.exec(s.jobName.slice(prefix.length));
        out.push({
          pathspec: parts
            ? `${source.flowName}/${run.runId}/${parts[1]}/${parts[2]}`
            : `${source.flowName}/${run.runId}/(job ${s.jobName})`,
          runId: run.runId,
          attempt: parts ? Number(parts[3]) : 0,
          jobId: s.jobId,
          jobName: s.jobName,
          queue,
        });
      }
      nextToken = page.nextToken;
    } while (nextToken);
  }
  return out;
}

/** DescribeJobs for every id, ≤ {@link DESCRIBE_JOBS_MAX} per call. */
async function describeAll(api: BatchApi, ids: readonly string[]): Promise<Map<string, JobDetail>> {
  const batches: string[][] = [];
  for (let i = 0; i < ids.length; i += DESCRIBE_JOBS_MAX) batches.push(ids.slice(i, i + DESCRIBE_JOBS_MAX));
  const results = await Promise.all(batches.map((jobs) => api.describeJobs({ jobs })));
  const out = new Map<string, JobDetail>();
  for (const r of results) for (const j of r.jobs ?? []) if (j.jobId) out.set(j.jobId, j);
  return out;
}

/**
 * How {@link killJobs} went: the jobs AWS confirmed ended, those TerminateJob could not reach, and those
 * still not ended when the wait was over.
 *
 * @example
 * ```ts
 * const { ended, failed, unconfirmed } = await killJobs(api, jobs, { reason: 'stepflow batch kill' });
 * ```
 */
export interface KillResult {
  readonly ended: RunJob[];
  readonly failed: { job: RunJob; error: Error }[];
  readonly unconfirmed: RunJob[];
}

/**
 * Terminates the jobs (TerminateJob, retried; reason `stopped by stepflow: <reason>`) and waits until
 * DescribeJobs says each ended, for at most `waitMs`; `progress` is told how many are left every
 * `progressMs`.
 *
 * @example
 * ```ts
 * const result = await killJobs(api, jobs, { reason: 'stepflow batch kill', progress: (m) => console.error(m) });
 * ```
 */
export async function killJobs(
  api: BatchApi,
  jobs: readonly RunJob[],
  options: {
    readonly reason: string;
    readonly waitMs?: number;
    readonly pollMs?: number;
    readonly progressMs?: number;
    readonly retry?: TerminateRetry;
    readonly progress?: (message: string) => void;
    readonly terminated?: (job: RunJob, error?: Error) => void;
  },
): Promise<KillResult> {
  const failed: { job: RunJob; error: Error }[] = [];
  const sent: RunJob[] = [];
  await Promise.all(
    jobs.map(async (job) => {
      const result = await terminateWithRetry(api, job.jobId, terminateReason(options.reason), options.retry);
      if (result.ok) sent.push(job);
      else failed.push({ job, error: result.error });
      options.terminated?.(job, result.ok ? undefined : result.error);
    }),
  );
  // An array job ends when its children do (each terminated by id above): it is not waited for itself.
  const waiting = new Map(sent.filter((j) => !j.array).map((j) => [j.jobId, j]));
  const ended: RunJob[] = [];
  const deadline = Date.now() + (options.waitMs ?? 180_000);
  const pollMs = options.pollMs ?? 1000;
  const progressMs = options.progressMs ?? 5000;
  let lastProgress = 0;
  while (waiting.size > 0) {
    if (Date.now() - lastProgress >= progressMs) {
      options.progress?.(`waiting for AWS to end ${waiting.size} job(s)...`);
      lastProgress = Date.now();
    }
    try {
      const described = await describeAll(api, [...waiting.keys()]);
      for (const [id, detail] of described) {
        if (detail.status && !UNFINISHED.has(detail.status)) {
          const job = waiting.get(id) as RunJob;
          waiting.delete(id);
          ended.push({
            ...job,
            status: detail.status,
            ...(detail.statusReason ? { statusReason: detail.statusReason } : {}),
          });
        }
      }
    } catch (err) {
      options.progress?.(`DescribeJobs failed (will retry): ${errorMessage(err)}`);
    }
    if (waiting.size === 0 || Date.now() >= deadline) break;
    await new Promise((resolve) => setTimeout(resolve, pollMs));
  }
  return { ended, failed, unconfirmed: [...waiting.values()] };
}
