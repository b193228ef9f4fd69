/**
 * How the poller finds which children of an array job changed, and when: a pure choice between three
 * ways of looking, by their cost in calls, against a budget of one call per 100 children that ended.
 *
 * - `describe`: DescribeJobs of every followed child (≤ 100 ids a call). Exact; cheap when few are left.
 * - `ended`: ListJobs of SUCCEEDED and FAILED (1000 a page) — the children found there ended. Exact.
 * - `open`: ListJobs of the unfinished states from the lowest one a followed child was last seen in, in
 *   the order children move through them; a followed child found in none of them is described (it ended,
 *   or moved while the states were listed). Never concludes "ended" without seeing it.
 *
 * AWS has no "changed since" query: a listing costs one call per 1000 children in the state, however few
 * changed. When the cheapest look costs more than the budget, the look waits (the ended children add up,
 * and so does the budget) — except when children newly FAILED (a failure is acted on at once: its
 * children alone are looked up), when children were followed since the last look, or after
 * {@link MAX_DEFER_MS}.
 *
 * @module
 */
import type { JobStatus } from '@aws-sdk/client-batch';

/**
 * The longest a look at an array's children may wait for its budget, in ms.
 *
 * @example
 * ```ts
 * if (now - lookedAt >= MAX_DEFER_MS) look();
 * ```
 */
export const MAX_DEFER_MS = 60_000;

/** ListJobs' largest page with a status filter. */
export const LIST_MAX = 1000;
/** DescribeJobs' most ids per call. */
export const DESCRIBE_MAX = 100;

/** The unfinished states, in the order a child moves through them. */
export const OPEN_STATES: readonly JobStatus[] = ['SUBMITTED', 'PENDING', 'RUNNABLE', 'STARTING', 'RUNNING'];
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
 * const input: LookInput = { summary, last, followed: 4000, fresh: 0, lowest: 'RUNNABLE', sinceLook: 5000 };
 * ```
 */
export interface LookInput {
  /** The parent's `statusSummary` now. */
  readonly summary: Readonly<Partial<Record<string, number>>>;
  /** The counts at the last look (per state: a look that did not learn a state leaves its count). */
  readonly last: Readonly<Partial<Record<string, number>>>;
  /** Children followed now. */
  readonly followed: number;
  /** Of them, children followed since the last look (their state is unknown). */
  readonly fresh: number;
  /** The lowest state a followed child was last seen in (SUBMITTED when one is unknown). */
  readonly lowest: JobStatus;
  /** Milliseconds since the last look. */
  readonly sinceLook: number;
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
 * The look to make at an array this cycle, or undefined to wait (nothing ended, or no look fits the
 * budget yet).
 *
 * @example
 * ```ts
 * chooseLook({ summary: { RUNNING: 10 }, last: { RUNNING: 10 }, followed: 10, fresh: 0, lowest: 'RUNNING', sinceLook: 0 });
 * // undefined: nothing ended
 * ```
 */
export function chooseLook(input: LookInput): Look | undefined {
  const { summary, last, followed, fresh } = input;
  const ended = endedSince(summary, last);
  const failed = endedSince(summary, last, 'FAILED');
  if (fresh === 0 && ended === 0) return undefined;
  const count = (s: JobStatus) => summary[s] ?? 0;
  const looks: Look[] = [{ kind: 'describe', cost: describes(followed) }];
  const endedList = ENDED_STATES.filter(
    (s) => count(s) > 0 && (fresh > 0 || endedSince(summary, last, s) > 0),
  );
  looks.push({
    kind: 'ended',
    list: endedList,
    cost:
      endedList.reduce((n, s) => n + pages(count(s)), 0) + describes(fresh > 0 ? count('FAILED') : failed),
  });
  const from = OPEN_STATES.indexOf(input.lowest);
  if (from >= 0) {
    const openList = OPEN_STATES.slice(from).filter((s) => count(s) > 0);
    looks.push({
      kind: 'open',
      list: openList,
      cost: openList.reduce((n, s) => n + pages(count(s)), 0) + describes(ended + fresh),
    });
  }
  // Ties go to the first: describing is exact and simplest.
  const best = looks.reduce((a, b) => (b.cost < a.cost ? b : a));
  const budget = describes(ended);
  if (fresh > 0 || best.cost <= budget || input.sinceLook >= MAX_DEFER_MS) return best;
  if (failed > 0) {
    const cost = pages(count('FAILED')) + describes(failed);
    return cost < best.cost ? { kind: 'failed', list: ['FAILED'], cost } : best;
  }
  return undefined;
}
