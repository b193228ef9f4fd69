/**
 * logs: what saving a big log costs. (1) Locally: a step printing 1 GiB of 1 KiB lines
 * (bench/flows/log-flood-flow.ts); the runtime's peak RSS and the bytes it writes (its `/proc/self/io`
 * `wchar`, less what it printed) per byte logged, against the same flow printing 1 MiB (baseline, same run).
 * (2) The container bootstrap's log saver fed 200 MiB against moto (its own server, no container):
 * its RSS growth and bytes PUT per byte logged, against the same feed to nothing (baseline). The old
 * design kept whole logs in memory (RSS growth ≥ the log) and rewrote them whole every 2 s locally
 * (bytes written ≈ log × seconds ÷ 4), which `ctx.log` prints for comparison; the RSS targets are "less
 * than the log". RSS growth includes allocator and GC slack: the saver fed a quarter of the log is printed
 * beside it, to show that the growth does not follow the log's size.
 *
 * @module
 */
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { hostNodeEnv } from '../scripts/lib/proc.mjs';
import { createBucket, motoOrSkip, s3Env, startBenchMoto } from './lib/moto-s3.mjs';

/** The benchmark's name (`npm run bench -- logs`). */
export const name = 'logs';

/** Where it comes in a full run. */
export const order = 70;

/** One line on what it measures. */
export const description =
  'a 1 GiB log locally and 200 MiB through the bootstrap saver: RSS growth, bytes written per byte';

const FLOW = 'bench/flows/log-flood-flow.ts';
const LOCAL_MIB = 1024;
const SAVER_MIB = 200;
const MiB = 2 ** 20;

/** Runs `node args` to the end, counting (not keeping) its stdout; resolves { code, outBytes, stderr, ms }. */
function runCounting(ctx, args, env = {}) {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(ctx.node, args, {
      cwd: ctx.root,
      env: hostNodeEnv(env),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let outBytes = 0;
    let out = '';
    let stderr = '';
    child.stdout.on('data', (d) => {
      outBytes += d.length;
      if (out.length < 4000) out += d.toString();
    });
    child.stderr.on('data', (d) => {
      outBytes += d.length;
      stderr = (stderr + d.toString()).slice(-4000);
    });
    child.on('error', reject);
    child.on('close', (code) =>
      resolve({ code, outBytes, out, stderr, pid: child.pid, ms: performance.now() - started }),
    );
  });
}

/**
 * One local run of the flood flow: the runtime's peak RSS, and the bytes it wrote itself. Linux adds the
 * I/O of waited-for children to a process's `/proc/<pid>/io`, so every node process of the run has the
 * preload (`NODE_OPTIONS`) and the task processes' own writes (their output) are subtracted, as is what
 * the runtime printed.
 */
async function localRun(ctx, mib) {
  const ioDir = ctx.tempDir();
  const r = await runCounting(
    ctx,
    [
      path.join(ctx.root, 'bin', 'stepflow.mjs'),
      'run',
      FLOW,
      '--datastore-root',
      path.join(ctx.tempDir(), 'ds'),
      '--mib',
      String(mib),
    ],
    {
      STEPFLOW_BENCH_IO_DIR: ioDir,
      NODE_OPTIONS: `--import=${pathToFileURL(path.join(ctx.root, 'bench', 'lib', 'proc-io.mjs')).href}`,
    },
  );
  if (r.code !== 0) throw new Error(`the ${mib} MiB run exited ${r.code}:\n${r.stderr}`);
  let runtime;
  let children = 0;
  for (const file of readdirSync(ioDir)) {
    const io = JSON.parse(readFileSync(path.join(ioDir, file), 'utf8'));
    if (file === `${r.pid}.json`) runtime = io;
    else children += io.wchar;
  }
  if (!runtime) throw new Error(`no I/O figures from the runtime (pid ${r.pid}) in ${ioDir}`);
  return {
    peakRss: runtime.peakRssBytes,
    written: runtime.wchar - children - r.outBytes,
    seconds: r.ms / 1000,
  };
}

