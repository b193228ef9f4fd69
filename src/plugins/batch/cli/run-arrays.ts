/**
 * Array jobs in `stepflow batch list|kill`: an array job is shown as one line with its children's counts
 * by state (its `arrayProperties.statusSummary`, else counted from the descriptions of its recorded
 * children), and its children are ended by id (TerminateJob on the parent alone does not stop the local
 * stand-in's children).
 *
 * @module
 */
import type { JobDetail } from '@aws-sdk/client-batch';

const ENDED = new Set(['SUCCEEDED', 'FAILED']);

/**
 * An array job's size and its children's counts by state; undefined for a job that is not an array.
 *
 * @example
 * ```ts
 * arrayOf(parentDetail, found, described); // { size: 50, counts: { RUNNING: 10, SUCCEEDED: 40 } }
 * ```
 */
export function arrayOf(
  detail: JobDetail,
  found: readonly { readonly arrayJobId?: string; readonly jobId: string }[],
  described: ReadonlyMap<string, JobDetail>,
): { size: number; counts: Record<string, number> } | undefined {
  const size = detail.arrayProperties?.size;
  if (!size || detail.arrayProperties?.index !== undefined) return undefined;
  const summary = detail.arrayProperties?.statusSummary;
  const counts: Record<string, number> = {};
  if (summary) {
    for (const [state, n] of Object.entries(summary)) if (n > 0) counts[state] = n;
    return { size, counts };
  }
  for (const child of found) {
    if (child.arrayJobId !== detail.jobId) continue;
    const status = described.get(child.jobId)?.status ?? 'UNKNOWN';
    counts[status] = (counts[status] ?? 0) + 1;
  }
  return { size, counts };
}

/**
 * Whether an array job still has children to end: by its counts (the local stand-in leaves a parent
 * SUBMITTED for good once a child failed), else by its own status.
 *
 * @example
 * ```ts
 * arrayUnfinished(parent, { size: 2, counts: { FAILED: 1, SUCCEEDED: 1 } }); // false
 * ```
 */
export function arrayUnfinished(
  detail: JobDetail,
  array: { readonly counts: Readonly<Record<string, number>> },
): boolean {
  const states = Object.keys(array.counts);
  if (states.length === 0) return !ENDED.has(detail.status ?? '');
  return states.some((s) => !ENDED.has(s));
}

/**
 * The line of an array job in `stepflow batch list`.
 *
 * @example
 * ```ts
 * arrayLine(job); // 'F/17/work array job abc: 50 children (RUNNING 10, SUCCEEDED 40) (queue q)'
 * ```
 */
export function arrayLine(job: {
  readonly pathspec: string;
  readonly jobId: string;
  readonly queue: string;
  readonly array?: { readonly size: number; readonly counts: Readonly<Record<string, number>> };
}): string {
  const counts = Object.entries(job.array?.counts ?? {})
    .map(([state, n]) => `${state} ${n}`)
    .join(', ');
  return `${job.pathspec} array job ${job.jobId}: ${job.array?.size ?? 0} children (${counts}) (queue ${job.queue})`;
}
