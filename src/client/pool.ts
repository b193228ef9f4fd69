/**
 * Bounded parallelism for reading many small records (run records, task folders).
 *
 * @module
 */
import { mapBounded } from '../common/index.js';

/**
 * How many reads the client keeps in flight at once. Enough to hide the latency of a network store,
 * few enough not to exhaust file descriptors on a local one.
 *
 * @example
 * ```ts
 * await mapLimit(ids, READ_CONCURRENCY, readRun);
 * ```
 */
export const READ_CONCURRENCY = 32;

/**
 * Maps `items` through `fn` with at most `limit` calls in flight; results keep the input order (the
 * shared bounded map of `src/common/limit.ts`: on the first failure no new item starts, and that error is thrown).
 *
 * @example
 * ```ts
 * const records = await mapLimit(['1', '2', '3'], 2, (id) => fds.readRun(id));
 * ```
 */
export const mapLimit: <T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T, index: number) => Promise<R>,
) => Promise<R[]> = mapBounded;
