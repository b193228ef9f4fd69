/**
 * What each page shows, read through the client API: flows, runs, a run (graph, states, timeline,
 * parameters, failure), a step's tasks a page at a time, and a task (attempts, artifacts, logs).
 *
 * @module
 */
import {
  type ClientOptions,
  Flow,
  getDatastore,
  type Run,
  type Task,
  toTaggedJson,
} from '../client/index.js';
import { mapBounded } from '../common/limit.js';
import { datastoreSpecForRoot } from '../config/index.js';
import {
  type LogStream,
  META_DIR,
  openStorage,
  runPrefix,
  type StorageBackend,
  taskPrefix,
} from '../datastore/index.js';
import {
  type AttemptDetail,
  type FlowsResponse,
  type LogChunk,
  type RunResponse,
  type RunsResponse,
  type StepResponse,
  TASK_PAGE_SIZE,
  type TaskResponse,
  type TimelineBar,
  type UiJson,
  type UiState,
} from './api-types.js';
import { type LogCursor, readLogChunk } from './log-tail.js';
import {
  groupKeys,
  listKeys,
  RecordCache,
  type StepScan,
  scanRun,
  scanStep,
  signatureOf,
} from './run-scan.js';
import { arrayChildOf, logConsoleOf } from './side-records.js';
import { SideRecordWatch, unfinishedSideKeys } from './side-watch.js';
import {
  artifactDetail,
  attemptDetail,
  checkNames,
  countStates,
  matches,
  type RunFilter,
  runSummary,
  stepSummaries,
} from './summaries.js';
import { StepReader, uiState } from './task-records.js';

/** Most bars on a run's timeline. */
const TIMELINE_MAX = 2000;
/** Most failed tasks a run page explains. */
const FAILED_MAX = 20;

/**
 * A live page's answer in two parts: a cheap `version` (from listings: it changes when a record
 * appears or a run ends), compared with the page's ETag first, and `build()`, run only when it differs.
 *
 * @example
 * ```ts
 * const page = await model.runPage('MyFlow', '17');
 * if (page.version !== etag) send(await page.build());
 * ```
 */
export interface LivePage<T> {
  readonly version: string;
  build(): Promise<T>;
}

/**
 * How the model reads.
 *
 * @example
 * ```ts
 * const model = new ReadModel({ datastore: 's3://bucket/runs' }, { region: 'eu-west-1' });
 * ```
 */
export interface ReadModelOptions {
  /** The region for console links of records that do not name theirs. */
  readonly region?: string;
}

/**
 * Reads the pages' data from one datastore (every namespace). Keeps what it read of finished attempts
 * (their records never change), so a live page's refresh reads only new records.
 *
 * @example
 * ```ts
 * const model = new ReadModel({ namespace: null, datastore: '/tmp/ds' });
 * const { flows } = await model.flows();
 * ```
 */
export class ReadModel {
  private readonly given: ClientOptions;
  private opened: Promise<StorageBackend> | undefined;
  private readonly cache = new RecordCache();
  private readonly watch = new SideRecordWatch();
  private readonly region: string | undefined;

  constructor(options: ClientOptions, settings: ReadModelOptions = {}) {
    this.given = options;
    this.region = settings.region;
  }

  /** Every flow with a folder in the datastore. */
  async flows(): Promise<FlowsResponse> {
    const flows = await Flow.list(await this.client());
    return { flows: flows.map((f) => ({ name: f.name })) };
  }

  /** The runs of a flow, newest first, filtered. */
  async runs(flowName: string, filter: RunFilter = {}): Promise<RunsResponse> {
    const runs = await new Flow(flowName, await this.client()).runs();
    const rows = runs.map(runSummary).filter((r) => matches(r, filter));
    return { flow: flowName, runs: rows, total: runs.length };
  }

  /**
   * A run: its graph with states, parameters, failure and timeline. Version: one listing of the run and
   * up to 100 conditional reads of the side records of its unfinished attempts (a spot reclaim).
   */
  async runPage(flowName: string, runId: string): Promise<LivePage<RunResponse>> {
    checkNames({ 'flow name': flowName, 'run id': runId });
    const storage = await this.storage();
    const prefix = runPrefix(flowName, runId);
    const { steps, signature } = await scanRun(storage, this.cache, prefix);
    const side = [...steps.values()].flatMap(unfinishedSideKeys);
    const rewritten = await this.watch.check(storage, prefix, side);
    return {
      version: signatureOf([signature, rewritten]),
      build: () => this.buildRun(flowName, runId, steps),
    };
  }

  /** A run's page (version and build at once). */
  async run(flowName: string, runId: string): Promise<RunResponse> {
    return await (await this.runPage(flowName, runId)).build();
  }

