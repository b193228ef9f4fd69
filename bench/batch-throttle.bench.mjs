/**
 * batch-throttle: a 500-way `@batch` foreach against a moto server of its own in SIMPLE mode, with a
 * FAULT-INJECTING proxy in front of moto's Batch API that throttles SubmitJob as AWS does: an account
 * quota (here 25/s, as if other submitters used half of AWS's 50/s) whose excess calls are answered with
 * AWS's 429 (`TooManyRequestsException`), beside the same run without injected faults (the baseline).
 * (A random fraction of 429s whatever the rate would not model AWS: real throttling stops when the
 * caller slows down, and an adaptive rate that halves on each 429 would only keep falling.)
 * The run must succeed: zero failed tasks, every job submitted exactly once. Reported: wall time, the
 * SubmitJob calls retried (each 429 is retried once by the launcher's adaptive rate), and the rate
 * changes the run printed.
 *
 * The tasks really run: moto's simple mode marks jobs SUCCEEDED without running anything, so the proxy
 * is also a JOB-RUNNER stand-in (scripts/lib/batch-fault-proxy.mjs): each submitted job's command (the
 * bootstrap, which fetches the code package from moto's S3 and runs the task) runs as a local process
 * with the job's environment plus the test credentials, at most 16 at once, and DescribeJobs says
 * RUNNING until it exits, then SUCCEEDED or FAILED with its exit code. No containers (no Docker lock).
 *
 * @module
 */

import path from 'node:path';
import { createBatchResources } from '../scripts/aws-local.mjs';
import { startFaultProxy } from '../scripts/lib/batch-fault-proxy.mjs';
import { describeExit, hostNodeEnv, runCommand } from '../scripts/lib/proc.mjs';
import { MOTO_AWS_ENV, requireMoto, startBenchMoto } from './lib/moto-s3.mjs';

/** The benchmark's name (`npm run bench -- batch-throttle`). */
export const name = 'batch-throttle';

/** Where it comes in a full run. */
export const order = 61;

/** One line on what it measures. */
export const description =
  '500-way @batch foreach with SubmitJob throttled to a 25/s quota (429s; moto simple mode + job-runner stand-in) vs. no faults';

const FLOW = 'test/e2e/batch/flows/wide-flow.ts';
const WIDTH = Number(process.env.STEPFLOW_BENCH_THROTTLE_WIDTH) || 500;
const QUOTA_PER_SECOND = 25;
const CONCURRENCY = 16;
const POLL_MS = 1000;
const TIMEOUT_MS = 30 * 60_000;

