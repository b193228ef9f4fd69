/**
 * Following array jobs in few calls: instead of describing every child each poll cycle, the poller
 * describes the array's parent (in the same DescribeJobs calls as the plain jobs) and reads its
 * `arrayProperties.statusSummary`. Only when children ended (the SUCCEEDED or FAILED count grew) does it
 * look for which: the cheaper of describing the followed children or listing the ended states
 * (array-look.ts), when that fits this cycle's budget of one call per 100 children
 * that ended since the last cycle. Otherwise SUCCEEDED is swept, within the budget, a few pages a cycle
 * (the children found on each page are told at once; a sweep older than a minute is finished at once),
 * and a new failure is looked up at once. Each
 * changed child is told its DescribeJobs description, or one made from its ListJobs summary; the children
 * that newly FAILED are always described (exit code, reasons for the failure's classification). Children
 * moving between unfinished states are not looked up for their own sake (nothing waits on them at width).
 * An array with at most {@link SMALL_ARRAY} children still followed has them described directly (they
 * ride in the poller's DescribeJobs calls: their state lines and logs are shown as a plain job's).
 *
 * A parent without a status summary (the local stand-in's may lack one) falls back to describing its
 * children directly: correctness before call counts.
 *
 * @module
 */
import type { JobDetail, JobStatus, JobSummary } from '@aws-sdk/client-batch';
import type { BatchApi } from '../aws.js';
import {
  chooseLook,
  DESCRIBE_MAX,
  endedSince,
  failedLook,
  LIST_MAX,
  type Look,
  MAX_DEFER_MS,
} from './array-look.js';
import { type Clock, realClock } from './submit-rate.js';

/**
 * Arrays with at most this many children followed are followed child by child.
 *
 * @example
 * ```ts
 * watchedChildren.length <= SMALL_ARRAY; // described directly, like plain jobs
 * ```
 */
export const SMALL_ARRAY = 20;

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

/** A listing of an array's SUCCEEDED children spread over poll cycles. */
interface Sweep {
  /** The parent's counts when it started: once it ends, every child counted there was seen. */
  readonly counts: Record<string, number>;
  readonly startedAt: number;
  nextToken?: string;
}

interface ArrayState {
  /** The parent's counts at the last whole look (what later counts are compared with). */
  last: Record<string, number>;
  /** The parent's counts at the last cycle (this cycle's budget is what ended since). */
  prev: Record<string, number>;
  sweep?: Sweep;
  /** When the children were last looked up (clock ms). */
  lookedAt: number;
  /** Each followed child's state as last seen (absent: SUBMITTED). */
  readonly status: Map<string, JobStatus>;
  /** The children followed at the last look (one followed since may have changed state before it was). */
  readonly seen: Set<string>;
}

/** A child seen in a listing or a description this cycle. */
interface Seen {
  readonly id: string;
  readonly status: JobStatus;
  readonly summary?: JobSummary;
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

