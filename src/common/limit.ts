/**
 * Bounded concurrency, once for every layer: a counting semaphore for requests ({@link Limiter}) and a
 * bounded parallel map for items ({@link mapBounded}).
 *
 * @module
 */

import { Deque } from './deque.js';

/**
 * A counting semaphore: at most `max` functions passed to {@link Limiter.run} run at once; the rest
 * wait in FIFO order.
 *
 * @example
 * ```ts
 * const limiter = new Limiter(8);
 * const results = await Promise.all(urls.map((u) => limiter.run(() => fetch(u))));
 * ```
 */
export class Limiter {
  readonly max: number;
  #active = 0;
  #peak = 0;
  /** FIFO of waiters (a deque: 10,000 waiters would make `Array#shift` quadratic). */
  readonly #waiting = new Deque<() => void>();

  constructor(max: number) {
    if (!Number.isInteger(max) || max < 1)
      throw new RangeError(`concurrency must be an integer ≥ 1 (got ${max})`);
    this.max = max;
  }

  /** How many functions run right now. */
  get active(): number {
    return this.#active;
  }

  /** The most that ever ran at once. */
  get peak(): number {
    return this.#peak;
  }

  /** Runs `fn` when a slot is free; the slot is released when its promise settles. */
  async run<T>(fn: () => Promise<T>): Promise<T> {
    if (this.#active >= this.max) await new Promise<void>((resolve) => this.#waiting.push(resolve));
    else this.#active++;
    this.#peak = Math.max(this.#peak, this.#active);
    try {
      return await fn();
    } finally {
      const next = this.#waiting.shift();
      if (next) next();
      else this.#active--;
    }
  }
}

/**
 * Maps `items` through `fn` with at most `limit` calls in flight, keeping the input order. On the first
 * failure no new item starts; the calls in flight finish, then the first error is thrown.
 *
 * @example
 * ```ts
 * const sizes = await mapBounded(files, 4, async (f) => (await stat(f)).size);
 * ```
 */
export async function mapBounded<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  let failed = false;
  let firstError: unknown;
  const worker = async (): Promise<void> => {
    while (!failed && next < items.length) {
      const i = next++;
      try {
        results[i] = await fn(items[i] as T, i);
      } catch (err) {
        if (!failed) firstError = err;
        failed = true;
      }
    }
  };
  const workers = Math.max(1, Math.min(limit, items.length));
  await Promise.all(Array.from({ length: workers }, worker));
  if (failed) throw firstError;
  return results;
}

/**
 * Maps `items` through `fn` with at most `limit` calls in flight, yielding the results in input order as
 * they become available: a consumer that prints each result (a 10,000-task `stepflow logs`) overlaps its
 * reads instead of waiting for each, and holds at most `limit` results ahead of the one it prints. An error
 * is thrown when its item's turn comes.
 *
 * @example
 * ```ts
 * for await (const text of mapAhead(ids, 32, (id) => readLog(id))) process.stdout.write(text);
 * ```
 */
export async function* mapAhead<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T, index: number) => Promise<R>,
): AsyncGenerator<R> {
  const window: Promise<R>[] = [];
  let next = 0;
  const start = () => {
    const i = next++;
    const promise = fn(items[i] as T, i);
    promise.catch(() => undefined); // seen when its turn comes
    window.push(promise);
  };
  while (next < items.length && window.length < Math.max(1, limit)) start();
  let head = 0;
  while (head < window.length) {
    const result = await window[head];
    window[head++] = undefined as unknown as Promise<R>;
    if (next < items.length) start();
    yield result;
  }
}
