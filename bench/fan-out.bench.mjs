/**
 * fan-out: a 500-way foreach of no-op tasks with the default worker count, against spawning 500
 * `node -e 0` processes 16 at a time.
 *
 * @module
 */
import { spawnMany } from './lib/measure.mjs';

/** The benchmark's name (`npm run bench -- fan-out`). */
export const name = 'fan-out';

/** Where it comes in a full run (cheap ones first). */
export const order = 20;

/** One line on what it measures. */
export const description =
  '500-way foreach of no-op tasks: wall time and tasks/s vs. 500 × `node -e 0`, 16 at a time';

const FLOW = 'bench/flows/fan-out-flow.ts';
const WIDTH = 500;
/** Tasks the run executes: start, the foreach's tasks, join, end. */
const TASKS = WIDTH + 3;

/**
 * Measure the baseline, then one run of the flow.
 *
 * @example
 * ```js
 * const rows = await run(ctx);
 * ```
 */
export async function run(ctx) {
  ctx.checkCli();
  const baselineMs = await spawnMany(WIDTH, 16, ctx.node, ['-e', '0']);
  const baselineRate = WIDTH / (baselineMs / 1000);
  const { wallMs } = await ctx.runCli(
    // --max-num-splits: the default (100, as in Metaflow) refuses a wider foreach.
    [
      'run',
      FLOW,
      '--datastore-root',
      ctx.tempDir(),
      '--width',
      String(WIDTH),
      '--max-num-splits',
      String(WIDTH),
    ],
    { timeoutMs: 15 * 60_000 },
  );
  return [
    {
      metric: `tasks/s (${TASKS} tasks)`,
      value: TASKS / (wallMs / 1000),
      unit: 'tasks/s',
      baseline: { label: `${WIDTH} × node -e 0, 16 at a time`, value: baselineRate },
      target: { min: 15 },
    },
    {
      metric: 'wall time',
      value: wallMs,
      unit: 'ms',
      baseline: { label: `${WIDTH} × node -e 0, 16 at a time`, value: baselineMs },
      lowerIsBetter: true,
    },
  ];
}
