/**
 * Reads the closing summary (`# tests N`, `# pass N`, ...) of a node:test TAP report, and prints the
 * combined summary of several runs in the same form, which CI reads from stdout.
 *
 * @module
 */
import fs from 'node:fs';

/** The counters node:test prints at the end of a run, in its order. */
export const COUNTERS = ['tests', 'suites', 'pass', 'fail', 'cancelled', 'skipped', 'todo', 'duration_ms'];

/**
 * The last value of each counter in a TAP file, or `undefined` when the file has no summary
 * (the runner crashed before writing it).
 *
 * @example
 * ```js
 * readTapSummary('/tmp/unit.tap'); // { tests: 12, pass: 12, fail: 0, ... }
 * ```
 */
export function readTapSummary(file) {
  let text;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
  const summary = {};
  for (const line of text.split('\n')) {
    const m = /^# (\w+) ([\d.]+)$/.exec(line.trim());
    if (m && COUNTERS.includes(m[1])) summary[m[1]] = Number(m[2]);
  }
  return 'pass' in summary && 'fail' in summary ? summary : undefined;
}

/**
 * Add summaries counter by counter.
 *
 * @example
 * ```js
 * addSummaries([{ pass: 2, fail: 0 }, { pass: 1, fail: 1 }]); // { pass: 3, fail: 1, ... }
 * ```
 */
export function addSummaries(summaries) {
  const total = Object.fromEntries(COUNTERS.map((c) => [c, 0]));
  for (const s of summaries) for (const c of COUNTERS) total[c] += s[c] ?? 0;
  total.duration_ms = Math.round(total.duration_ms);
  return total;
}

/**
 * The closing lines: node:test's `# name N` lines, then the plain `tests: N passed, N failed, N skipped`.
 * Cancelled tests (timeouts, a crashed file) count as failed.
 *
 * @example
 * ```js
 * formatClosingLines(total).join('\n');
 * ```
 */
export function formatClosingLines(total) {
  const failed = total.fail + total.cancelled;
  const lines = COUNTERS.map((c) => `# ${c} ${c === 'fail' ? failed : total[c]}`);
  lines.push(`tests: ${total.pass} passed, ${failed} failed, ${total.skipped + total.todo} skipped`);
  return lines;
}
