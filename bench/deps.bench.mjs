/**
 * deps: what real dependencies cost on AWS Batch (issue 11), on the local stand-in (moto + dockerd + the
 * node-only image, started here through scripts/aws-local.mjs; run it under the lock:
 * `flock /tmp/stepflow-batch.lock npm run bench -- deps`).
 *
 * - cold start: from the container's `node` start (the bootstrap passes it to the task) to the first line
 *   of the step body, for a step importing sharp + DuckDB (the layer downloaded, checked and unpacked in
 *   the container) against the same step without dependencies; median of the flow's two steps;
 * - the layer's size, and the bytes the second identical run writes to the flow's content-addressed area
 *   (goal 0: the layer and the code package are stored by sha and not uploaded again);
 * - package + layer build time, cold (empty per-user cache) and warm, against the bundle alone.
 *
 * @module
 */

import path from 'node:path';
import { startLocalAws } from '../scripts/aws-local.mjs';
import { hostNodeEnv, runCommand } from '../scripts/lib/proc.mjs';
import { median } from './lib/measure.mjs';

/** The benchmark's name (`npm run bench -- deps`). */
export const name = 'deps';

/** Where it comes in a full run. */
export const order = 66;

/** One line on what it measures. */
export const description =
  'dependency layer: @batch cold start with sharp + DuckDB vs. none (real containers), re-upload bytes, build time';

const DEPS_FLOW = 'bench/flows/deps-start-flow.ts';
const PLAIN_FLOW = 'bench/flows/plain-start-flow.ts';
const TIMEOUT_MS = 5 * 60_000;

/** Runs the CLI with `env`; its combined output, or an error with its last lines. */
async function stepflow(ctx, args, env) {
  const r = await runCommand(ctx.node, [path.join(ctx.root, 'bin', 'stepflow.mjs'), ...args], {
    cwd: ctx.root,
    env: hostNodeEnv(env),
    stdio: 'capture',
    timeoutMs: TIMEOUT_MS,
  });
  const out = `${r.stdout}\n${r.stderr}`;
  if (r.code !== 0) throw new Error(`stepflow ${args.join(' ')} exited ${r.code}:\n${out.slice(-4000)}`);
  return out;
}

/** The "step body start: N ms" figures of a run's output. */
function startTimes(out) {
  return [...out.matchAll(/step body start: (\d+) ms after container start/g)].map((m) => Number(m[1]));
}

/** Objects (key → size and ETag) under a prefix of the stand-in's bucket (ListObjectsV2, unsigned). */
async function objects(endpoint, bucket, prefix) {
  const out = new Map();
  let token;
  do {
    const url = new URL(`${endpoint}/${bucket}`);
    url.searchParams.set('list-type', '2');
    url.searchParams.set('prefix', prefix);
    if (token) url.searchParams.set('continuation-token', token);
    const xml = await (await fetch(url)).text();
    for (const m of xml.matchAll(
      /<Key>([^<]+)<\/Key><LastModified>([^<]+)<\/LastModified><ETag>([^<]+)<\/ETag><Size>(\d+)<\/Size>/g,
    )) {
      out.set(m[1], { tag: `${m[2]} ${m[3]}`, size: Number(m[4]) });
    }
    token = /<NextContinuationToken>([^<]+)</.exec(xml)?.[1];
  } while (token);
  return out;
}

/** Bytes of the objects that are new or were written again between two listings. */
function writtenBytes(before, after) {
  let bytes = 0;
  for (const [key, o] of after) if (before.get(key)?.tag !== o.tag) bytes += o.size;
  return bytes;
}

