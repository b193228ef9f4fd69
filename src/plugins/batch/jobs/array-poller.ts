/**
 * Following array jobs in few calls: instead of describing every child each poll cycle, the poller
 * describes the array's parent (in the same DescribeJobs calls as the plain jobs) and reads its
 * `arrayProperties.statusSummary`. Only when the counts changed does it find which children changed:
 * ListJobs by `arrayJobId` and status (1000 a page) for each state whose count grew — or, when that state
 * holds most of the array, for the other states, the children missing from them being in it — then
 * DescribeJobs (≤ 100 ids a call) only for the children that newly FAILED (exit code, reasons for the
 * failure's classification); every other changed child is told a description made from its ListJobs
 * summary. An array with at most {@link SMALL_ARRAY} children still followed has them described directly
 * (they ride in the poller's DescribeJobs calls: their state lines and logs are shown as a plain job's).
 *
 * A parent without a status summary (the local stand-in's may lack one) falls back to describing its
 * children directly: correctness before call counts.
 *
 * @module
 */
import type { JobDetail, JobStatus, JobSummary } from '@aws-sdk/client-batch';
import type { BatchApi } from '../aws.js';

/**
 * Arrays with at most this many children followed are followed child by child.
 *
 * @example
 * ```ts
 * watchedChildren.length <= SMALL_ARRAY; // described directly, like plain jobs
 * ```
 */
export const SMALL_ARRAY = 20;

/** ListJobs' largest page. */
const LIST_MAX = 1000;
const DESCRIBE_MAX = 100;
const STATES: readonly JobStatus[] = [
  'SUBMITTED',
  'PENDING',
  'RUNNABLE',
  'STARTING',
  'RUNNING',
  'SUCCEEDED',
  'FAILED',
];

/**
 * The calls of one poll cycle, by action.
 *
 * @example
 * ```ts
 * const calls: CycleCalls = { DescribeJobs: 1, ListJobs: 0 };
 * ```
 */
export interface CycleCalls {
  DescribeJobs: number;
  ListJobs: number;
}

/**
 * The parent of an array child's job id (`<parent>:<index>`); undefined for any other job id.
 *
 * @example
 * ```ts
 * arrayParentOf('0f3a:17'); // '0f3a'
 * ```
 */
export function arrayParentOf(jobId: string): string | undefined {
  return /^(.+):\d+$/.exec(jobId)?.[1];
}

interface ArrayState {
  counts: Record<string, number>;
  readonly status: Map<string, JobStatus>;
  /** The children followed at the last look (one followed since may have changed state before it was). */
  readonly seen: Set<string>;
}

/**
 * The poller's memory of the arrays it follows.
 *
 * @example
 * ```ts
 * const tracker = new ArrayTracker(api);
 * const { direct, parents } = tracker.plan(watchedIds);
 * ```
 */
export class ArrayTracker {
  private readonly arrays = new Map<string, ArrayState>();

  constructor(private readonly api: Pick<BatchApi, 'describeJobs' | 'listJobs'>) {}

  /** Splits the watched ids: described directly (plain jobs, children of small arrays), and parents → children. */
  plan(ids: Iterable<string>): { direct: string[]; parents: Map<string, string[]> } {
    const byParent = new Map<string, string[]>();
    const direct: string[] = [];
    for (const id of ids) {
      const parent = arrayParentOf(id);
      if (!parent) direct.push(id);
      else if (byParent.has(parent)) byParent.get(parent)?.push(id);
      else byParent.set(parent, [id]);
    }
    const parents = new Map<string, string[]>();
    for (const [parent, children] of byParent) {
      if (children.length <= SMALL_ARRAY) direct.push(...children);
      else parents.set(parent, children);
    }
    for (const parent of this.arrays.keys()) if (!parents.has(parent)) this.arrays.delete(parent);
    return { direct, parents };
  }

