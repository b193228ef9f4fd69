/**
 * One poller per run: every interval, DescribeJobs for all active jobs of the run in calls of at most 100
 * ids, and each job's watcher is told its description. The children of a large array job are not
 * described one by one: their parent is, and only the children whose state changed are looked up
 * (array-poller.ts). A job AWS does not (yet) know is kept and asked
 * again (DescribeJobs is eventually consistent right after SubmitJob).
 *
 * A failing DescribeJobs never hangs the run: a refused permission (`AccessDeniedException`, ...) gives up
 * on the jobs of that call at once, saying which permission to add; any other failure is retried with
 * a growing, jittered interval (one notice when it starts, then at most one per {@link NOTICE_EVERY_MS}),
 * and once DescribeJobs has failed for longer than the deadline (`STEPFLOW_BATCH_API_DEADLINE_S`, default
 * 10 minutes) the poller gives up on the jobs it could not describe. Giving up on a job tells its
 * `lost` callback (the attempt fails with the message); the job itself is left to `stepflow batch kill`.
 *
 * @module
 */
import type { JobDetail } from '@aws-sdk/client-batch';
import { backoffDelay, describeAwsFailure, isPermissionDenied } from '../../../aws/index.js';
import { errorMessage } from '../../../common/index.js';
import type { BatchApi } from '../aws.js';
import { ArrayTracker, type CycleCalls } from './array-poller.js';
import { type Clock, realClock } from './submit-rate.js';

/**
 * DescribeJobs takes at most this many ids per call.
 *
 * @example
 * ```ts
 * Math.ceil(250 / DESCRIBE_JOBS_MAX); // 3 calls per cycle
 * ```
 */
export const DESCRIBE_JOBS_MAX = 100;

/**
 * Default of `STEPFLOW_BATCH_API_DEADLINE_S`, in ms: how long DescribeJobs may keep failing.
 *
 * @example
 * ```ts
 * new JobPoller(api, 1000, say, { deadlineMs: DESCRIBE_DEADLINE_MS });
 * ```
 */
export const DESCRIBE_DEADLINE_MS = 10 * 60_000;

/**
 * While DescribeJobs keeps failing, at most one notice per this many ms.
 *
 * @example
 * ```ts
 * NOTICE_EVERY_MS; // 30000
 * ```
 */
export const NOTICE_EVERY_MS = 30_000;

/** The longest pause between poll cycles while DescribeJobs fails. */
const MAX_BACKOFF_MS = 30_000;

/**
 * Told each description of its job; returns true once it needs no more (the job ended).
 *
 * @example
 * ```ts
 * const watcher: JobWatcher = (job) => job.status === 'SUCCEEDED' || job.status === 'FAILED';
 * ```
 */
export type JobWatcher = (job: JobDetail) => boolean | Promise<boolean>;

/**
 * Told that the poller gave up on its job (DescribeJobs refused or failing past the deadline), with the
 * message to show; the job is no longer followed.
 *
 * @example
 * ```ts
 * const lost: JobLost = (message) => end({ exitCode: null, signal: null, killedReason: message });
 * ```
 */
export type JobLost = (message: string) => void;

/**
 * Options of {@link JobPoller}.
 *
 * @example
 * ```ts
 * const options: JobPollerOptions = { deadlineMs: 60_000, hint: 'stepflow batch kill flow.ts --run-id 17' };
 * ```
 */
export interface JobPollerOptions {
  /** How long DescribeJobs may keep failing before the jobs are given up (default 10 minutes). */
  readonly deadlineMs?: number;
  /**
   * The command that stops the jobs given up (default `stepflow batch kill <flow file> --run-id <run>`); a
   * function when the run id is known only later.
   */
  readonly killHint?: string | (() => string);
  /** The clock (tests). */
  readonly clock?: Clock;
  /** Random numbers in [0, 1) for the back-off's jitter (tests). */
  readonly random?: () => number;
}

/**
 * Polls the run's active jobs in batches of {@link DESCRIBE_JOBS_MAX}.
 *
 * @example
 * ```ts
 * const poller = new JobPoller(api, 1000, (m) => console.error(m));
 * poller.watch(jobId, (job) => job.status === 'SUCCEEDED' || job.status === 'FAILED');
 * ```
 */
