/**
 * Retries of transient failures with capped, jittered exponential backoff.
 *
 * @module
 */

import { setTimeout as sleep } from 'node:timers/promises';
import { isTransient } from './classify.js';

/**
 * How often and how patiently transient failures are retried.
 *
 * @example
 * ```ts
 * const policy: RetryPolicy = { retries: 7, baseDelayMs: 100, maxDelayMs: 10_000 };
 * ```
 */
export interface RetryPolicy {
  /** Retries after the first attempt (`METAFLOW_S3_RETRY_COUNT`, default 7). */
  readonly retries: number;
  /** The delay before the first retry, doubled each time. */
  readonly baseDelayMs: number;
  /** The cap of one delay. */
  readonly maxDelayMs: number;
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
  policy: RetryPolicy,
  random: () => number = Math.random,
): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** attempt);
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
  /** Which failures to retry (default: {@link isTransient}). */
  readonly isTransient?: (err: unknown) => boolean;
  /** Called before each retry sleep. */
  readonly onRetry?: (err: unknown, attempt: number, delayMs: number) => void;
  /** Builds the error thrown when every attempt failed transiently (default: the last failure). */
  readonly exhausted?: (err: unknown, attempts: number) => Error;
}

/**
 * Runs `op` until it succeeds, retrying only transient failures, at most `policy.retries` times. A
 * permanent failure is thrown at once, unchanged.
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
  const transient = options.isTransient ?? isTransient;
  for (let attempt = 0; ; attempt++) {
    try {
      return await op(attempt);
    } catch (err) {
      if (!transient(err)) throw err;
      if (attempt >= policy.retries) {
        throw options.exhausted ? options.exhausted(err, attempt + 1) : err;
      }
      const delay = backoffDelay(attempt, policy);
      options.onRetry?.(err, attempt, delay);
      await sleep(delay);
    }
  }
}
