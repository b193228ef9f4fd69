/**
 * artifacts: saving and loading a 256 MiB Float64Array through the datastore, against plain
 * `fs.writeFileSync` / `fs.readFileSync` of a 256 MiB buffer in a temp dir.
 *
 * @module
 */
import fs from 'node:fs';
import path from 'node:path';
import { findDoneRecord, metric, readRunId } from './lib/done-records.mjs';
import { mbPerSecond } from './lib/measure.mjs';

/** The benchmark's name (`npm run bench -- artifacts`). */
export const name = 'artifacts';

/** Where it comes in a full run (cheap ones first). */
export const order = 30;

/** One line on what it measures. */
export const description = '256 MiB Float64Array saved by `start`, loaded by `read` (MB/s) vs. fs write/read';

const FLOW = 'bench/flows/artifacts-flow.ts';
const FLOW_NAME = 'ArtifactsFlow';
const BYTES = 256 * 1024 * 1024;

/**
 * Measure the fs baseline, run the flow, and read the figures from the two steps' done records.
 *
 * @example
 * ```js
 * const rows = await run(ctx);
 * ```
 */
export async function run(ctx) {
  ctx.checkCli();
  const fsRates = fsBaseline(ctx.tempDir());
  const root = ctx.tempDir();
  const runIdFile = path.join(ctx.tempDir(), 'run-id');
  const { stdout } = await ctx.runCli(['run', FLOW, '--datastore-root', root, '--run-id-file', runIdFile], {
    timeoutMs: 10 * 60_000,
  });
  const runId = readRunId(runIdFile, stdout, FLOW_NAME);
  const saved = findDoneRecord(root, FLOW_NAME, runId, 'start');
  const loaded = findDoneRecord(root, FLOW_NAME, runId, 'read');
  const saveBytes = metric(saved, 'artifactSaveBytes');
  const loadBytes = metric(loaded, 'artifactLoadBytes');
  ctx.log(
    `start saved ${(saveBytes / 2 ** 20).toFixed(1)} MiB, read loaded ${(loadBytes / 2 ** 20).toFixed(1)} MiB`,
  );
  return [
    {
      metric: 'save (start)',
      value: mbPerSecond(saveBytes, metric(saved, 'artifactSaveMs')),
      unit: 'MB/s',
      baseline: { label: 'fs.writeFileSync 256 MiB', value: fsRates.write },
      target: { min: 200 },
    },
    {
      metric: 'load (read)',
      value: mbPerSecond(loadBytes, metric(loaded, 'artifactLoadMs')),
      unit: 'MB/s',
      baseline: { label: 'fs.readFileSync 256 MiB', value: fsRates.read },
      target: { min: 200 },
    },
  ];
}

/** Write and read back a 256 MiB buffer; returns `{ write, read }` in MB/s. */
function fsBaseline(dir) {
  const file = path.join(dir, 'baseline.bin');
  let buf = Buffer.alloc(BYTES, 1);
  let t = performance.now();
  fs.writeFileSync(file, buf);
  const write = mbPerSecond(BYTES, performance.now() - t);
  buf = undefined;
  t = performance.now();
  const back = fs.readFileSync(file);
  const read = mbPerSecond(back.length, performance.now() - t);
  fs.rmSync(file);
  return { write, read };
}