  private async buildRun(
    flowName: string,
    runId: string,
    scans: Map<string, StepScan>,
  ): Promise<RunResponse> {
    const run = await new Flow(flowName, await this.client()).run(runId);
    const summary = runSummary(run);
    const storage = await this.storage();
    const order = [...(run.graph?.order ?? [])];
    for (const name of scans.keys()) if (!order.includes(name)) order.push(name);
    const states = new Map<string, UiState[]>();
    const failed: Task[] = [];
    const timeline: TimelineBar[] = [];
    let shown = 0;
    for (const name of order) {
      const scan = scans.get(name);
      if (!scan) continue;
      const reader = new StepReader(storage, this.cache, flowName, runId, name, scan, this.watch);
      const rows = await reader.states(summary.status);
      states.set(
        name,
        rows.map((r) => r.state),
      );
      const bad = rows.filter((r) => r.state === 'failed' || r.state === 'killed').map((r) => r.id);
      if (failed.length < FAILED_MAX) {
        const step = await run.step(name);
        failed.push(...(await step.tasksOf(bad.slice(0, FAILED_MAX - failed.length))));
      }
      const room = TIMELINE_MAX - shown;
      if (room > 0) {
        const ids = scan.ids.slice(0, room);
        shown += ids.length;
        timeline.push(...(await reader.bars(ids, summary.status)));
      }
    }
    timeline.sort((a, b) => (a.startedAt ?? '~').localeCompare(b.startedAt ?? '~'));
    const total = [...states.values()].reduce((n, s) => n + s.length, 0);
    const failure =
      summary.status === 'failed' || failed.length > 0
        ? {
            tasks: run.failedTasks.length > 0 ? run.failedTasks : failed.map((t) => t.pathspec),
            errors: failed.map((t) => ({
              task: `${t.stepName}/${t.id}`,
              type: t.exception?.type ?? 'Error',
              message: t.exception?.message ?? '',
            })),
          }
        : undefined;
    return {
      flow: flowName,
      run: summary,
      steps: stepSummaries(run, states),
      parameters: await this.parametersOf(run),
      ...(failure ? { failure } : {}),
      timeline: timeline.slice(0, TIMELINE_MAX),
      timelineOmitted: Math.max(0, total - shown) + Math.max(0, timeline.length - TIMELINE_MAX),
    };
  }

  /**
   * One page of a step's tasks, optionally only those in `state`. Version: one listing of the step and
   * of the run's records (its status), and up to 100 conditional reads of the side records of the step's
   * unfinished attempts.
   */
  async stepPage(
    flowName: string,
    runId: string,
    stepName: string,
    page = 0,
    state?: string,
  ): Promise<LivePage<StepResponse>> {
    checkNames({ 'flow name': flowName, 'run id': runId, 'step name': stepName });
    const storage = await this.storage();
    const prefix = runPrefix(flowName, runId);
    const [{ scan, signature }, meta] = await Promise.all([
      scanStep(storage, this.cache, prefix, stepName),
      listKeys(storage, `${prefix}${META_DIR}/`),
    ]);
    const rewritten = await this.watch.check(storage, `${prefix}${stepName}/`, unfinishedSideKeys(scan));
    const version = signatureOf([signature, meta.signature, rewritten, String(page), state ?? '']);
    return { version, build: () => this.buildStep(flowName, runId, stepName, scan, page, state) };
  }

  /** A step's page (version and build at once). */
  async step(flowName: string, runId: string, stepName: string, page = 0, state?: string) {
    return await (await this.stepPage(flowName, runId, stepName, page, state)).build();
  }

  private async buildStep(
    flowName: string,
    runId: string,
    stepName: string,
    scan: StepScan,
    page: number,
    state: string | undefined,
  ): Promise<StepResponse> {
    const run = await new Flow(flowName, await this.client()).run(runId);
    await run.step(stepName); // a NotFoundError naming the steps when there is no such step
    const storage = await this.storage();
    const reader = new StepReader(storage, this.cache, flowName, runId, stepName, scan, this.watch);
    const rows = await reader.states(run.status);
    const matching = state ? rows.filter((r) => r.state === state) : rows;
    const first = Math.max(0, page) * TASK_PAGE_SIZE;
    const ids = matching.slice(first, first + TASK_PAGE_SIZE).map((r) => r.id);
    return {
      flow: flowName,
      runId,
      step: stepName,
      tasks: await reader.rows(ids, run.status),
      total: rows.length,
      matching: matching.length,
      page: Math.max(0, page),
      pageSize: TASK_PAGE_SIZE,
      counts: countStates(rows.map((r) => r.state)),
    };
  }

