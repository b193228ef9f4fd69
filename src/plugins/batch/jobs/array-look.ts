/**
 * How the poller finds which children of an array job ended, and when: a pure choice between two whole
 * looks, by their cost in calls, against a budget of one call per 100 children that ended. Both see each
 * child they report (nothing is concluded from a child's absence from a listing):
 *
 * - `describe`: DescribeJobs of every followed child (≤ 100 ids a call); cheap when few are left.
 * - `ended`: ListJobs of SUCCEEDED and FAILED (1000 a page); cheap when many ended at once.
 *
 * AWS has no "changed since" query: a listing costs one call per 1000 children in the state, however few
 * changed. A look is made whole only when it fits this cycle's budget (one call per 100 children that
 * ended since the last cycle), or once every child has ended (the last look: nothing is left to wait
 * for). Otherwise SUCCEEDED is swept a few pages a cycle, within the budget (array-poller.ts; whole after
 * {@link MAX_DEFER_MS}), and children that newly FAILED are looked up at once (a failure is acted on).
 *
 * @module
 */
import type { JobStatus } from '@aws-sdk/client-batch';

/**
 * The longest a sweep of an array's SUCCEEDED children may take, in ms: after it, the rest is listed at once.
 *
 * @example
 * ```ts
 * if (now - sweep.startedAt >= MAX_DEFER_MS) listTheRest();
 * ```
 */
export const MAX_DEFER_MS = 60_000;

/** ListJobs' largest page with a status filter. */
export const LIST_MAX = 1000;
/** DescribeJobs' most ids per call. */
export const DESCRIBE_MAX = 100;

/** The states a child ends in. */
export const ENDED_STATES: readonly JobStatus[] = ['SUCCEEDED', 'FAILED'];

/**
 * A way of looking at an array's children this cycle.
 *
 * @example
 * ```ts
 * const look: Look = { kind: 'ended', list: ['SUCCEEDED'], cost: 3 };
 * ```
 */
export type Look =
  | { readonly kind: 'describe'; readonly cost: number }
  | {
      readonly kind: 'ended' | 'open' | 'failed';
      readonly list: readonly JobStatus[];
      readonly cost: number;
    };

/**
 * What the choice needs to know of one array this cycle.
 *
 * @example
 * ```ts
 * const input: LookInput = { summary, last, followed: 4000, budget: 1 };
 * ```
 */
export interface LookInput {
  /** The parent's `statusSummary` now. */
  readonly summary: Readonly<Partial<Record<string, number>>>;
  /** The counts at the last look (per state: a look that did not learn a state leaves its count). */
  readonly last: Readonly<Partial<Record<string, number>>>;
  /** Children followed now. */
  readonly followed: number;
  /** Calls this cycle may spend: one per 100 children that ended since the last cycle. */
  readonly budget: number;
  /** Look whatever it costs, at every ended state (every child has ended: the last look). */
  readonly force?: boolean;
}

/** Calls to list `count` children of one state. */
function pages(count: number): number {
  return Math.ceil(count / LIST_MAX);
}

/** Calls to describe `count` children. */
function describes(count: number): number {
  return Math.ceil(count / DESCRIBE_MAX);
}

/**
 * How many followed children ended since the last look, at least (counts only grow in the states
 * children end in).
 *
 * @example
 * ```ts
 * endedSince({ SUCCEEDED: 40 }, { SUCCEEDED: 10 }); // 30
 * ```
 */
export function endedSince(
  summary: LookInput['summary'],
  last: LookInput['last'],
  state?: JobStatus,
): number {
  const states = state ? [state] : ENDED_STATES;
  return states.reduce((n, s) => n + Math.max(0, (summary[s] ?? 0) - (last[s] ?? 0)), 0);
}

/**
 * The look to make at an array this cycle, or undefined when nothing ended or no look fits the budget
 * (then SUCCEEDED is swept within it).
 *
 * @example
 * ```ts
 * chooseLook({ summary: { RUNNING: 10 }, last: { RUNNING: 10 }, followed: 10, budget: 0 });
 * // undefined: nothing ended
 * ```
 */
export function chooseLook(input: LookInput): Look | undefined {
  const { summary, last, followed, force } = input;
  const ended = endedSince(summary, last);
  const failed = endedSince(summary, last, 'FAILED');
  if (ended === 0 && !force) return undefined;
  const count = (s: JobStatus) => summary[s] ?? 0;
  const endedList = ENDED_STATES.filter((s) => count(s) > 0 && (force || endedSince(summary, last, s) > 0));
  const looks: Look[] = [
    { kind: 'describe', cost: describes(followed) },
    {
      kind: 'ended',
      list: endedList,
      cost: endedList.reduce((n, s) => n + pages(count(s)), 0) + describes(failed),
    },
  ];
  // Ties go to the first: describing is exact and simplest.
  const best = looks.reduce((a, b) => (b.cost < a.cost ? b : a));
  if (force || best.cost <= input.budget) return best;
  if (failed === 0) return undefined;
  const failedOnly = failedLook(summary, failed);
  return failedOnly.cost < best.cost ? failedOnly : best;
}

/**
 * A look at the FAILED children alone (every page), with `failed` of them newly failed to describe.
 *
 * @example
 * ```ts
 * failedLook({ FAILED: 3 }, 3); // { kind: 'failed', list: ['FAILED'], cost: 2 }
 * ```
 */
export function failedLook(summary: LookInput['summary'], failed: number): Look {
  return { kind: 'failed', list: ['FAILED'], cost: pages(summary.FAILED ?? 0) + describes(failed) };
}
