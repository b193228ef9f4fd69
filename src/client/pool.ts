/**
 * Bounded parallelism for reading many small records (run records, task folders).
 *
 * @module
 */

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
 * Maps `items` through `fn` with at most `limit` calls in flight; results keep the input order.
 *
 * @example
 * ```ts
 * const records = await mapLimit(['1', '2', '3'], 2, (id) => fds.readRun(id));
 * ```
 */
export async function mapLimit<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i], i);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  return out;
}
