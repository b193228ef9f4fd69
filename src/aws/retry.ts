/**
 * The one retry helper for transient AWS failures: capped exponential back-off with jitter, bounded by
 * a number of retries and, optionally, by a deadline.
 *
 * @module
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { isTransientAwsError } from './error-info.js';

/**
 * How often and how patiently transient failures are retried.
 *
 * @example
 * ```ts
 * const policy: RetryPolicy = { retries: 7, baseDelayMs: 100, maxDelayMs: 10_000 };
 * ```
 */
export interface RetryPolicy {
  /** Retries after the first attempt. */
  readonly retries: number;
  /** The delay before the first retry, doubled each time. */
  readonly baseDelayMs: number;
  /** The cap of one delay. */
  readonly maxDelayMs: number;
  /** No retry starts later than this many ms after the first attempt (default: no deadline). */
  readonly deadlineMs?: number;
}

/**
 * The delay before retry number `attempt` (0-based): `min(max, base × 2^attempt)`, of which the upper
 * half is random ("equal jitter"), so many failing requests do not retry in lockstep.
 *
 * @example
 * ```ts
 * backoffDelay(3, { retries: 7, baseDelayMs: 100, maxDelayMs: 10_000 }); // between 400 and 800
 * ```
 */
export function backoffDelay(
  attempt: number,
  policy: Pick<RetryPolicy, 'baseDelayMs' | 'maxDelayMs'>,
  random: () => number = Math.random,
): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.min(attempt, 30));
  return Math.round(ceiling / 2 + random() * (ceiling / 2));
}

/**
 * Options of {@link withRetries}.
 *
 * @example
 * ```ts
 * await withRetries(op, policy, { onRetry: (err, n, ms) => console.warn(`retry ${n} in ${ms} ms`) });
 * ```
 */
export interface WithRetriesOptions {
  /** Which failures to retry (default: {@link isTransientAwsError}). */
  readonly isTransient?: (err: unknown) => boolean;
  /** Called before each retry sleep. */
  readonly onRetry?: (err: unknown, attempt: number, delayMs: number) => void;
  /** Builds the error thrown when every attempt failed transiently (default: the last failure). */
  readonly exhausted?: (err: unknown, attempts: number) => Error;
  /** The clock (tests): `now()` in ms and `sleep(ms)`. */
  readonly clock?: { now(): number; sleep(ms: number): Promise<unknown> };
}

const realClock = { now: () => performance.now(), sleep: (ms: number) => sleep(ms) };

/**
 * Runs `op` until it succeeds, retrying only transient failures, at most `policy.retries` times and
 * (with `deadlineMs`) not past the deadline. A permanent failure is thrown at once, unchanged.
 *
 * @example
 * ```ts
 * const head = await withRetries(() => client.send(new HeadObjectCommand(input)), policy);
 * ```
 */
export async function withRetries<T>(
  op: (attempt: number) => Promise<T>,
  policy: RetryPolicy,
  options: WithRetriesOptions = {},
): Promise<T> {
  const transient = options.isTransient ?? isTransientAwsError;
  const clock = options.clock ?? realClock;
  const started = clock.now();
  for (let attempt = 0; ; attempt++) {
    try {
      return await op(attempt);
    } catch (err) {
      if (!transient(err)) throw err;
      const delay = backoffDelay(attempt, policy);
      const late = policy.deadlineMs !== undefined && clock.now() + delay - started > policy.deadlineMs;
      if (attempt >= policy.retries || late) {
        throw options.exhausted ? options.exhausted(err, attempt + 1) : err;
      }
      options.onRetry?.(err, attempt, delay);
      await clock.sleep(delay);
    }
  }
}
