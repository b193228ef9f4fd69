/**
 * wide: the local side of a 10,000-way foreach (issue #14, point 7). bench/flows/wide-flow.ts runs through
 * test/support/wide-run.ts (one process: the runtime, its `work` step through the no-op task stand-in,
 * remote, so the runtime and the datastore are measured, not 10,000 processes or containers; the join is a
 * real local task reading one small artifact of each input), then `stepflow dump` and `stepflow logs` of
 * the 10,000-task step, the client's listing and a resume (every task cloned). On the local datastore and
 * on S3 (a moto server this benchmark starts), at 1,000 and at 10,000: each 10,000 figure is shown beside
 * ten times its 1,000 figure, so a ratio near 1 is linear growth. The join's read of 10,000 artifacts on S3
 * is shown beside `aws s3 cp --recursive` of the same objects (the flow's blobs) from the same moto.
 *
 * moto is a Python process on the same 2-core machine (about 90 requests/s here): the S3 figures carry its
 * costs too, and at 10,000 only the run and the join are measured on S3 unless
 * `STEPFLOW_BENCH_WIDE_S3_FULL=1`. `STEPFLOW_BENCH_WIDE_ONLY=local|s3` runs one half.
 *
 * @module
 */
import fs from 'node:fs';
import path from 'node:path';
import { describeExit, hostNodeEnv, runCommand } from '../scripts/lib/proc.mjs';
import { createBucket, MOTO_AWS_ENV, motoOrSkip, s3Env, startBenchMoto } from './lib/moto-s3.mjs';

/** The benchmark's name (`npm run bench -- wide`). */
export const name = 'wide';

/** Where it comes in a full run (a slow one: ~10 min). */
export const order = 90;

/** One line on what it measures. */
export const description =
  '10,000-way foreach (no-op stand-in tasks, real join), local and S3 (moto): scheduler, join read, dump/logs, listing, resume, RSS; growth from 1,000';

const WIDTHS = [1_000, 10_000];
const TIMEOUT_MS = 40 * 60_000;

/**
 * Runs the flow at each width on each datastore, then compares.
 *
 * @example
 * ```js
 * const rows = await run(ctx);
 * ```
 */
export async function run(ctx) {
  ctx.checkCli();
  const rows = [];
  const only = process.env.STEPFLOW_BENCH_WIDE_ONLY; // `local` or `s3`: one half of the benchmark
  const local = {};
  for (const width of only === 's3' ? [] : WIDTHS) {
    local[width] = await measure(ctx, width, { kind: 'local', root: path.join(ctx.tempDir(), 'ds') }, {});
    ctx.log(`local ${width}: ${summary(local[width])}`);
  }
  if (only !== 's3') rows.push(...growthRows('local', local));
  if (only === 'local') return rows;
  if (!motoOrSkip(ctx, 'the S3 figures')) return rows;
  const moto = await startBenchMoto(ctx);
  try {
    const s3 = {};
    for (const width of WIDTHS) {
      const bucket = `stepflow-wide-${process.pid}-${width}`;
      await createBucket(moto.url, bucket);
      const env = s3Env(moto.url);
      const root = `s3://${bucket}/runs`;
      // moto serves ~90 requests/s here: at the widest, only the run and the join (dump, logs, listing and
      // resume at 10,000 would take ~40 min more); STEPFLOW_BENCH_WIDE_S3_FULL=1 measures them too.
      const full = width === WIDTHS[0] || process.env.STEPFLOW_BENCH_WIDE_S3_FULL === '1';
      s3[width] = await measure(ctx, width, { kind: 's3', root }, env, full);
      s3[width].awsCpMs = await awsCopy(ctx, moto.url, `${root}/WideFlow/data/`);
      ctx.log(`s3 ${width}: ${summary(s3[width])}, aws s3 cp ${ms(s3[width].awsCpMs)}`);
    }
    rows.push(...growthRows('S3', s3));
    const top = s3[WIDTHS[1]];
    rows.push({
      metric: `S3: join reads ${WIDTHS[1]} artifacts (in the step)`,
      value: top.joinReadMs,
      unit: 'ms',
      baseline: { label: 'aws s3 cp --recursive of the same objects', value: top.awsCpMs },
      target: { max: 1.5 * top.awsCpMs },
      lowerIsBetter: true,
    });
  } finally {
    await moto.stop();
  }
  return rows;
}