export class JobPoller {
  private readonly jobs = new Map<string, { watcher: JobWatcher; lost?: JobLost }>();
  private timer: NodeJS.Timeout | undefined;
  private cycling = false;
  /** Poll cycles run so far. */
  cycles = 0;
  /** When DescribeJobs started failing (clock ms), while it fails. */
  private failingSince: number | undefined;
  /** Cycles in a row with a failed DescribeJobs. */
  private failedCycles = 0;
  private lastNotice = Number.NEGATIVE_INFINITY;
  private readonly clock: Clock;
  private readonly deadlineMs: number;
  private readonly arrays: ArrayTracker;
  /** The calls of the last poll cycle, and the most any cycle made (for tests and the benchmark). */
  readonly callsPerCycle = { last: { DescribeJobs: 0, ListJobs: 0 }, max: 0 };

  constructor(
    private readonly api: Pick<BatchApi, 'describeJobs' | 'listJobs'>,
    private readonly intervalMs: number,
    private readonly onError: (message: string) => void = () => {},
    private readonly options: JobPollerOptions = {},
  ) {
    this.clock = options.clock ?? realClock;
    this.deadlineMs = options.deadlineMs ?? DESCRIBE_DEADLINE_MS;
    this.arrays = new ArrayTracker(api, this.clock);
  }

  /** Number of jobs being followed. */
  get active(): number {
    return this.jobs.size;
  }

  /** Follows a job until its watcher returns true (or {@link unwatch}); `lost` is told if the poller gives up. */
  watch(jobId: string, watcher: JobWatcher, lost?: JobLost): void {
    this.jobs.set(jobId, lost ? { watcher, lost } : { watcher });
    this.schedule();
  }

  /** Stops following a job. */
  unwatch(jobId: string): void {
    this.jobs.delete(jobId);
  }

