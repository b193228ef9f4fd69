/**
 * Measuring helpers shared by the benchmarks: medians, process wall times, throughput.
 *
 * @module
 */
import { runCommand } from '../../scripts/lib/proc.mjs';

/**
 * The median of some numbers.
 *
 * @example
 * ```js
 * median([3, 1, 2]); // 2
 * ```
 */
export function median(values) {
  if (values.length === 0) throw new Error('median of no values');
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/**
 * Run `fn` `times` times one after another and return its results.
 *
 * @example
 * ```js
 * const walls = await repeat(5, () => wallTime(process.execPath, ['-e', '0']));
 * ```
 */
export async function repeat(times, fn) {
  const out = [];
  for (let i = 0; i < times; i++) out.push(await fn(i));
  return out;
}

/**
 * The median wall time in ms of `times` in-process calls of `fn`, one after another.
 *
 * @example
 * ```js
 * const ms = await medianMs(5, () => flow.runs());
 * ```
 */
export async function medianMs(times, fn) {
  const walls = await repeat(times, async () => {
    const started = performance.now();
    await fn();
    return performance.now() - started;
  });
  return median(walls);
}

/**
 * Wall time in ms of one process, from spawn to exit; throws when it does not exit 0.
 *
 * @example
 * ```js
 * const ms = await wallTime(process.execPath, ['-e', '0']);
 * ```
 */
export async function wallTime(command, args, options = {}) {
  const r = await runCommand(command, args, { stdio: 'capture', timeoutMs: 120_000, ...options });
  if (r.code !== 0) {
    throw new Error(
      `\`${command} ${args.join(' ')}\` failed (code ${r.code}): ${tail(r.stderr || r.stdout)}`,
    );
  }
  return r.durationMs;
}

/**
 * Spawn `count` copies of a command, `concurrency` at a time; returns the total wall time in ms.
 *
 * @example
 * ```js
 * const ms = await spawnMany(500, 16, process.execPath, ['-e', '0']);
 * ```
 */
export async function spawnMany(count, concurrency, command, args) {
  const started = performance.now();
  let next = 0;
  const worker = async () => {
    while (next < count) {
      next++;
      await wallTime(command, args);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
  return performance.now() - started;
}

/**
 * Throughput in MB/s (10^6 bytes per second).
 *
 * @example
 * ```js
 * mbPerSecond(268435456, 1000); // 268.4
 * ```
 */
export function mbPerSecond(bytes, ms) {
  if (!(ms > 0)) throw new Error(`cannot compute MB/s of ${bytes} bytes in ${ms} ms`);
  return bytes / 1e6 / (ms / 1000);
}

/**
 * The last lines of some output, for error messages.
 *
 * @example
 * ```js
 * tail(stderr, 10);
 * ```
 */
export function tail(text, lines = 15) {
  const all = String(text ?? '')
    .trimEnd()
    .split('\n');
  const shown = all.slice(-lines).join('\n');
  return all.length > lines ? `…\n${shown}` : shown;
}
