/**
 * The message of anything a `catch` can receive. Kept apart from `errors.ts` (which re-exports it) so the
 * container bootstrap can bundle it alone.
 *
 * @module
 */

/**
 * The text to show for a caught value: an error's `message` (also for an error-like object from another
 * realm or a worker), else the value as a string.
 *
 * @example
 * ```ts
 * try {
 *   await storage.put(key, bytes);
 * } catch (err) {
 *   warn(`could not save the log: ${errorMessage(err)}`);
 * }
 * errorMessage(new Error('disk full')); // 'disk full'
 * errorMessage('timeout');              // 'timeout'
 * ```
 */
export function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message;
  if (typeof err === 'object' && err !== null) {
    const message = (err as { message?: unknown }).message;
    if (typeof message === 'string') return message;
  }
  return String(err);
}