  /**
   * The followed children of `parent` whose state changed since the last cycle, each with its description;
   * `undefined` when the parent has no status summary (describe the children directly).
   */
  async changed(
    parent: JobDetail,
    watched: readonly string[],
    calls: CycleCalls,
  ): Promise<JobDetail[] | undefined> {
    const summary = parent.arrayProperties?.statusSummary;
    const size = parent.arrayProperties?.size;
    const id = parent.jobId as string;
    if (!summary || !size) {
      this.arrays.delete(id);
      return undefined;
    }
    let state = this.arrays.get(id);
    if (!state) {
      state = { counts: { SUBMITTED: size }, status: new Map(), seen: new Set() };
      this.arrays.set(id, state);
    }
    const before = state.counts;
    // A child followed since the last look (its record is written before it is followed) may already be
    // in any state: every non-empty state is looked at once.
    const fresh = watched.filter((c) => !state.seen.has(c));
    for (const c of fresh) state.seen.add(c);
    const grown = STATES.filter((s) =>
      fresh.length > 0 ? s !== 'SUBMITTED' && (summary[s] ?? 0) > 0 : (summary[s] ?? 0) > (before[s] ?? 0),
    );
    state.counts = { ...summary };
    if (grown.length === 0) return [];
    const lists = new Map<JobStatus, JobSummary[]>();
    const list = async (status: JobStatus): Promise<JobSummary[]> => {
      const known = lists.get(status);
      if (known) return known;
      const out: JobSummary[] = [];
      let nextToken: string | undefined;
      do {
        calls.ListJobs++;
        const page = await this.api.listJobs({
          arrayJobId: id,
          jobStatus: status,
          maxResults: LIST_MAX,
          nextToken,
        });
        out.push(...(page.jobSummaryList ?? []));
        nextToken = page.nextToken;
      } while (nextToken);
      lists.set(status, out);
      return out;
    };
    const now = new Map<string, { status: JobStatus; summary?: JobSummary }>();
    for (const status of grown) {
      const count = summary[status] ?? 0;
      if (count <= size - count) {
        for (const s of await list(status)) if (s.jobId) now.set(s.jobId, { status, summary: s });
        continue;
      }
      // Most of the array is in this state: list the others; a followed child in none of them is in it.
      const elsewhere = new Set<string>();
      for (const other of STATES) {
        if (other === status || (summary[other] ?? 0) === 0) continue;
        for (const s of await list(other)) if (s.jobId) elsewhere.add(s.jobId);
      }
      for (const child of watched) if (!elsewhere.has(child) && !now.has(child)) now.set(child, { status });
    }
    const changed: { id: string; status: JobStatus; summary?: JobSummary }[] = [];
    for (const child of watched) {
      const seen = now.get(child);
      if (!seen || seen.status === (state.status.get(child) ?? 'SUBMITTED')) continue;
      state.status.set(child, seen.status);
      changed.push({ id: child, ...seen });
    }
    const failed = changed.filter((c) => c.status === 'FAILED');
    const described = new Map<string, JobDetail>();
    for (let i = 0; i < failed.length; i += DESCRIBE_MAX) {
      calls.DescribeJobs++;
      const out = await this.api.describeJobs({ jobs: failed.slice(i, i + DESCRIBE_MAX).map((c) => c.id) });
      for (const job of out.jobs ?? []) if (job.jobId) described.set(job.jobId, job);
    }
    return changed.map((c) => withSummary(described.get(c.id), c));
  }
}

/** A child's description: DescribeJobs' (with the exit code of its summary when it has none), else made from its summary. */
function withSummary(
  detail: JobDetail | undefined,
  c: { id: string; status: JobStatus; summary?: JobSummary },
): JobDetail {
  const code = c.summary?.container?.exitCode;
  if (detail) {
    if (code === undefined || detail.container?.exitCode !== undefined) return detail;
    return { ...detail, container: { ...detail.container, exitCode: code } };
  }
  return {
    jobId: c.id,
    status: c.status,
    ...(c.summary?.jobName ? { jobName: c.summary.jobName } : {}),
    ...(c.summary?.statusReason ? { statusReason: c.summary.statusReason } : {}),
    ...(c.summary?.container ? { container: { ...c.summary.container } } : {}),
  } as JobDetail;
}