  constructor(
    private readonly api: Pick<BatchApi, 'describeJobs' | 'listJobs'>,
    private readonly clock: Pick<Clock, 'now'> = realClock,
  ) {}

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
   * The followed children of `parent` whose state changed since the last look, each with its description
   * (none while the look waits); `undefined` when the parent has no status summary (describe the children
   * directly).
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
    const now = this.clock.now();
    let state = this.arrays.get(id);
    if (!state) {
      state = {
        last: { SUBMITTED: size },
        prev: { SUBMITTED: size },
        lookedAt: now,
        status: new Map(),
        seen: new Set(),
      };
      this.arrays.set(id, state);
    }
    const budget = Math.ceil(endedSince(summary, state.prev) / DESCRIBE_MAX);
    state.prev = { ...summary };
    // A child followed since the last look (its record is written before it is followed) may already have
    // ended: a FAILED one is found by listing FAILED, a SUCCEEDED one by a sweep.
    const fresh = watched.filter((c) => !state.seen.has(c));
    for (const c of fresh) state.seen.add(c);
    if (fresh.length === 0 && !state.sweep && endedSince(summary, state.last) === 0) return [];
    const ended = (summary.SUCCEEDED ?? 0) + (summary.FAILED ?? 0);
    let look = chooseLook({
      summary,
      last: state.last,
      followed: watched.length,
      budget,
      force: ended >= size,
    });
    if (fresh.length > 0 && look?.kind !== 'describe' && look?.kind !== 'ended') {
      if ((summary.FAILED ?? 0) > 0) look = failedLook(summary, summary.FAILED ?? 0);
      if (!state.sweep && (summary.SUCCEEDED ?? 0) > 0)
        state.sweep = { counts: { ...summary }, startedAt: now };
    }
    const seen = look ? await this.lookUp(id, look, watched, calls) : newSeen();
    if (look?.kind === 'failed') state.last = { ...state.last, FAILED: summary.FAILED ?? 0 };
    else if (look) {
      state.last = { ...summary };
      state.lookedAt = now;
      state.sweep = undefined;
    }
    if (look?.kind !== 'describe' && look?.kind !== 'ended') {
      // No whole look this cycle: SUCCEEDED is swept within the budget.
      if (!state.sweep && endedSince(summary, state.last, 'SUCCEEDED') > 0)
        state.sweep = { counts: { ...summary }, startedAt: now };
      if (state.sweep)
        await this.sweep(
          id,
          state,
          // A failure looked up this cycle spent (more than) its budget.
          now - state.sweep.startedAt >= MAX_DEFER_MS ? Infinity : Math.max(0, budget - (look?.cost ?? 0)),
          seen,
          calls,
          now,
        );
    }
    const changed: Seen[] = [];
    for (const child of watched) {
      const got = seen.get(child);
      if (!got || got.status === (state.status.get(child) ?? 'SUBMITTED')) continue;
      state.status.set(child, got.status);
      changed.push(got);
    }
    // Children that newly FAILED are described (exit code, reasons), unless the look just did.
    const described = seen.described;
    await this.describe(
      changed.filter((c) => c.status === 'FAILED' && !described.has(c.id)).map((c) => c.id),
      calls,
      described,
    );
    return changed.map((c) => withSummary(described.get(c.id), c));
  }

  /**
   * Lists up to `pages` more pages of the array's SUCCEEDED children into `seen`; once the listing is
   * through, every child counted SUCCEEDED when the sweep began was seen: its counts become the last look's.
   */
  private async sweep(
    id: string,
    state: ArrayState,
    pages: number,
    seen: SeenMap,
    calls: CycleCalls,
    now: number,
  ): Promise<void> {
    const sweep = state.sweep as Sweep;
    for (let page = 0; page < pages; page++) {
      calls.ListJobs++;
      const out = await this.api.listJobs({
        arrayJobId: id,
        jobStatus: 'SUCCEEDED',
        maxResults: LIST_MAX,
        nextToken: sweep.nextToken,
      });
      for (const s of out.jobSummaryList ?? [])
        if (s.jobId) seen.set(s.jobId, { id: s.jobId, status: 'SUCCEEDED', summary: s });
      sweep.nextToken = out.nextToken;
      if (!out.nextToken) {
        state.last = { ...state.last, SUCCEEDED: sweep.counts.SUCCEEDED ?? 0 };
        state.lookedAt = now;
        state.sweep = undefined;
        return;
      }
    }
  }

  /** Makes the look: the followed children seen, by id, and the descriptions it made. */
  private async lookUp(
    id: string,
    look: Look,
    watched: readonly string[],
    calls: CycleCalls,
  ): Promise<SeenMap> {
    const seen = newSeen();
    const { described } = seen;
    if (look.kind === 'describe') await this.describe(watched, calls, described);
    else {
      for (const status of look.list)
        for (const s of await this.list(id, status, calls))
          if (s.jobId) seen.set(s.jobId, { id: s.jobId, status, summary: s });
    }
    for (const [child, job] of described) if (job.status) seen.set(child, { id: child, status: job.status });
    return seen;
  }

  /** ListJobs of the children of array `id` in `status`, every page. */
  private async list(id: string, status: JobStatus, calls: CycleCalls): Promise<JobSummary[]> {
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
    return out;
  }

  /** DescribeJobs of `ids`, ≤ 100 a call, into `into`. */
  private async describe(
    ids: readonly string[],
    calls: CycleCalls,
    into: Map<string, JobDetail>,
  ): Promise<void> {
    for (let i = 0; i < ids.length; i += DESCRIBE_MAX) {
      calls.DescribeJobs++;
      const out = await this.api.describeJobs({ jobs: ids.slice(i, i + DESCRIBE_MAX) });
      for (const job of out.jobs ?? []) if (job.jobId) into.set(job.jobId, job);
    }
  }
}

/** The children seen in a cycle, by id, and the descriptions made of them. */
type SeenMap = Map<string, Seen> & { readonly described: Map<string, JobDetail> };

function newSeen(): SeenMap {
  return Object.assign(new Map<string, Seen>(), { described: new Map<string, JobDetail>() });
}

/** A child's description: DescribeJobs' (with the exit code of its summary when it has none), else made from its summary. */
function withSummary(detail: JobDetail | undefined, c: Seen): JobDetail {
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
