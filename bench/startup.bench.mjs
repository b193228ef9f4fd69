/**
 * startup: wall time of `stepflow run` on a two-step flow, against `node -e 0`.
 *
 * @module
 */
import { median, repeat, wallTime } from './lib/measure.mjs';

/** The benchmark's name (`npm run bench -- startup`). */
export const name = 'startup';

/** Where it comes in a full run (cheap ones first). */
export const order = 10;

/** One line on what it measures. */
export const description = '`stepflow run` of a two-step flow (median of 3) vs. `node -e 0` (median of 5)';

const FLOW = 'bench/flows/startup-flow.ts';

/**
 * Measure the baseline, one untimed warm-up run (it fills the compile cache), then three runs.
 *
 * @example
 * ```js
 * const rows = await run(ctx);
 * ```
 */
export async function run(ctx) {
  ctx.checkCli();
  const baselineMs = median(await repeat(5, () => wallTime(ctx.node, ['-e', '0'])));
  const baseline = { label: 'node -e 0 (median of 5)', value: baselineMs };
  const runOnce = async () => (await ctx.runCli(['run', FLOW, '--datastore-root', ctx.tempDir()])).wallMs;
  const firstMs = await runOnce();
  const walls = await repeat(3, runOnce);
  ctx.log(`runs: ${walls.map((ms) => `${Math.round(ms)} ms`).join(', ')}`);
  return [
    { metric: 'wall time (median of 3)', value: median(walls), unit: 'ms', baseline, lowerIsBetter: true },
    { metric: 'first run (cold cache)', value: firstMs, unit: 'ms', baseline, lowerIsBetter: true },
  ];
}
