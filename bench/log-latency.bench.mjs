/**
 * log-latency: how long a line printed by a running `@batch` task takes to reach the runtime's output, with
 * real containers (moto + dockerd + the node-only image, started here through scripts/aws-local.mjs; run it
 * under the Docker lock: `flock /tmp/stepflow-docker.lock npm run bench -- log-latency`). The work step of
 * test/e2e/batch/flows/live-logs-flow.ts prints `tick <Date.now()>` every 250 ms for 60 s; each tick's
 * latency is the time it was read from the runtime's stdout minus the time in it (one clock: the
 * containers run on this machine). Baseline: the same flow run locally (the task's output piped straight
 * to the runtime), measured in the same run.
 *
 * @module
 */

import { spawn } from 'node:child_process';
import path from 'node:path';
import { startLocalAws } from '../scripts/aws-local.mjs';
import { hostNodeEnv } from '../scripts/lib/proc.mjs';

/** The benchmark's name (`npm run bench -- log-latency`). */
export const name = 'log-latency';

/** Where it comes in a full run. */
export const order = 65;

/** One line on what it measures. */
export const description =
  'latency of a line printed by a running @batch task to the local terminal (real containers) vs. local';

const FLOW = 'test/e2e/batch/flows/live-logs-flow.ts';
const SECONDS = 60;
const EVERY_MS = 250;
const TIMEOUT_MS = 5 * 60_000;

/** The p-th percentile (0–100) of `values`, nearest rank. */
function percentile(values, p) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? NaN;
}

/** Runs the CLI, reading its stdout as it streams; resolves the latency (ms) of every tick line. */
function ticks(ctx, args, env) {
  return new Promise((resolve, reject) => {
    const child = spawn(ctx.node, [path.join(ctx.root, 'bin', 'stepflow.mjs'), ...args], {
      cwd: ctx.root,
      env: hostNodeEnv(env),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const latencies = [];
    let rest = '';
    let err = '';
    child.stdout.on('data', (d) => {
      const now = Date.now();
      const parts = (rest + d.toString()).split('\n');
      rest = parts.pop() ?? '';
      for (const line of parts) {
        const m = /\/work\/\d+\].*\btick (\d{13})\b/.exec(line);
        if (m) latencies.push(now - Number(m[1]));
      }
    });
    child.stderr.on('data', (d) => {
      err = (err + d.toString()).slice(-4000);
    });
    const timer = setTimeout(() => child.kill('SIGINT'), TIMEOUT_MS);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      if (code !== 0) reject(new Error(`stepflow ${args.join(' ')} exited ${code}:\n${err}`));
      else if (latencies.length === 0) reject(new Error(`no tick lines in the output:\n${err}`));
      else resolve(latencies);
    });
  });
}

/**
 * Runs the ticking step on AWS Batch (moto + docker) and locally; rows for the median and p95 latency.
 *
 * @example
 * ```js
 * const rows = await run(ctx);
 * ```
 */
export async function run(ctx) {
  ctx.checkCli();
  const flowArgs = ['--seconds', String(SECONDS), '--every', String(EVERY_MS)];
  const local = await ticks(
    ctx,
    ['run', FLOW, '--datastore-root', path.join(ctx.tempDir(), 'ds'), ...flowArgs],
    {},
  );
  const aws = await startLocalAws({ logDir: ctx.tempDir(), install: false, log: (l) => ctx.log(l) });
  let batch;
  try {
    const s = aws.settings;
    const env = { ...aws.env, STEPFLOW_BATCH_POLL_MS: '1000' };
    const root = `s3://${s.bucket}/bench-log-latency-${Date.now()}`;
    const args = ['run', FLOW, '--with', 'batch:memory=512', '--datastore', 's3', '--datastore-root', root];
    batch = await ticks(ctx, [...args, ...flowArgs], env);
  } finally {
    await aws.stop();
  }
  const expected = Math.floor((SECONDS * 1000) / EVERY_MS);
  ctx.log(
    `ticks seen: batch ${batch.length}, local ${local.length} (≈${expected} printed each); ` +
      `batch latency min ${Math.min(...batch)} ms, max ${Math.max(...batch)} ms`,
  );
  return [
    {
      metric: 'log latency, median (first minute)',
      value: percentile(batch, 50),
      unit: 'ms',
      baseline: { label: 'the same step run locally', value: Math.max(1, percentile(local, 50)) },
      target: { max: 1000 },
      lowerIsBetter: true,
    },
    {
      metric: 'log latency, p95 (first minute)',
      value: percentile(batch, 95),
      unit: 'ms',
      baseline: { label: 'the same step run locally', value: Math.max(1, percentile(local, 95)) },
      lowerIsBetter: true,
    },
  ];
}
