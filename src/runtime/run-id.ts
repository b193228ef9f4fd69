/**
 * Run ids: strings that sort by start time, like Metaflow's local ids.
 *
 * @module
 */
let last = 0;

/**
 * A new run id: microseconds since the epoch (unique within this process, ordered by time).
 *
 * @example
 * ```ts
 * newRunId(); // '1764081234567123'
 * ```
 */
export function newRunId(): string {
  const micros = Date.now() * 1000 + Math.floor((performance.now() % 1) * 1000);
  last = Math.max(last + 1, micros);
  return String(last);
}
