/**
 * deps-build: building the code package plus its dependency layer for a flow importing sharp and
 * DuckDB, with an empty per-user cache (cold) and a warm one, against building a flow without
 * dependencies. Each build runs in a fresh `node` process, as `stepflow run` does.
 *
 * @module
 */
import path from 'node:path';
import { runCommand } from '../scripts/lib/proc.mjs';
import { median, repeat } from './lib/measure.mjs';

/** The benchmark's name (`npm run bench -- deps-build`). */
export const name = 'deps-build';

/** Where it comes in a full run. */
export const order = 15;

/** One line on what it measures. */
export const description =
  'code package + dependency layer build of a sharp + DuckDB flow, cold and warm cache, vs. a flow without deps';

const DEPS_FLOW = 'bench/flows/deps-flow.ts';
const PLAIN_FLOW = 'bench/flows/startup-flow.ts';

/** A child script: one build (with a layer for this machine), printing its milliseconds and the layer. */
const CHILD = `
const [build, platform, flow, cacheDir] = process.argv.slice(1);
const { buildCodePackage } = await import(build);
const { hostPlatform } = await import(platform);
const t0 = performance.now();
const pkg = await buildCodePackage(flow, { cacheDir, layer: { platform: hostPlatform() } });
const ms = performance.now() - t0;
console.log(JSON.stringify({ ms, layer: pkg.layer ? { size: pkg.layer.size, files: pkg.layer.files } : null }));
`;

/**
 * Times one build in a fresh process.
 *
 * @example
 * ```js
 * const { ms, layer } = await buildOnce(ctx, 'bench/flows/deps-flow.ts', ctx.tempDir());
 * ```
 */
export async function buildOnce(ctx, flow, cacheDir) {
  const dist = path.join(ctx.root, 'dist', 'package');
  const r = await runCommand(
    ctx.node,
    [
      '--input-type=module',
      '-e',
      CHILD,
      path.join(dist, 'build.js'),
      path.join(dist, 'layer', 'platform.js'),
      path.join(ctx.root, flow),
      cacheDir,
    ],
    { cwd: ctx.root, stdio: 'capture', timeoutMs: 10 * 60_000 },
  );
  if (r.code !== 0) throw new Error(`building ${flow} failed:\n${r.stdout}\n${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').pop());
}

/**
 * Baseline (a flow without dependencies, median of 3), then a cold build with an empty cache, then
 * three warm builds with that cache.
 *
 * @example
 * ```js
 * const rows = await run(ctx);
 * ```
 */
export async function run(ctx) {
  ctx.checkCli();
  const plainCache = ctx.tempDir();
  await buildOnce(ctx, PLAIN_FLOW, plainCache);
  const baselineMs = median((await repeat(3, () => buildOnce(ctx, PLAIN_FLOW, plainCache))).map((b) => b.ms));
  const baseline = { label: 'build of a flow without deps (median of 3)', value: baselineMs };
  const cache = ctx.tempDir();
  const cold = await buildOnce(ctx, DEPS_FLOW, cache);
  const warm = await repeat(3, () => buildOnce(ctx, DEPS_FLOW, cache));
  const warmMs = median(warm.map((b) => b.ms));
  ctx.log(
    `layer: ${(cold.layer.size / 1024 / 1024).toFixed(1)} MB archive, ${cold.layer.files} files; ` +
      `cold ${Math.round(cold.ms)} ms; warm ${warm.map((b) => `${Math.round(b.ms)} ms`).join(', ')}`,
  );
  return [
    {
      metric: 'build + layer, warm cache (median of 3)',
      value: warmMs,
      unit: 'ms',
      baseline,
      target: { max: 1500 },
      lowerIsBetter: true,
    },
    { metric: 'build + layer, cold cache', value: cold.ms, unit: 'ms', baseline, lowerIsBetter: true },
    { metric: 'layer archive size', value: cold.layer.size / 1024 / 1024, unit: 'MB', lowerIsBetter: true },
  ];
}
