/**
 * ui: the JSON behind the pages of `stepflow ui` (built, from dist/; hono's `app.request()`, no socket)
 * over a local datastore holding 1,000 run records and one run whose foreach step has 10,000 finished
 * tasks, all written through `FlowDatastore`: the runs page of the flow, the step page (first 100 of
 * 10,000 tasks, with the state counts of all) and the run page of the wide run — each as a first view
 * (a server that has read nothing), rebuilt by a server that kept what it read of finished attempts, and
 * as an unchanged live poll (`If-None-Match` → 304); then the unchanged poll of a second run with 1,000
 * running attempts each holding a `batch` side record (100 of them checked by conditional reads a poll,
 * round-robin). Baselines: plain fs
 * reading the same records (`readdir` + `readFileSync`/`JSON.parse` of 1,000 `status.json`, and of the
 * 10,000 `0.done.json`).
 *
 * @module
 */
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { medianMs } from './lib/measure.mjs';

/** The benchmark's name (`npm run bench -- ui`). */
export const name = 'ui';

/** Where it comes in a full run. */
export const order = 45;

/** One line on what it measures. */
export const description =
  'stepflow ui API: runs page of 1,000 runs, step and run pages of a 10,000-task step';

const FLOW = 'UiBenchFlow';
const RUNS = 1000;
const TASKS = 10_000;
const WIDE_RUN = '2000000000000000';
/** A run (written last, after the runs page was measured) with RUNNING tasks still running. */
const LIVE_RUN = '2000000000000001';
const RUNNING = 1000;
/** Calls timed by `timeMs` (their median is reported). */
const TIMES = 3;

/**
 * Write the records, then time the three pages against the fs baselines (medians of 3 after a warm-up).
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
  const { FlowDatastore, LocalStorage } = await dist('datastore/index.js');
  const { createUiApp, ReadModel } = await dist('ui/index.js');
  const { Flow } = await dist('client/index.js');

  const root = ctx.tempDir();
  const fds = new FlowDatastore(new LocalStorage(root), FLOW);
  const writeStarted = performance.now();
  await writeRecords(fds);
  ctx.log(`wrote ${RUNS + 1} runs and ${TASKS} tasks in ${(performance.now() - writeStarted).toFixed(0)} ms`);

  const newApp = () =>
    createUiApp({ model: new ReadModel({ datastore: root }), assets: { script: '', style: '' } });
  let app = newApp();
  const get = async (url, check, etag) => {
    const res = await app.request(url, { headers: etag ? { 'If-None-Match': etag } : {} });
    if (etag && res.status === 304) return etag;
    if (res.status !== 200) throw new Error(`${url}: HTTP ${res.status} ${await res.text()}`);
    check(await res.json());
    return res.headers.get('etag') ?? undefined;
  };
  const runsPage = () =>
    get(`/api/runs/${FLOW}`, (b) => {
      if (b.runs.length !== RUNS + 1) throw new Error(`the runs page lists ${b.runs.length} runs`);
    });
  const stepPage = (etag) =>
    get(
      `/api/step/${FLOW}/${WIDE_RUN}/work`,
      (b) => {
        if (b.total !== TASKS || b.tasks.length !== 100)
          throw new Error(`step page: ${b.total}, ${b.tasks.length}`);
      },
      etag,
    );
  const runPage = (etag) =>
    get(
      `/api/run/${FLOW}/${WIDE_RUN}`,
      (b) => {
        if (b.steps.find((s) => s.name === 'work')?.tasks !== TASKS) throw new Error('run page: wrong width');
      },
      etag,
    );
  await Promise.all([runsPage(), stepPage(), runPage()]); // warm-up (the page cache), and a check
  const runs = await timeMs(runsPage);
  // First view: a server that has read nothing yet (a new app each time).
  const cold = (page) =>
    timeMs(async () => {
      app = newApp();
      await page();
    });
  const stepCold = await cold(stepPage);
  const runCold = await cold(runPage);
  // A page open in a browser: the server has kept what it read of finished attempts.
  app = newApp();
  const stepTag = await stepPage();
  const runTag = await runPage();
  const stepRebuilt = await timeMs(() => stepPage());
  const runRebuilt = await timeMs(() => runPage());
  const stepPoll = await timeMs(() => stepPage(stepTag));
  const runPoll = await timeMs(() => runPage(runTag));
  // Before: what the first version of the pages read (the client's task states of a step, then the full
  // records of the tasks shown: 100 on the step page, the timeline's 2,000 on the run page), no cache.
  const wideRun = () => new Flow(FLOW, { datastore: root, namespace: null }).run(WIDE_RUN);
  const stepBefore = await timeMs(async () => {
    const step = await (await wideRun()).step('work');
    const rows = await step.taskStates();
    await step.tasksOf(rows.slice(0, 100).map((r) => r.id));
  });
  const runBefore = await timeMs(async () => {
    let room = 2000;
    for (const step of await (await wideRun()).steps()) {
      const rows = await step.taskStates();
      await step.tasksOf(rows.slice(0, room).map((r) => r.id));
      room = Math.max(0, room - rows.length);
    }
  });
  // A running run: its poll checks 100 of its 1,000 side records (conditional reads) besides the listings.
  await writeRunning(fds);
  const livePage = (etag) =>
    get(
      `/api/run/${FLOW}/${LIVE_RUN}`,
      (b) => {
        if (b.steps.find((s) => s.name === 'work')?.tasks !== RUNNING)
          throw new Error('live run: wrong width');
      },
      etag,
    );
  const liveTag = await livePage();
  const livePoll = await timeMs(async () => {
    if ((await livePage(liveTag)) !== liveTag) throw new Error('live run: the unchanged poll was not a 304');
  });
  const runsBase = await timeMs(async () =>
    readAll(path.join(root, FLOW), (id) => path.join(id, '_meta', 'status.json')),
  );
  const tasksBase = await timeMs(async () =>
    readAll(path.join(root, FLOW, WIDE_RUN, 'work'), (id) => path.join(id, '0.done.json')),
  );
  const runsBaseline = { label: `readdir + ${RUNS} × readFileSync(status.json)`, value: runsBase };
  const tasksBaseline = { label: `readdir + ${TASKS} × readFileSync(0.done.json)`, value: tasksBase };
  const row = (metric, value, target) => ({
    metric,
    value,
    unit: 'ms',
    baseline: metric.startsWith('runs') ? runsBaseline : tasksBaseline,
    ...(target ? { target: { max: target } } : {}),
    lowerIsBetter: true,
  });
  return [
    row(`runs page, ${RUNS + 1} runs`, runs, 1000),
    row(`step page, ${TASKS} tasks, before (taskStates + tasksOf)`, stepBefore, 2000),
    row(`step page, ${TASKS} tasks, first view`, stepCold, 2000),
    row(`step page, ${TASKS} tasks, rebuilt (server kept finished)`, stepRebuilt),
    row(`step page, ${TASKS} tasks, unchanged poll (304)`, stepPoll),
    row(`run page, a ${TASKS}-task step, before (taskStates + tasksOf)`, runBefore),
    row(`run page, a ${TASKS}-task step, first view`, runCold),
    row(`run page, a ${TASKS}-task step, rebuilt (server kept finished)`, runRebuilt),
    row(`run page, a ${TASKS}-task step, unchanged poll (304)`, runPoll),
    row(`run page, ${RUNNING} running @batch attempts, unchanged poll (304)`, livePoll),
  ];
}

/** 1,000 finished runs, then one run (the newest) with start → work (10,000 tasks) → end. */
async function writeRecords(fds) {
  const steps = {
    start: { name: 'start', kind: 'foreach', next: ['work'], foreach: 'items', decorators: [] },
    work: { name: 'work', kind: 'linear', next: ['end'], decorators: [] },
    end: { name: 'end', kind: 'end', next: [], decorators: [] },
  };
  const graph = { flowName: FLOW, file: 'f.ts', line: 1, steps, order: Object.keys(steps), parameters: [] };
  const record = (runId) => ({
    flowName: FLOW,
    runId,
    user: 'bench',
    tags: ['user:bench'],
    startedAt: new Date(Number(runId) / 1000).toISOString(),
    graph,
    parameters: {},
  });
  const ids = Array.from({ length: RUNS }, (_, i) => String(1_000_000_000_000_000 + i));
  await pool(ids, async (runId) => {
    await fds.writeRun(record(runId));
    await fds.writeRunStatus(runId, { status: 'successful', endedAt: new Date().toISOString() });
  });
  await fds.writeRun(record(WIDE_RUN));
  const at = new Date().toISOString();
  const tasks = Array.from({ length: TASKS }, (_, i) => i);
  await pool(tasks, async (i) => {
    const td = fds.task(WIDE_RUN, 'work', String(i + 2));
    const foreachStack = [{ step: 'start', taskId: '1', field: 'items', index: i, count: TASKS }];
    await td.writeAttemptStart({ attempt: 0, startedAt: at, inputs: ['start/1'], foreachStack });
    await td.writeData(0, {});
    await td.writeDone(0, { attempt: 0, ok: true, endedAt: at });
  });
}

