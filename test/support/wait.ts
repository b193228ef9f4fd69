/**
 * The one "wait for a condition" helper of the tests: polls a check until it holds, with a bound so a
 * broken test fails with a message instead of hanging until the runner's timeout.
 *
 * @module
 */

/**
 * Options of {@link until}.
 *
 * @example
 * ```ts
 * const options: UntilOptions = { everyMs: 100, timeoutMs: 60_000 };
 * ```
 */
export interface UntilOptions {
  /** Pause between checks (default 5 ms). */
  readonly everyMs?: number;
  /** Give up (throw) after this long (default 30 s): a bound against hangs, not a timed assertion. */
  readonly timeoutMs?: number;
}

/**
 * Waits until `check` (sync or async) returns true; throws `timed out waiting for <what>` after the bound.
 *
 * @example
 * ```ts
 * await until(() => api.count('SubmitJob') === 1, 'the job is submitted');
 * await until(async () => (await storage.get(key)) !== undefined, 'the log is saved', { everyMs: 50 });
 * ```
 */
export async function until(
  check: () => boolean | Promise<boolean>,
  what: string,
  options: UntilOptions = {},
): Promise<void> {
  const { everyMs = 5, timeoutMs = 30_000 } = options;
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what} (${timeoutMs} ms)`);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}
