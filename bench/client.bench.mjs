/**
 * client: the client API (built, from dist/) over a datastore holding 1,000 run records written
 * directly through `FlowDatastore`, plus one real run of examples/hello-flow.ts (the newest):
 * listing every run, `latestRun()`, and reading one artifact of the latest run. Baseline: plain
 * `fs.readdirSync` of the flow folder + `readFileSync`/`JSON.parse` of the 1,000 `status.json` files.
 *
 * @module
 */
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { readRunId } from './lib/done-records.mjs';
import { medianMs } from './lib/measure.mjs';

/** The benchmark's name (`npm run bench -- client`). */
export const name = 'client';

/** Where it comes in a full run. */
export const order = 40;

/** One line on what it measures. */
export const description =
  'client API over 1,000 runs: list, latestRun(), one artifact vs. readdir + 1,000 JSON reads';

const FLOW = 'examples/hello-flow.ts';
const FLOW_NAME = 'HelloFlow';
const RUNS = 1000;
/** Calls timed by `timeMs` (their median is reported). */
const TIMES = 5;

/**
 * Write the runs, then time the client against the fs baseline (medians of 5 after a warm-up).
 *
 * @example
 * ```js
 * const rows = await run(ctx);
 * ```
 */
export async function run(ctx) {
  const timeMs = (fn) => medianMs(TIMES, fn);
  ctx.checkCli();
  const dist = (file) => import(pathToFileURL(path.join(ctx.root, 'dist', file)).href);
  const { Flow } = await dist('index.js');
  const { FlowDatastore, LocalStorage } = await dist('datastore/index.js');

  const root = ctx.tempDir();
  const runIdFile = path.join(ctx.tempDir(), 'run-id');
  const { stdout } = await ctx.runCli(['run', FLOW, '--datastore-root', root, '--run-id-file', runIdFile]);
  const realId = readRunId(runIdFile, stdout, FLOW_NAME);
  const fds = new FlowDatastore(new LocalStorage(root), FLOW_NAME);
  const real = await fds.readRun(realId);
  const writeStarted = performance.now();
  await writeRuns(fds, real);
  ctx.log(
    `wrote ${RUNS} run records (${fs.statSync(path.join(root, FLOW_NAME, '1000000000000000', '_meta', 'run.json')).size} B each) ` +
      `in ${(performance.now() - writeStarted).toFixed(0)} ms`,
  );

  const options = { datastore: { kind: 'local', root }, namespace: null };
  const listed = await new Flow(FLOW_NAME, options).runs(); // warm-up, and a check
  if (listed.length !== RUNS + 1 || listed[0].id !== realId) {
    throw new Error(
      `the client listed ${listed.length} runs, newest ${listed[0]?.id}; expected ${RUNS + 1}, ${realId}`,
    );
  }
  const list = await timeMs(() => new Flow(FLOW_NAME, options).runs());
  const latest = await timeMs(() => new Flow(FLOW_NAME, options).latestRun());
  const latestRun = await new Flow(FLOW_NAME, options).latestRun();
  const artifact = await timeMs(async () => {
    const end = await latestRun.endTask();
    const total = await (await end.artifact('total')).value();
    if (total !== 14) throw new Error(`the latest run's end task has total=${total}, expected 14`);
  });
  const baseline = await timeMs(async () => fsBaseline(path.join(root, FLOW_NAME)));
  const base = { label: `readdir + ${RUNS} × readFileSync(status.json)`, value: baseline };
  return [
    {
      metric: `list ${RUNS + 1} runs`,
      value: list,
      unit: 'ms',
      baseline: base,
      target: { max: 1000 },
      lowerIsBetter: true,
    },
    {
      metric: 'latestRun()',
      value: latest,
      unit: 'ms',
      baseline: base,
      target: { max: 100 },
      lowerIsBetter: true,
    },
    {
      metric: 'one artifact of latest run',
      value: artifact,
      unit: 'ms',
      baseline: base,
      target: { max: 100 },
      lowerIsBetter: true,
    },
  ];
}

/** 1,000 older runs (ids below any real one) with the real run's record, graph included, and a status. */
async function writeRuns(fds, real) {
  const ids = Array.from({ length: RUNS }, (_, i) => String(1_000_000_000_000_000 + i));
  let next = 0;
  const worker = async () => {
    while (next < ids.length) {
      const runId = ids[next++];
      const startedAt = new Date(Number(runId) / 1000).toISOString();
      await fds.writeRun({ ...real, runId, startedAt });
      await fds.writeRunStatus(runId, { status: 'successful', endedAt: startedAt });
    }
  };
  await Promise.all(Array.from({ length: 16 }, worker));
}

/** The same listing with plain fs: every run folder, and each one's status record parsed. */
function fsBaseline(flowDir) {
  let n = 0;
  for (const id of fs.readdirSync(flowDir)) {
    if (id === 'data') continue;
    const file = path.join(flowDir, id, '_meta', 'status.json');
    if (fs.existsSync(file)) n += JSON.parse(fs.readFileSync(file, 'utf8')).status ? 1 : 0;
  }
  return n;
}