/** A run whose `work` step has RUNNING tasks started, not done, each with a `batch` side record. */
async function writeRunning(fds) {
  const steps = {
    start: { name: 'start', kind: 'foreach', next: ['work'], foreach: 'items', decorators: [] },
    work: { name: 'work', kind: 'linear', next: ['end'], decorators: [] },
    end: { name: 'end', kind: 'end', next: [], decorators: [] },
  };
  const graph = { flowName: FLOW, file: 'f.ts', line: 1, steps, order: Object.keys(steps), parameters: [] };
  const at = new Date().toISOString();
  await fds.writeRun({
    flowName: FLOW,
    runId: LIVE_RUN,
    user: 'bench',
    tags: [],
    startedAt: at,
    graph,
    parameters: {},
  });
  await pool(
    Array.from({ length: RUNNING }, (_, i) => i),
    async (i) => {
      const td = fds.task(LIVE_RUN, 'work', String(i + 2));
      await td.writeAttemptStart({ attempt: 0, startedAt: at, inputs: ['start/1'], foreachStack: [] });
      const batch = { jobId: `job-${i}`, status: 'RUNNING' };
      await fds.storage.put(`${td.attemptPrefix(0)}batch.json`, Buffer.from(JSON.stringify(batch)));
    },
  );
}

async function pool(items, fn) {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await fn(items[next++]);
  };
  await Promise.all(Array.from({ length: 16 }, worker));
}

/** Every entry of `dir` with a record at `file(entry)`, parsed with sync fs. */
function readAll(dir, file) {
  let n = 0;
  for (const id of fs.readdirSync(dir)) {
    const f = path.join(dir, file(id));
    if (fs.existsSync(f)) n += JSON.parse(fs.readFileSync(f, 'utf8')) ? 1 : 0;
  }
  return n;
}
