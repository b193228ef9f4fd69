/**
 * Runs bench/flows/wide-flow.ts at a given width in this process, its `work` step through the no-op task
 * stand-in ({@link NoopLauncher}, remote), its join as a real local task, then reads the step back with the
 * client and resumes the run (every task cloned), and returns the figures: used by test/e2e/wide.test.ts
 * and, as a script (`node --import tsx test/support/wide-run.ts '<json options>'`, printing JSON), by
 * bench/wide.bench.mjs.
 *
 * @module
 */
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Flow, namespace, setDatastore } from '../../src/client/index.js';
import { openStorage } from '../../src/datastore/backends.js';
import { FlowDatastore } from '../../src/datastore/flow-datastore.js';
import { registerStepDecorator } from '../../src/decorators/registry.js';
import '../../src/plugins/index.js';
import { loadFlow } from '../../src/runtime/load-flow.js';
import type { Reporter } from '../../src/runtime/reporter.js';
import { prepareRun } from '../../src/runtime/start-run.js';
import { NoopLauncher } from './noop-task.js';

/**
 * The flow the driver runs (absolute path).
 *
 * @example
 * ```ts
 * const flow = await loadFlow(WIDE_FLOW_FILE);
 * ```
 */
export const WIDE_FLOW_FILE = fileURLToPath(new URL('../../bench/flows/wide-flow.ts', import.meta.url));

/**
 * Options of {@link runWide}.
 *
 * @example
 * ```ts
 * const options: WideOptions = { width: 10_000, storage: { kind: 'local', root: '/tmp/ds' } };
 * ```
 */
export interface WideOptions {
  readonly width: number;
  /** The datastore (`{ kind: 's3', root: 's3://bucket/runs' }` reads METAFLOW_S3_ENDPOINT_URL). */
  readonly storage: { readonly kind: string; readonly root: string };
  /** No-op tasks run at once (default 64). */
  readonly concurrency?: number;
  /** Also resume the run (default true). */
  readonly resume?: boolean;
  /** Also list the step through the client (default true). */
  readonly list?: boolean;
}

/**
 * What {@link runWide} measured (milliseconds unless said).
 *
 * @example
 * ```ts
 * const { runId, joinReadMs } = await runWide({ width: 1000, storage });
 * ```
 */
export interface WideFigures {
  readonly runId: string;
  readonly status: string;
  readonly tasks: number;
  /** `start` finished → the join started (the no-op tasks' run plus the scheduler's work). */
  readonly splitToJoinMs: number;
  /** The last `work` task finished → the join started (the scheduler alone). */
  readonly lastToJoinMs: number;
  /** The join's own figure: reading `item` of every input (inside the step). */
  readonly joinReadMs: number;
  /** The join task, start to finish (reading its inputs' records included). */
  readonly joinTaskMs: number;
  readonly joinCount: number;
  readonly joinInOrder: boolean;
  /** Whole run. */
  readonly runMs: number;
  /** Client: `step.tasks()` of `work`, and `step.taskStates()` (unless `list: false`). */
  readonly listTasksMs?: number;
  readonly taskStatesMs?: number;
  readonly listed?: number;
  /** Resume of the run: its time, tasks cloned. */
  readonly resumeMs?: number;
  readonly resumeCloned?: number;
  readonly resumeStatus?: string;
  /** Peak RSS of this process (the runtime, the in-process no-op tasks, the client), in MiB. */
  readonly peakRssMiB: number;
}

/**
 * Runs the wide flow and measures it; see the module.
 *
 * @example
 * ```ts
 * const figures = await runWide({ width: 10_000, storage: { kind: 'local', root } });
 * figures.joinCount; // 10000
 * ```
 */
export async function runWide(options: WideOptions): Promise<WideFigures> {
  const flow = await loadFlow(WIDE_FLOW_FILE);
  const storage = await openStorage(options.storage);
  const launcher = new NoopLauncher({
    graph: flow.graph,
    storage,
    remote: true,
    concurrency: options.concurrency ?? 64,
    inputName: 'item',
  });
  // Replaces the flow's own `noopStandIn` (registered when its bundle was imported) with one that launches.
  registerStepDecorator({
    name: 'noopStandIn',
    optionNames: [],
    parseOptions: () => ({}),
    launcher: () => launcher,
  });
  const at: Record<string, number> = {};
  const failures: string[] = [];
  const reporter: Reporter = {
    taskStarted: (e) => {
      if (e.pathspec.includes('/join/')) at.joinStarted = performance.now();
    },
    taskFinished: (e) => {
      if (!e.ok) failures.push(`${e.pathspec}: ${e.reason ?? e.error?.message}`);
      if (e.pathspec.includes('/start/')) at.startFinished = performance.now();
      if (e.pathspec.includes('/work/')) at.lastWork = performance.now();
      if (e.pathspec.includes('/join/')) at.joinFinished = performance.now();
    },
    notice: (m) => failures.push(m),
  };
  const t0 = performance.now();
  const run = await prepareRun({
    flow,
    storage,
    parameters: { width: options.width },
    maxNumSplits: options.width,
    reporter,
  });
  const summary = await run.start();
  const runMs = performance.now() - t0;
  if (summary.status !== 'successful') {
    throw new Error(`the wide run ${run.runId} ended ${summary.status}: ${failures.slice(0, 5).join('; ')}`);
  }
  const fds = new FlowDatastore(storage, flow.graph.flowName);
  const [joinId] = await fds.listTasks(run.runId, 'join');
  const joinRefs = (await fds.task(run.runId, 'join', joinId).readData(0)) ?? {};
  const joined = await fds.loadArtifacts({
    readMs: joinRefs.readMs,
    count: joinRefs.count,
    inOrder: joinRefs.inOrder,
  });

  let listing: Pick<WideFigures, 'listTasksMs' | 'taskStatesMs' | 'listed'> = {};
  let t = performance.now();
  if (options.list !== false) {
    setDatastore(options.storage);
    namespace(null);
    const step = await (await new Flow(flow.graph.flowName).run(run.runId)).step('work');
    const listed = (await step.tasks()).length;
    const listTasksMs = performance.now() - t;
    t = performance.now();
    await step.taskStates();
    listing = { listed, listTasksMs, taskStatesMs: performance.now() - t };
  }

  let resumed: Pick<WideFigures, 'resumeMs' | 'resumeCloned' | 'resumeStatus'> = {};
  if (options.resume !== false) {
    t = performance.now();
    const again = await prepareRun({
      flow,
      storage,
      parameters: {},
      maxNumSplits: options.width,
      resume: { originRunId: run.runId },
    });
    const end = await again.start();
    resumed = { resumeMs: performance.now() - t, resumeCloned: end.tasksCloned, resumeStatus: end.status };
  }
  return {
    runId: run.runId,
    status: summary.status,
    tasks: summary.tasksSucceeded,
    splitToJoinMs: at.joinStarted - at.startFinished,
    lastToJoinMs: at.joinStarted - at.lastWork,
    joinReadMs: joined.readMs as number,
    joinTaskMs: at.joinFinished - at.joinStarted,
    joinCount: joined.count as number,
    joinInOrder: joined.inOrder as boolean,
    runMs,
    ...listing,
    ...resumed,
    peakRssMiB: process.resourceUsage().maxRSS / 1024,
  };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const options = JSON.parse(process.argv[2] ?? '{}') as WideOptions;
  runWide(options).then(
    (figures) => {
      process.stdout.write(`${JSON.stringify(figures)}\n`);
      process.exit(0);
    },
    (err: unknown) => {
      process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
      process.exit(1);
    },
  );
}