  /**
   * A task: attempts, artifacts with previews (its logs: {@link ReadModel.log}). Version: the task's
   * records, the run's records, and the side records of unfinished attempts (a job's status changes).
   */
  async taskPage(
    flowName: string,
    runId: string,
    stepName: string,
    taskId: string,
  ): Promise<LivePage<TaskResponse>> {
    checkNames({ 'flow name': flowName, 'run id': runId, 'step name': stepName, 'task id': taskId });
    const storage = await this.storage();
    const prefix = taskPrefix(flowName, runId, stepName, taskId);
    const [own, meta] = await Promise.all([
      listKeys(storage, prefix, (k) => !k.endsWith('.log')),
      listKeys(storage, `${runPrefix(flowName, runId)}${META_DIR}/`),
    ]);
    const files = groupKeys(own.keys, runPrefix(flowName, runId)).get(stepName)?.tasks.get(taskId);
    const live = files ? unfinishedSideKeys({ ids: [taskId], tasks: new Map([[taskId, files]]) }) : [];
    return {
      version: signatureOf([own.signature, meta.signature, await this.watch.tagsOf(storage, live)]),
      build: () => this.buildTask(flowName, runId, stepName, taskId),
    };
  }

  /** A task's page (version and build at once). */
  async task(flowName: string, runId: string, stepName: string, taskId: string): Promise<TaskResponse> {
    return await (await this.taskPage(flowName, runId, stepName, taskId)).build();
  }

  private async buildTask(
    flowName: string,
    runId: string,
    stepName: string,
    taskId: string,
  ): Promise<TaskResponse> {
    const { run, task } = await this.loadTask(flowName, runId, stepName, taskId);
    const attempts = await task.attempts();
    const records = await mapBounded(attempts, 8, (a) => task.attemptRecords(a.attempt));
    const artifacts = await mapBounded(await task.artifacts(), 8, artifactDetail);
    return {
      flow: flowName,
      runId,
      step: stepName,
      id: taskId,
      state: uiState(task.exitStatus, run.status),
      attempts: attempts.map((a, i) => this.withRecords(attemptDetail(a, run.status), records[i] ?? {})),
      artifacts,
      ...(task.artifactsAttempt === undefined ? {} : { artifactsAttempt: task.artifactsAttempt }),
      ...(task.attemptNumbers.length > 0 ? { logAttempt: task.currentAttempt } : {}),
    };
  }

  /** The log of a task's attempt after `cursor` (its tail without one). */
  async log(
    flowName: string,
    runId: string,
    stepName: string,
    taskId: string,
    attempt: number,
    stream: LogStream,
    cursor: LogCursor | undefined,
  ): Promise<LogChunk> {
    await this.loadTask(flowName, runId, stepName, taskId); // NotFoundError for a task that is not there
    return await readLogChunk(
      await this.storage(),
      { flow: flowName, runId, step: stepName, taskId, attempt, stream },
      cursor,
    );
  }

  /** The value of one artifact of a task (for download). */
  async artifactValue(flowName: string, runId: string, stepName: string, taskId: string, name: string) {
    const { task } = await this.loadTask(flowName, runId, stepName, taskId);
    return await (await task.artifact(name)).value();
  }

  private async loadTask(flowName: string, runId: string, stepName: string, taskId: string) {
    const run = await new Flow(flowName, await this.client()).run(runId);
    const task = await (await run.step(stepName)).task(taskId);
    return { run, task };
  }

  private withRecords(detail: AttemptDetail, records: Record<string, unknown>): AttemptDetail {
    if (Object.keys(records).length === 0) return detail;
    const link = logConsoleOf(records, this.region);
    const child = arrayChildOf(records);
    return {
      ...detail,
      records: toTaggedJson(records) as Record<string, UiJson>,
      ...(link ? { logConsole: link } : {}),
      ...(child ? { arrayChild: child } : {}),
    };
  }

  /** A run's parameters (they never change: read once per run). */
  private async parametersOf(run: Run): Promise<Record<string, UiJson>> {
    const key = `${runPrefix(run.flowName, run.id)}parameters`;
    const kept = this.cache.get<Record<string, UiJson>>(key);
    if (kept) return kept;
    const out: Record<string, UiJson> = {};
    for (const [name, value] of Object.entries(await run.parameters())) out[name] = toTaggedJson(value);
    this.cache.keep(key, out);
    return out;
  }

  /** The backend, opened once; the client reads through it too. */
  private storage(): Promise<StorageBackend> {
    if (!this.opened) {
      const ds = this.given.datastore;
      this.opened =
        ds !== undefined && typeof ds !== 'string' && 'list' in ds
          ? Promise.resolve(ds)
          : openStorage(
              ds === undefined ? getDatastore() : typeof ds === 'string' ? datastoreSpecForRoot(ds) : ds,
            );
      this.opened.catch(() => {
        this.opened = undefined;
      });
    }
    return this.opened;
  }

  private async client(): Promise<ClientOptions> {
    return { datastore: await this.storage(), namespace: null };
  }
}
