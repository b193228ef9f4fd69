/**
 * Retries of transient failures with capped, jittered exponential backoff: the shared helper of
 * `src/aws/` with the data tool's notion of "transient" ({@link isTransient}: its own data errors too).
 *
 * @module
 */

import {
  withRetries as awsWithRetries,
  backoffDelay,
  type RetryPolicy,
  type WithRetriesOptions,
} from '../../aws/index.js';
import { isTransient } from './classify.js';

export { backoffDelay, type RetryPolicy, type WithRetriesOptions };

/**
 * Runs `op` until it succeeds, retrying only transient failures ({@link isTransient} unless
 * `options.isTransient` says otherwise), at most `policy.retries` times. A permanent failure is thrown at
 * once, unchanged.
 *
 * @example
 * ```ts
 * const head = await withRetries(() => client.send(new HeadObjectCommand(input)), policy);
 * ```
 */
export function withRetries<T>(
  op: (attempt: number) => Promise<T>,
  policy: RetryPolicy,
  options: WithRetriesOptions = {},
): Promise<T> {
  return awsWithRetries(op, policy, { isTransient, ...options });
}
