/**
 * Figures of the batch-wide benchmark, apart from its runs: Batch tracking calls grouped into poll cycles
 * beside what each cycle had to learn, and whether the built launcher submits arrays.
 *
 * @module
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

const TRACKING = new Set(['DescribeJobs', 'ListJobs']);

/**
 * Groups the Batch tracking calls (DescribeJobs, ListJobs) made in `[from, to)` into poll cycles (calls
 * less than half an interval apart) and puts beside each cycle the bound 1 + ⌈changed / 100⌉, where
 * changed = the jobs or array children whose state changed (past RUNNABLE: a submission is no news) since
 * the previous cycle began. Also the whole window's total beside cycles + ⌈all changed / 100⌉ (a look that
 * waits for more children to end spends its calls in a later cycle: the total is what the goal bounds).
 * Times are performance.now() values of one process.
 *
 * @param {readonly { at: number, action: string }[]} calls
 * @param {readonly { at: number, jobId: string, status: string }[]} changes
 * @param {number} pollMs
 * @param {{ from: number, to: number }} window
 * @returns {{ count: number, max: number, mean: number, boundMax: number, boundMean: number, above: number, total: number, boundTotal: number }}
 * @example
 * cycleFigures(proxy.calls, proxy.stateChanges, 1000, { from: 0, to: Infinity });
 */
export function cycleFigures(calls, changes, pollMs, { from, to }) {
  const cycles = [];
  for (const c of calls) {
    if (!TRACKING.has(c.action) || c.at < from || c.at >= to) continue;
    const last = cycles.at(-1);
    if (last && c.at - last.end < pollMs / 2) {
      last.calls++;
      last.end = c.at;
    } else cycles.push({ start: c.at, end: c.at, calls: 1 });
  }
  const news = changes.filter((c) => c.status !== 'RUNNABLE');
  let i = 0;
  let since = from;
  let changedTotal = 0;
  const bounds = cycles.map((cycle) => {
    const changed = new Set();
    while (i < news.length && news[i].at < cycle.start) {
      if (news[i].at >= since) changed.add(news[i].jobId);
      i++;
    }
    since = cycle.start;
    changedTotal += changed.size;
    return 1 + Math.ceil(changed.size / 100);
  });
  const sum = (xs) => xs.reduce((a, b) => a + b, 0);
  const n = cycles.length;
  return {
    count: n,
    max: n ? Math.max(...cycles.map((c) => c.calls)) : 0,
    mean: n ? sum(cycles.map((c) => c.calls)) / n : 0,
    boundMax: n ? Math.max(...bounds) : 0,
    boundMean: n ? sum(bounds) / n : 0,
    above: cycles.filter((c, k) => c.calls > bounds[k]).length,
    total: sum(cycles.map((c) => c.calls)),
    boundTotal: n + Math.ceil(changedTotal / 100),
  };
}

/**
 * True when the built @batch launcher (dist/plugins/batch) knows `STEPFLOW_BATCH_ARRAYS`, i.e. submits arrays.
 *
 * @param {string} root the repository
 * @returns {boolean}
 * @example
 * if (!hasArrayLauncher(ctx.root)) ctx.log('plain jobs only');
 */
export function hasArrayLauncher(root) {
  const dir = path.join(root, 'dist', 'plugins', 'batch');
  let files;
  try {
    files = readdirSync(dir, { recursive: true }).filter((f) => String(f).endsWith('.js'));
  } catch {
    return false;
  }
  return files.some((f) => readFileSync(path.join(dir, String(f)), 'utf8').includes('STEPFLOW_BATCH_ARRAYS'));
}

/**
 * The last `n` non-empty lines of a text.
 *
 * @param {string} text
 * @param {number} n
 * @returns {string}
 * @example
 * lastLines('a\n\nb\n', 1); // 'b'
 */
export function lastLines(text, n) {
  return text
    .split('\n')
    .filter((l) => l.trim() !== '')
    .slice(-n)
    .join('\n');
}