/** The feed child (saver or sink); its JSON line. */
async function feed(ctx, mode, env, prefix, mib = SAVER_MIB) {
  const r = await runCounting(
    ctx,
    ['--expose-gc', path.join(ctx.root, 'bench', 'lib', 'log-saver-feed.mjs'), mode, String(mib), prefix],
    env,
  );
  if (r.code !== 0) throw new Error(`log-saver-feed ${mode} exited ${r.code}:\n${r.stderr}`);
  return JSON.parse(r.out.trim().split('\n').at(-1));
}

/**
 * Runs both parts; rows for RSS growth and bytes written per byte logged.
 *
 * @example
 * ```js
 * const rows = await run(ctx);
 * ```
 */
export async function run(ctx) {
  ctx.checkCli();
  const small = await localRun(ctx, 1);
  const big = await localRun(ctx, LOCAL_MIB);
  const logged = (LOCAL_MIB - 1) * MiB;
  const perByte = (big.written - small.written) / logged;
  ctx.log(
    `local: 1 GiB printed in ${big.seconds.toFixed(1)} s; runtime peak RSS ${(big.peakRss / MiB).toFixed(0)} MiB ` +
      `(1 MiB log: ${(small.peakRss / MiB).toFixed(0)} MiB); written ${(big.written / MiB).toFixed(0)} MiB ` +
      `(1 MiB log: ${(small.written / MiB).toFixed(1)} MiB). Old design: ≥ 1024 MiB held, ` +
      `≈ ${((LOCAL_MIB * big.seconds) / 4 / 1024).toFixed(1)} GiB written (log × seconds ÷ 4).`,
  );
  const rows = [
    {
      metric: 'local 1 GiB log: runtime RSS growth',
      value: (big.peakRss - small.peakRss) / MiB,
      unit: 'MiB',
      baseline: { label: 'the same flow printing 1 MiB (its peak RSS)', value: small.peakRss / MiB },
      target: { max: LOCAL_MIB }, // below the log: the old design held all of it
      lowerIsBetter: true,
    },
    {
      metric: 'local 1 GiB log: bytes written per byte logged',
      value: perByte,
      unit: 'B/B',
      baseline: { label: 'the old design (log × seconds ÷ 4)', value: big.seconds / 4 },
      target: { max: 1.1 },
      lowerIsBetter: true,
    },
  ];
  if (!motoOrSkip(ctx, 'the bootstrap saver part')) return rows;
  const moto = await startBenchMoto(ctx);
  try {
    const bucket = `bench-logs-${Date.now()}`;
    await createBucket(moto.url, bucket);
    const env = s3Env(moto.url);
    const prefix = `s3://${bucket}/F/1/s/2/0.`;
    const sink = await feed(ctx, 'sink', env, prefix);
    const smallSaver = await feed(ctx, 'saver', env, `s3://${bucket}/F/1/s/3/0.`, SAVER_MIB / 4);
    const saver = await feed(ctx, 'saver', env, prefix);
    if (saver.saved !== SAVER_MIB * MiB)
      throw new Error(`the saver saved ${saver.saved} bytes of ${SAVER_MIB * MiB}`);
    ctx.log(
      `bootstrap saver: ${SAVER_MIB} MiB in ${saver.seconds.toFixed(1)} s, ${saver.puts} PUTs, ` +
        `${saver.segments} segments; RSS growth ${(saver.rssGrowth / MiB).toFixed(0)} MiB ` +
        `(fed ${SAVER_MIB / 4} MiB: ${(smallSaver.rssGrowth / MiB).toFixed(0)} MiB; feeding nothing: ` +
        `${(sink.rssGrowth / MiB).toFixed(0)} MiB). Old design: the whole log held (≥ ${SAVER_MIB} MiB).`,
    );
    rows.push(
      {
        metric: 'bootstrap saver, 200 MiB: RSS growth',
        value: saver.rssGrowth / MiB,
        unit: 'MiB',
        baseline: { label: 'the same feed to nothing', value: Math.max(1, sink.rssGrowth / MiB) },
        target: { max: SAVER_MIB }, // below the log: the old design held all of it (twice while uploading)
        lowerIsBetter: true,
      },
      {
        metric: 'bootstrap saver, 200 MiB: bytes PUT per byte logged',
        value: saver.bytesWritten / (SAVER_MIB * MiB),
        unit: 'B/B',
        baseline: { label: 'each byte once', value: 1 },
        target: { max: 1.1 },
        lowerIsBetter: true,
      },
    );
  } finally {
    await moto.stop();
  }
  return rows;
}