/** One width on one datastore: the driver's figures, then `dump` and `logs` of the step through the CLI. */
async function measure(ctx, width, storage, env, full = true) {
  const options = { width, storage, resume: full, list: full };
  const args = ['--import', 'tsx', 'test/support/wide-run.ts', JSON.stringify(options)];
  const r = await runCommand(ctx.node, args, {
    cwd: ctx.root,
    env: hostNodeEnv(env),
    stdio: 'capture',
    timeoutMs: TIMEOUT_MS,
  });
  if (r.code !== 0) {
    const last = `${r.stdout}\n${r.stderr}`.trim().split('\n').slice(-20).join('\n    ');
    throw new Error(`the wide run (${width}, ${storage.kind}) ${describeExit(r, TIMEOUT_MS)}:\n    ${last}`);
  }
  const figures = JSON.parse(r.stdout.trim().split('\n').at(-1));
  if (!full) return figures;
  const step = `WideFlow/${figures.runId}/work`;
  figures.dumpMs = await cli(ctx, ['dump', step, '--datastore-root', storage.root], env);
  figures.logsMs = await cli(ctx, ['logs', step, '--datastore-root', storage.root], env);
  return figures;
}

/** Runs the CLI with `env` and returns its wall time (ms); its output is only counted. */
async function cli(ctx, args, env) {
  const r = await runCommand(ctx.node, [path.join(ctx.root, 'bin', 'stepflow.mjs'), ...args], {
    cwd: ctx.root,
    env: hostNodeEnv(env),
    stdio: 'capture',
    timeoutMs: TIMEOUT_MS,
  });
  if (r.code !== 0) throw new Error(`stepflow ${args.join(' ')} ${describeExit(r, TIMEOUT_MS)}: ${r.stderr}`);
  return r.durationMs;
}

/** `aws s3 cp --recursive` of a prefix from moto into a temp folder: its wall time (ms). */
async function awsCopy(ctx, endpoint, url) {
  const to = ctx.tempDir();
  const args = ['s3', 'cp', '--recursive', '--quiet', '--endpoint-url', endpoint, url, to];
  const r = await runCommand('aws', args, {
    env: hostNodeEnv(MOTO_AWS_ENV),
    stdio: 'capture',
    timeoutMs: TIMEOUT_MS,
  });
  if (r.code !== 0) throw new Error(`aws ${args.join(' ')} ${describeExit(r, TIMEOUT_MS)}: ${r.stderr}`);
  const files = fs.readdirSync(to, { recursive: true }).length;
  ctx.log(`aws s3 cp: ${files} entries in ${ms(r.durationMs)}`);
  return r.durationMs;
}

/** Rows of the widest run, each beside ten times (the width ratio) the narrow run's figure. */
function growthRows(where, byWidth) {
  const [narrow, wide] = WIDTHS;
  const factor = wide / narrow;
  const a = byWidth[narrow];
  const b = byWidth[wide];
  const row = (metric, key, extra = {}) => ({
    metric: `${where}: ${metric} (${wide})`,
    value: b[key],
    unit: 'ms',
    baseline: { label: `${factor} × the ${narrow} figure (ratio ≈ 1: linear)`, value: a[key] * factor },
    lowerIsBetter: true,
    ...extra,
  });
  const rows = [
    row('split end → join start (no-op tasks + scheduler)', 'splitToJoinMs'),
    row('last task end → join start (scheduler)', 'lastToJoinMs'),
    row('join task, start to end', 'joinTaskMs'),
    row('join reads one artifact of each input', 'joinReadMs'),
    row('stepflow dump of the step', 'dumpMs'),
    row('stepflow logs of the step', 'logsMs'),
    row('client step.tasks()', 'listTasksMs'),
    row('client step.taskStates()', 'taskStatesMs'),
    row('resume (every task cloned)', 'resumeMs'),
    {
      metric: `${where}: peak RSS of the runtime process (${wide})`,
      value: b.peakRssMiB,
      unit: 'MiB',
      baseline: { label: `the same at ${narrow}`, value: a.peakRssMiB },
      target: { max: 1024 },
      lowerIsBetter: true,
    },
  ];
  return rows.filter((r) => typeof r.value === 'number' && Number.isFinite(r.baseline.value));
}

function ms(value) {
  return `${(value / 1000).toFixed(1)} s`;
}

function summary(f) {
  const parts = [
    `split→join ${ms(f.splitToJoinMs)}`,
    `last→join ${ms(f.lastToJoinMs)}`,
    `join task ${ms(f.joinTaskMs)}`,
    `join read ${ms(f.joinReadMs)}`,
  ];
  if (f.dumpMs !== undefined) parts.push(`dump ${ms(f.dumpMs)}`, `logs ${ms(f.logsMs)}`);
  if (f.listTasksMs !== undefined) parts.push(`tasks() ${ms(f.listTasksMs)}`);
  if (f.resumeMs !== undefined) parts.push(`resume ${ms(f.resumeMs)}`);
  return `${parts.join(', ')}, RSS ${f.peakRssMiB.toFixed(0)} MiB`;
}