  /** Stops polling (the watchers are dropped). */
  stop(): void {
    this.jobs.clear();
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** The pause before the next cycle: the interval, or a growing, jittered back-off while DescribeJobs fails. */
  private nextDelay(): number {
    if (this.failedCycles === 0) return this.intervalMs;
    const base = Math.max(this.intervalMs, 1000);
    return Math.max(
      this.intervalMs,
      backoffDelay(
        this.failedCycles - 1,
        { baseDelayMs: base, maxDelayMs: MAX_BACKOFF_MS },
        this.options.random,
      ),
    );
  }

  private schedule(): void {
    if (this.timer || this.cycling || this.jobs.size === 0) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.cycle();
    }, this.nextDelay());
  }

  /**
   * One poll cycle: describes every active plain job and array parent (⌈n/100⌉ calls, run in parallel),
   * looks up the children of the arrays whose counts changed, then tells the watchers.
   */
  async cycle(): Promise<void> {
    this.cycling = true;
    this.cycles++;
    const calls: CycleCalls = { DescribeJobs: 0, ListJobs: 0 };
    try {
      const { direct, parents } = this.arrays.plan(this.jobs.keys());
      const updates: Promise<void>[] = [];
      const tell = (job: JobDetail) => {
        const watched = job.jobId ? this.jobs.get(job.jobId) : undefined;
        if (!watched || !job.jobId) return;
        const id = job.jobId;
        updates.push(
          Promise.resolve()
            .then(() => watched.watcher(job))
            .then(
              (finished) => {
                if (finished) this.jobs.delete(id);
              },
              (err: unknown) => this.onError(`following job ${id}: ${errorMessage(err)}`),
            ),
        );
      };
      let failed = await this.describe(
        [...direct, ...parents.keys()],
        calls,
        (job) => {
          const children = job.jobId ? parents.get(job.jobId) : undefined;
          if (!children) return tell(job);
          parents.delete(job.jobId as string);
          // The parent of a large array: only its changed children are looked up.
          updates.push(
            this.arrays.changed(job, children, calls).then(
              async (changed) => {
                if (changed) return changed.forEach(tell);
                // No status summary: the children are described directly (correctness before call counts).
                failed = (await this.describe(children, calls, tell, (id) => [id])) || failed;
              },
              (err: unknown) => {
                failed = this.failedCall(children, err) || failed;
              },
            ),
          );
        },
        (id) => parents.get(id) ?? [id],
      );
      // A parent AWS did not (yet) describe has its children asked again next cycle. Watchers told while
      // the arrays' children were looked up are waited for too.
      while (updates.length > 0) await Promise.all(updates.splice(0));
      if (failed) this.failedCycles++;
      else {
        if (this.failingSince !== undefined && this.failedCycles > 1) {
          this.onError(`DescribeJobs answers again after ${this.failedCycles} failed poll cycles`);
        }
        this.failingSince = undefined;
        this.failedCycles = 0;
      }
    } finally {
      this.callsPerCycle.last = calls;
      this.callsPerCycle.max = Math.max(this.callsPerCycle.max, calls.DescribeJobs + calls.ListJobs);
      this.cycling = false;
      this.schedule();
    }
  }

  /**
   * DescribeJobs for `ids` (≤ 100 a call, in parallel), each description given to `each`; a failed call's
   * ids are expanded by `owners` (a parent → its followed children) and handled by {@link failedCall}.
   * True when a call failed and will be retried.
   */
  private async describe(
    ids: readonly string[],
    calls: CycleCalls,
    each: (job: JobDetail) => void,
    owners: (id: string) => readonly string[],
  ): Promise<boolean> {
    const batches: string[][] = [];
    for (let i = 0; i < ids.length; i += DESCRIBE_JOBS_MAX) batches.push(ids.slice(i, i + DESCRIBE_JOBS_MAX));
    calls.DescribeJobs += batches.length;
    const results = await Promise.allSettled(batches.map((jobs) => this.api.describeJobs({ jobs })));
    let failed = false;
    results.forEach((result, i) => {
      if (result.status === 'rejected') {
        const lost = (batches[i] as string[]).flatMap(owners);
        failed = this.failedCall(lost, result.reason) || failed;
        return;
      }
      for (const job of result.value.jobs ?? []) each(job);
    });
    return failed;
  }

  /**
   * A DescribeJobs call for `ids` failed: gives up on them at once (refused permission) or past the
   * deadline, else says so (rate-limited) and lets the next cycle retry. True when it will be retried.
   */
  private failedCall(ids: readonly string[], err: unknown): boolean {
    const what = describeAwsFailure(err);
    if (isPermissionDenied(err)) {
      this.giveUp(
        ids,
        `AWS refused DescribeJobs (${what}): the identity running stepflow needs the IAM permission ` +
          'batch:DescribeJobs to follow its jobs. Add batch:DescribeJobs to its policy and run again.',
      );
      return false;
    }
    const now = this.clock.now();
    this.failingSince ??= now;
    const failingMs = now - this.failingSince;
    if (failingMs >= this.deadlineMs) {
      this.giveUp(
        ids,
        `DescribeJobs has failed for ${Math.round(failingMs / 1000)} s (last: ${what}), longer than ` +
          `STEPFLOW_BATCH_API_DEADLINE_S=${Math.round(this.deadlineMs / 1000)}; stepflow stopped following these jobs.`,
      );
      return false;
    }
    if (this.failedCycles === 0 || now - this.lastNotice >= NOTICE_EVERY_MS) {
      this.lastNotice = now;
      const left = Math.round((this.deadlineMs - failingMs) / 1000);
      this.onError(
        this.failedCycles === 0
          ? `DescribeJobs failed (will retry): ${errorMessage(err)}`
          : `DescribeJobs still failing after ${Math.round(failingMs / 1000)} s (${what}); retrying with ` +
              `back-off, the attempts fail in ${left} s (STEPFLOW_BATCH_API_DEADLINE_S)`,
      );
    }
    return true;
  }

  /** Stops following `ids` and tells each job why, naming the jobs and how to stop them. */
  private giveUp(ids: readonly string[], why: string): void {
    const lost = ids.filter((id) => this.jobs.has(id));
    if (lost.length === 0) return;
    const shown =
      lost.length > 10 ? `${lost.slice(0, 10).join(', ')} and ${lost.length - 10} more` : lost.join(', ');
    const given = this.options.killHint;
    const hint =
      (typeof given === 'function' ? given() : given) ?? 'stepflow batch kill <flow file> --run-id <run id>';
    const message =
      `${why} The job${lost.length === 1 ? '' : 's'} ${shown} may still be running on AWS Batch: ` +
      `stop ${lost.length === 1 ? 'it' : 'them'} with \`${hint}\`.`;
    this.onError(message);
    for (const id of lost) {
      const watched = this.jobs.get(id);
      this.jobs.delete(id);
      watched?.lost?.(message);
    }
  }
}
