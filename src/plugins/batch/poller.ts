/**
 * One poller per run: every interval, DescribeJobs for all active jobs of the run in calls of at most 100
 * ids, and each job's watcher is told its description. A job AWS does not (yet) know is kept and asked
 * again (DescribeJobs is eventually consistent right after SubmitJob).
 *
 * @module
 */
import type { JobDetail } from '@aws-sdk/client-batch';
import type { BatchApi } from './aws.js';

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
 * Told each description of its job; returns true once it needs no more (the job ended).
 *
 * @example
 * ```ts
 * const watcher: JobWatcher = (job) => job.status === 'SUCCEEDED' || job.status === 'FAILED';
 * ```
 */
export type JobWatcher = (job: JobDetail) => boolean | Promise<boolean>;

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
  private readonly jobs = new Map<string, JobWatcher>();
  private timer: NodeJS.Timeout | undefined;
  private cycling = false;
  /** Poll cycles run so far. */
  cycles = 0;

  constructor(
    private readonly api: Pick<BatchApi, 'describeJobs'>,
    private readonly intervalMs: number,
    private readonly onError: (message: string) => void = () => {},
  ) {}

  /** Number of jobs being followed. */
  get active(): number {
    return this.jobs.size;
  }

  /** Follows a job until its watcher returns true (or {@link unwatch}). */
  watch(jobId: string, watcher: JobWatcher): void {
    this.jobs.set(jobId, watcher);
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

  private schedule(): void {
    if (this.timer || this.cycling || this.jobs.size === 0) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.cycle();
    }, this.intervalMs);
  }

  /** One poll cycle: describes every active job (⌈n/100⌉ calls, run in parallel), then tells the watchers. */
  async cycle(): Promise<void> {
    this.cycling = true;
    this.cycles++;
    try {
      const ids = [...this.jobs.keys()];
      const batches: string[][] = [];
      for (let i = 0; i < ids.length; i += DESCRIBE_JOBS_MAX)
        batches.push(ids.slice(i, i + DESCRIBE_JOBS_MAX));
      const results = await Promise.allSettled(batches.map((jobs) => this.api.describeJobs({ jobs })));
      const updates: Promise<void>[] = [];
      for (const result of results) {
        if (result.status === 'rejected') {
          this.onError(
            `DescribeJobs failed (will retry): ${(result.reason as Error)?.message ?? result.reason}`,
          );
          continue;
        }
        for (const job of result.value.jobs ?? []) {
          const watcher = job.jobId ? this.jobs.get(job.jobId) : undefined;
          if (!watcher || !job.jobId) continue;
          const id = job.jobId;
          updates.push(
            Promise.resolve()
              .then(() => watcher(job))
              .then(
                (finished) => {
                  if (finished) this.jobs.delete(id);
                },
                (err: unknown) => this.onError(`following job ${id}: ${(err as Error)?.message ?? err}`),
              ),
          );
        }
      }
      await Promise.all(updates);
    } finally {
      this.cycling = false;
      this.schedule();
    }
  }
}