/** One run of the wide flow through a fresh proxy; resolves its figures. */
async function oneRun(ctx, moto, { bucket, queue, faults, label }) {
  const runnerEnv = { ...MOTO_AWS_ENV, PATH: hostNodeEnv().PATH ?? '' };
  const proxy = await startFaultProxy({
    target: moto.url,
    faults,
    runner: { concurrency: CONCURRENCY, env: runnerEnv },
  });
  try {
    const env = {
      ...MOTO_AWS_ENV,
      AWS_ENDPOINT_URL: proxy.url,
      METAFLOW_S3_ENDPOINT_URL: moto.url,
      METAFLOW_BATCH_JOB_QUEUE: queue,
      METAFLOW_BATCH_CONTAINER_IMAGE: 'node:20',
      STEPFLOW_BATCH_POLL_MS: String(POLL_MS),
      // One SubmitJob per task, to measure the adaptive rate under a quota (arrays need one per 10,000).
      STEPFLOW_BATCH_ARRAYS: '0',
    };
    const args = ['run', FLOW, '--datastore', 's3', '--datastore-root', `s3://${bucket}/runs`];
    args.push('--max-workers', String(WIDTH), '--max-num-splits', String(WIDTH), '--width', String(WIDTH));
    const cli = path.join(ctx.root, 'bin', 'stepflow.mjs');
    const started = performance.now();
    const r = await runCommand(ctx.node, [cli, ...args], {
      cwd: ctx.root,
      env: hostNodeEnv(env),
      stdio: 'capture',
      timeoutMs: TIMEOUT_MS,
    });
    const seconds = (performance.now() - started) / 1000;
    const out = `${r.stdout}\n${r.stderr}`;
    const names = proxy.submitted.map((s) => s.jobName);
    const distinct = new Set(names).size;
    const failedJobs = proxy.jobStatuses().FAILED ?? 0;
    const rateLines = out.split('\n').filter((l) => /SubmitJob rate/.test(l));
    ctx.log(
      `${label}: ${describeExit(r, TIMEOUT_MS)} in ${seconds.toFixed(1)} s; SubmitJob calls ${proxy.counts.SubmitJob ?? 0}, ` +
        `answered 429 ${proxy.throttled}, jobs ${names.length} (${distinct} distinct names); ` +
        `DescribeJobs ${proxy.counts.DescribeJobs ?? 0}; jobs by status ${JSON.stringify(proxy.jobStatuses())}; ` +
        `rate changes printed ${rateLines.length}`,
    );
    for (const line of rateLines.slice(0, 4)) ctx.log(`  ${line.trim()}`);
    if (rateLines.length > 4)
      ctx.log(`  ... ${rateLines.length - 4} more; last: ${rateLines.at(-1)?.trim()}`);
    if (r.code !== 0 || names.length !== WIDTH || distinct !== WIDTH || failedJobs) {
      const failed = proxy.submitted.find((s) => proxy.jobStatus(s.jobId) === 'FAILED');
      if (failed) ctx.log(`a failed job's output:\n${proxy.jobOutput(failed.jobId)}`);
      const last = out.trim().split('\n').slice(-25).join('\n    ');
      throw new Error(
        `${label}: expected a successful run with ${WIDTH} jobs submitted once each, got ` +
          `${describeExit(r, TIMEOUT_MS)}, ${names.length} jobs (${distinct} distinct):\n    ${last}`,
      );
    }
    return { seconds, throttled: proxy.throttled, submitCalls: proxy.counts.SubmitJob ?? 0, rateLines };
  } finally {
    await proxy.close();
  }
}

/**
 * Runs the wide flow twice against moto (simple mode): without faults, then with SubmitJob throttled
 * to a quota.
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
  try {
    const bucket = 'bench-throttle';
    const queue = 'bench-throttle-queue';
    await createBatchResources(moto.url, {
      bucket,
      queue,
      computeEnvironment: 'bench-throttle-ce',
      role: 'bench-throttle-role',
      region: 'us-east-1',
    });
    const base = await oneRun(ctx, moto, { bucket, queue, label: 'no faults' });
    const faulty = await oneRun(ctx, moto, {
      bucket,
      queue,
      faults: { quotaPerSecond: QUOTA_PER_SECOND },
      label: `SubmitJob over a ${QUOTA_PER_SECOND}/s quota answered 429`,
    });
    return [
      {
        metric: `wall time, ${WIDTH}-way foreach, SubmitJob quota ${QUOTA_PER_SECOND}/s (0 failed tasks)`,
        value: faulty.seconds,
        unit: 's',
        baseline: { label: 'same run, no injected faults', value: base.seconds },
        lowerIsBetter: true,
      },
      {
        metric: 'SubmitJob calls retried (answered 429)',
        value: faulty.throttled,
        unit: 'calls',
        baseline: { label: 'no injected faults', value: base.throttled },
        lowerIsBetter: true,
      },
      {
        metric: 'SubmitJob calls per task',
        value: faulty.submitCalls / WIDTH,
        unit: 'calls',
        baseline: { label: 'no injected faults', value: base.submitCalls / WIDTH },
        lowerIsBetter: true,
      },
      {
        metric: 'failed tasks',
        value: 0,
        unit: 'tasks',
        target: { max: 0 },
        lowerIsBetter: true,
      },
    ];
  } finally {
    await moto.stop();
  }
}
