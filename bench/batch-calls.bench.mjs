/**
 * batch-calls: the AWS calls `@batch` makes for a 200-way foreach, by kind, against a moto server of its own
 * in SIMPLE mode (no containers), counted by a loopback proxy in front of moto's Batch and Logs API (S3
 * goes straight to moto and is not counted). Shown beside what Metaflow's design makes for the same flow
 * (shared/reference/metaflow-batch.md §19: three look-ups per task — DescribeJobQueues,
 * DescribeComputeEnvironments, DescribeJobDefinitions — and one DescribeJobs per second per running task).
 *
 * What is measured: in simple mode moto marks each job SUCCEEDED without running it, so the foreach's
 * tasks record no result and the run fails after the foreach step (`start` is local and real). The counts
 * are those of the foreach step (`start` and the rest make no Batch call): 200 jobs submitted at once
 * (`--max-workers 200`), followed by one poller until they all ended.
 *
 * @module
 */

import path from 'node:path';
import { createBatchResources } from '../scripts/aws-local.mjs';
import { startFaultProxy } from '../scripts/lib/batch-fault-proxy.mjs';
import { describeExit, hostNodeEnv, runCommand } from '../scripts/lib/proc.mjs';
import { MOTO_AWS_ENV, requireMoto, startBenchMoto } from './lib/moto-s3.mjs';

/** The benchmark's name (`npm run bench -- batch-calls`). */
export const name = 'batch-calls';

/** Where it comes in a full run. */
export const order = 60;

/** One line on what it measures. */
export const description = 'AWS calls per task of a 200-way @batch foreach (moto, simple mode) vs. Metaflow';

const FLOW = 'test/e2e/batch/flows/wide-flow.ts';
const WIDTH = 200;
const POLL_MS = 1000;
const TIMEOUT_MS = 10 * 60_000;
const QUEUE = 'bench-queue';

/** Groups DescribeJobs calls into poll cycles (calls less than half an interval apart). */
function cycles(calls) {
  const out = [];
  for (const c of calls) {
    const last = out.at(-1);
    if (last && c.at - last.end < POLL_MS / 2) {
      last.calls++;
      last.ids += c.ids;
      last.end = c.at;
    } else out.push({ calls: 1, ids: c.ids, end: c.at });
  }
  return out;
}

/**
 * Runs the wide flow against moto (simple mode) through the fault-injecting proxy, with no faults: it only counts.
 *
 * @example
 * ```js
 * const rows = await run(ctx);
 * ```
 */
export async function run(ctx) {
  ctx.checkCli();
  requireMoto();
  const moto = await startBenchMoto(ctx, { simpleBatch: true });
  let proxy;
  try {
    const bucket = 'bench-batch';
    await createBatchResources(moto.url, {
      bucket,
      queue: QUEUE,
      computeEnvironment: 'bench-ce',
      role: 'bench-role',
      region: 'us-east-1',
    });
    proxy = await startFaultProxy({ target: moto.url });
    const env = {
      ...MOTO_AWS_ENV,
      AWS_ENDPOINT_URL: proxy.url,
      METAFLOW_S3_ENDPOINT_URL: moto.url,
      METAFLOW_BATCH_JOB_QUEUE: QUEUE,
      METAFLOW_BATCH_CONTAINER_IMAGE: 'node:20',
      STEPFLOW_BATCH_POLL_MS: String(POLL_MS),
      // Plain jobs, one per task, as Metaflow submits them: array jobs are measured by `batch-wide`.
      STEPFLOW_BATCH_ARRAYS: '0',
    };
    const args = ['run', FLOW, '--datastore', 's3', '--datastore-root', `s3://${bucket}/runs`];
    args.push('--max-workers', String(WIDTH), '--max-num-splits', String(WIDTH), '--width', String(WIDTH));
    const cli = path.join(ctx.root, 'bin', 'stepflow.mjs');
    const r = await runCommand(ctx.node, [cli, ...args], {
      cwd: ctx.root,
      env: hostNodeEnv(env),
      stdio: 'capture',
      timeoutMs: TIMEOUT_MS,
    });
    const out = `${r.stdout}\n${r.stderr}`;
    const submitted = proxy.counts.SubmitJob ?? 0;
    if (submitted !== WIDTH) {
      const last = out.trim().split('\n').slice(-20).join('\n    ');
      throw new Error(
        `expected ${WIDTH} SubmitJob calls, saw ${submitted} (${describeExit(r, TIMEOUT_MS)}):\n    ${last}`,
      );
    }
    const c = proxy.counts;
    const polls = cycles(proxy.describeJobs);
    const maxPerCycle = Math.max(...polls.map((p) => p.calls));
    const maxIds = Math.max(...proxy.describeJobs.map((d) => d.ids));
    // The jobs' lifetime as the poller saw it: cycles × interval (Metaflow polls each job once per second).
    const runningSeconds = polls.length * (POLL_MS / 1000);
    const metaflowDescribe = WIDTH * runningSeconds;
    const lookups =
      (c.DescribeJobQueues ?? 0) + (c.DescribeComputeEnvironments ?? 0) + (c.DescribeJobDefinitions ?? 0);
    ctx.log(`calls by kind: ${JSON.stringify(c)}`);
    ctx.log(
      `poll cycles: ${polls.length}; DescribeJobs per cycle ≤ ${maxPerCycle}; ids per call ≤ ${maxIds}`,
    );
    ctx.log(
      `per task: stepflow ${((lookups + (c.RegisterJobDefinition ?? 0)) / WIDTH).toFixed(3)} look-ups, ` +
        `${((c.DescribeJobs ?? 0) / WIDTH).toFixed(3)} DescribeJobs; Metaflow 3 look-ups, ` +
        `${runningSeconds.toFixed(0)} DescribeJobs (1/s over ${runningSeconds.toFixed(0)} s)`,
    );
    return [
      {
        metric: 'look-ups per task (queue, CE, definition)',
        value: lookups / WIDTH,
        unit: 'calls',
        baseline: { label: "Metaflow's design: 3 per task", value: 3 },
        target: { max: 3 / WIDTH },
        lowerIsBetter: true,
      },
      {
        metric: 'DescribeJobs per task',
        value: (c.DescribeJobs ?? 0) / WIDTH,
        unit: 'calls',
        baseline: {
          label: `Metaflow: 1/s per running task (${runningSeconds} s)`,
          value: metaflowDescribe / WIDTH,
        },
        lowerIsBetter: true,
      },
      {
        metric: 'DescribeJobs per poll cycle (200 active)',
        value: maxPerCycle,
        unit: 'calls',
        baseline: { label: 'Metaflow: one per active job', value: WIDTH },
        target: { max: Math.ceil(WIDTH / 100) },
        lowerIsBetter: true,
      },
      {
        metric: 'SubmitJob per task',
        value: submitted / WIDTH,
        unit: 'calls',
        baseline: { label: 'Metaflow: 1 per task', value: 1 },
        target: { max: 1 },
        lowerIsBetter: true,
      },
    ];
  } finally {
    await proxy?.close();
    await moto.stop();
  }
}