/** Build times (ms) of the package alone, then package + layer with an empty cache, then warm. */
async function buildTimes(ctx) {
  const cache = ctx.tempDir();
  const script = `
    const { buildCodePackage } = await import(${JSON.stringify(path.join(ctx.root, 'dist', 'package', 'index.js'))});
    const { hostPlatform } = await import(${JSON.stringify(path.join(ctx.root, 'dist', 'package', 'layer', 'platform.js'))});
    const flow = ${JSON.stringify(path.join(ctx.root, DEPS_FLOW))};
    const cacheDir = ${JSON.stringify(cache)};
    const time = async (options) => { const t = performance.now(); const p = await buildCodePackage(flow, options); return [performance.now() - t, p]; };
    await time({ cacheDir }); // warms esbuild and the file cache for every figure alike
    const [bundleMs] = await time({ cacheDir });
    const layer = { platform: hostPlatform() };
    const [coldMs, cold] = await time({ cacheDir, layer });
    const [warmMs] = await time({ cacheDir, layer });
    console.log(JSON.stringify({ bundleMs, coldMs, warmMs, layerBytes: cold.layer?.size ?? 0 }));`;
  const r = await runCommand(ctx.node, ['--input-type=module', '-e', script], {
    cwd: ctx.root,
    env: hostNodeEnv(),
    stdio: 'capture',
    timeoutMs: TIMEOUT_MS,
  });
  if (r.code !== 0) throw new Error(`the build measurement failed:\n${r.stderr.slice(-3000)}`);
  return JSON.parse(r.stdout.trim().split('\n').at(-1));
}

/**
 * Runs the two flows on the local stand-in and measures the builds; the rows of the table.
 *
 * @example
 * ```js
 * const rows = await run(ctx);
 * ```
 */
export async function run(ctx) {
  ctx.checkCli();
  const builds = await buildTimes(ctx);
  const aws = await startLocalAws({ logDir: ctx.tempDir(), install: false, log: (l) => ctx.log(l) });
  let deps;
  let plain;
  let layerBytes;
  let secondBytes;
  try {
    const s = aws.settings;
    const env = { ...aws.env, STEPFLOW_BATCH_POLL_MS: '250' };
    const prefix = `bench-deps-${Date.now()}`;
    const args = (flow) => [
      'run',
      flow,
      '--with',
      'batch:memory=1024',
      '--datastore',
      's3',
      '--datastore-root',
      `s3://${s.bucket}/${prefix}`,
    ];
    plain = startTimes(await stepflow(ctx, args(PLAIN_FLOW), env));
    const first = await stepflow(ctx, args(DEPS_FLOW), env);
    deps = startTimes(first);
    const size = /dependency layer for linux-\w+ \(\d+ packages, ([\d.]+) MiB/.exec(first)?.[1];
    layerBytes = size ? Math.round(Number(size) * 2 ** 20) : 0;
    const area = `${prefix}/DepsStartFlow/data/`;
    const before = await objects(s.endpoint, s.bucket, area);
    const second = await stepflow(ctx, args(DEPS_FLOW), env);
    deps.push(...startTimes(second));
    secondBytes = writtenBytes(before, await objects(s.endpoint, s.bucket, area));
    ctx.log(`second run: ${/dependency layer[^\n]*/.exec(second)?.[0] ?? 'no layer notice'}`);
  } finally {
    await aws.stop();
  }
  if (deps.length === 0 || plain.length === 0) throw new Error('no "step body start" lines in the runs');
  ctx.log(`cold starts (ms): with deps ${deps.join(', ')}; without ${plain.join(', ')}`);
  const plainMs = median(plain);
  return [
    {
      metric: 'cold start to step body, sharp + DuckDB (median)',
      value: median(deps),
      unit: 'ms',
      baseline: { label: 'the same step without dependencies', value: plainMs },
      target: { max: plainMs + 2000 },
      lowerIsBetter: true,
    },
    { metric: 'dependency layer size (tar.gz)', value: layerBytes, unit: 'bytes', lowerIsBetter: true },
    {
      metric: 'bytes stored by a second identical run (content area)',
      value: secondBytes,
      unit: 'bytes',
      baseline: { label: 'the layer', value: Math.max(1, layerBytes) },
      target: { max: 0 },
      lowerIsBetter: true,
    },
    {
      metric: 'package + layer build, cold cache',
      value: Math.round(builds.coldMs),
      unit: 'ms',
      baseline: { label: 'the bundle alone', value: Math.round(builds.bundleMs) },
      lowerIsBetter: true,
    },
    {
      metric: 'package + layer build, warm cache',
      value: Math.round(builds.warmMs),
      unit: 'ms',
      baseline: { label: 'the bundle alone', value: Math.round(builds.bundleMs) },
      target: { max: 1500 },
      lowerIsBetter: true,
    },
  ];
}
