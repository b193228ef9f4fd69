/**
 * What each page shows, read through the client API: flows, runs, a run (graph, states, timeline,
 * parameters, failure), a step's tasks a page at a time, and a task (attempts, artifacts, logs).
 *
 * @module
 */
import {
  type AttemptInfo,
  type AttemptStatus,
  type ClientOptions,
  type DataArtifact,
  Flow,
  type Run,
  type Task,
  toTaggedJson,
} from '../client/index.js';
import { mapBounded } from '../common/limit.js';
import {
  type ArtifactDetail,
  type AttemptDetail,
  type FlowsResponse,
  type RunResponse,
  type RunSummary,
  type RunsResponse,
  type StepResponse,
  type StepSummary,
  TASK_PAGE_SIZE,
  type TaskResponse,
  type TaskSummary,
  type TimelineBar,
  type UiJson,
  type UiState,
} from './api-types.js';

/** Reads in flight at once. */
const CONCURRENCY = 32;
/** Artifacts larger than this (serialized bytes) are not loaded for a preview. */
export const PREVIEW_MAX_BYTES = 1 << 20;
/** A preview whose JSON is longer than this is replaced by a note. */
const PREVIEW_MAX_CHARS = 64 * 1024;
/** The last bytes of a log the task page shows. */
export const LOG_TAIL_BYTES = 256 * 1024;
/** Most bars on a run's timeline. */
const TIMELINE_MAX = 2000;

/**
 * Filters of the runs page.
 *
 * @example
 * ```ts
 * const f: RunFilter = { status: 'failed', user: 'ana' };
 * ```
 */
export interface RunFilter {
  readonly status?: string;
  readonly tag?: string;
  readonly user?: string;
}

/**
 * Reads the pages' data from one datastore (every namespace).
 *
 * @example
 * ```ts
 * const model = new ReadModel({ namespace: null, datastore: '/tmp/ds' });
 * const { flows } = await model.flows();
 * ```
 */
export class ReadModel {
  private readonly options: ClientOptions;

  constructor(options: ClientOptions) {
    this.options = { ...options, namespace: null };
  }

  /** Every flow with a folder in the datastore. */
  async flows(): Promise<FlowsResponse> {
    const flows = await Flow.list(this.options);
    return { flows: flows.map((f) => ({ name: f.name })) };
  }

  /** The runs of a flow, newest first, filtered. */
  async runs(flowName: string, filter: RunFilter = {}): Promise<RunsResponse> {
    const runs = await new Flow(flowName, this.options).runs();
    const rows = runs.map(runSummary).filter((r) => matches(r, filter));
    return { flow: flowName, runs: rows, total: runs.length };
  }

  /** A run: its graph with states, parameters, failure and timeline. */
  async run(flowName: string, runId: string): Promise<RunResponse> {
    const run = await new Flow(flowName, this.options).run(runId);
    const summary = runSummary(run);
    const steps = await run.steps();
    const states = new Map<string, UiState[]>();
    const failedTasks: Task[] = [];
    const timelineTasks: Task[] = [];
    for (const step of steps) {
      const rows = await step.taskStates();
      states.set(
        step.name,
        rows.map((r) => uiState(r.status, summary.status)),
      );
      const failed = rows.filter((r) => r.status === 'failed' || r.status === 'killed').map((r) => r.id);
      failedTasks.push(...(await step.tasksOf(failed.slice(0, Math.max(0, 20 - failedTasks.length)))));
      const room = TIMELINE_MAX - timelineTasks.length;
      if (room > 0) timelineTasks.push(...(await step.tasksOf(rows.slice(0, room).map((r) => r.id))));
    }
    const total = [...states.values()].reduce((n, s) => n + s.length, 0);
    const timeline = await timelineOf(timelineTasks, summary.status);
    const failure =
      summary.status === 'failed' || failedTasks.length > 0
        ? {
            tasks: run.failedTasks.length > 0 ? run.failedTasks : failedTasks.map((t) => t.pathspec),
            errors: failedTasks.map((t) => ({
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
      parameters: await parametersOf(run),
      ...(failure ? { failure } : {}),
      timeline: timeline.slice(0, TIMELINE_MAX),
      timelineOmitted:
        Math.max(0, total - timelineTasks.length) + Math.max(0, timeline.length - TIMELINE_MAX),
    };
  }

  /** One page of a step's tasks, optionally only those in `state`. */
  async step(
    flowName: string,
    runId: string,
    stepName: string,
    page = 0,
    state?: string,
  ): Promise<StepResponse> {
    const run = await new Flow(flowName, this.options).run(runId);
    const step = await run.step(stepName);
    const rows = (await step.taskStates()).map((r) => ({ id: r.id, state: uiState(r.status, run.status) }));
    const matching = state ? rows.filter((r) => r.state === state) : rows;
    const first = Math.max(0, page) * TASK_PAGE_SIZE;
    const tasks = await step.tasksOf(matching.slice(first, first + TASK_PAGE_SIZE).map((r) => r.id));
    return {
      flow: flowName,
      runId,
      step: stepName,
      tasks: tasks.map((t) => taskSummary(t, run.status)),
      total: rows.length,
      matching: matching.length,
      page: Math.max(0, page),
      pageSize: TASK_PAGE_SIZE,
      counts: countStates(rows.map((r) => r.state)),
    };
  }

  /** A task: attempts, artifacts with previews, and the tail of the current attempt's logs. */
  async task(flowName: string, runId: string, stepName: string, taskId: string): Promise<TaskResponse> {
    const { run, task } = await this.loadTask(flowName, runId, stepName, taskId);
    const attempts = await task.attempts();
    const records = await mapBounded(attempts, 8, (a) => task.attemptRecords(a.attempt));
    const artifacts = await mapBounded(await task.artifacts(), 8, artifactDetail);
    const hasAttempt = task.attemptNumbers.length > 0;
    const [stdout, stderr] = hasAttempt ? await Promise.all([task.stdout(), task.stderr()]) : ['', ''];
    const truncated = stdout.length > LOG_TAIL_BYTES || stderr.length > LOG_TAIL_BYTES;
    return {
      flow: flowName,
      runId,
      step: stepName,
      id: taskId,
      state: taskState(task, run.status),
      attempts: attempts.map((a, i) => withRecords(attemptDetail(a, run.status), records[i])),
      artifacts,
      ...(task.artifactsAttempt === undefined ? {} : { artifactsAttempt: task.artifactsAttempt }),
      stdout: stdout.slice(-LOG_TAIL_BYTES),
      stderr: stderr.slice(-LOG_TAIL_BYTES),
      logTruncated: truncated,
    };
  }

  /** The value of one artifact of a task (for download). */
  async artifactValue(flowName: string, runId: string, stepName: string, taskId: string, name: string) {
    const { task } = await this.loadTask(flowName, runId, stepName, taskId);
    return await (await task.artifact(name)).value();
  }

  private async loadTask(flowName: string, runId: string, stepName: string, taskId: string) {
    const run = await new Flow(flowName, this.options).run(runId);
    const task = await (await run.step(stepName)).task(taskId);
    return { run, task };
  }
}

function runSummary(run: Run): RunSummary {
  const startedAt = run.createdAt.toISOString();
  const ended = run.finishedAt;
  return {
    id: run.id,
    status: run.status,
    user: run.user,
    tags: run.tags,
    startedAt,
    ...(ended ? { endedAt: ended.toISOString(), durationMs: ended.getTime() - run.createdAt.getTime() } : {}),
  };
}

function matches(run: RunSummary, filter: RunFilter): boolean {
  if (filter.status && run.status !== filter.status) return false;
  if (filter.user && run.user !== filter.user) return false;
  if (filter.tag && !run.tags.includes(filter.tag)) return false;
  return true;
}

/** A task's or attempt's state: unfinished ones of an ended run were stopped with it. */
function uiState(status: AttemptStatus, runStatus: UiState): UiState {
  if (status !== 'unfinished') return status;
  return runStatus === 'running' ? 'running' : 'interrupted';
}

function taskState(task: Task, runStatus: UiState): UiState {
  return uiState(task.exitStatus, runStatus);
}

function taskSummary(task: Task, runStatus: UiState): TaskSummary {
  return {
    id: task.id,
    state: taskState(task, runStatus),
    attempt: task.currentAttempt,
    ...(task.index === undefined ? {} : { index: task.index }),
    ...(task.startedAt ? { startedAt: task.startedAt.toISOString() } : {}),
    ...(task.finishedAt ? { endedAt: task.finishedAt.toISOString() } : {}),
  };
}

function countStates(states: readonly UiState[]): Partial<Record<UiState, number>> {
  const counts: Partial<Record<UiState, number>> = {};
  for (const s of states) counts[s] = (counts[s] ?? 0) + 1;
  return counts;
}

/** The step's state from its tasks' states: a failure shows first, then work in progress. */
function stepState(counts: Partial<Record<UiState, number>>, tasks: number): UiState {
  if (tasks === 0) return 'pending';
  for (const s of ['failed', 'killed', 'running', 'interrupted'] as const) if (counts[s]) return s;
  return 'successful';
}

function stepSummaries(run: Run, states: Map<string, UiState[]>): StepSummary[] {
  const graph = run.graph;
  const names = graph ? [...graph.order] : [];
  for (const name of states.keys()) if (!names.includes(name)) names.push(name);
  return names.map((name) => {
    const node = graph?.steps[name];
    const tasks = states.get(name) ?? [];
    const counts = countStates(tasks);
    return {
      name,
      kind: node?.kind ?? 'linear',
      next: node?.next ?? [],
      ...(node?.foreach ? { foreach: node.foreach } : {}),
      ...(node && node.decorators.length > 0 ? { decorators: node.decorators.map((d) => d.name) } : {}),
      state: stepState(counts, tasks.length),
      tasks: tasks.length,
      counts,
    };
  });
}

/** One bar per attempt: tasks with a single attempt need no more reads; retried ones read their attempts. */
async function timelineOf(tasks: readonly Task[], runStatus: UiState): Promise<TimelineBar[]> {
  const bars = await mapBounded(tasks, CONCURRENCY, async (task): Promise<TimelineBar[]> => {
    const name = `${task.stepName}/${task.id}`;
    if (task.currentAttempt === 0) {
      return [
        {
          task: name,
          attempt: 0,
          state: taskState(task, runStatus),
          ...(task.startedAt ? { startedAt: task.startedAt.toISOString() } : {}),
          ...(task.finishedAt ? { endedAt: task.finishedAt.toISOString() } : {}),
        },
      ];
    }
    return (await task.attempts()).map((a) => {
      const d = attemptDetail(a, runStatus);
      return { task: name, attempt: a.attempt, state: d.state, startedAt: d.startedAt, endedAt: d.endedAt };
    });
  });
  return bars.flat().sort((a, b) => (a.startedAt ?? '~').localeCompare(b.startedAt ?? '~'));
}

function attemptDetail(a: AttemptInfo, runStatus: UiState): AttemptDetail {
  const state = uiState(a.status, runStatus);
  return {
    attempt: a.attempt,
    state,
    ...(a.startedAt ? { startedAt: a.startedAt.toISOString() } : {}),
    ...(a.endedAt ? { endedAt: a.endedAt.toISOString() } : {}),
    ...(a.host ? { host: a.host } : {}),
    ...(a.error ? { error: { type: a.error.type, message: a.error.message, stack: a.error.stack } } : {}),
    ...(a.extra ? { extra: toTaggedJson(a.extra) as Record<string, UiJson> } : {}),
  };
}

function withRecords(detail: AttemptDetail, records: Record<string, unknown>): AttemptDetail {
  if (Object.keys(records).length === 0) return detail;
  return { ...detail, records: toTaggedJson(records) as Record<string, UiJson> };
}

async function parametersOf(run: Run): Promise<Record<string, UiJson>> {
  const out: Record<string, UiJson> = {};
  for (const [name, value] of Object.entries(await run.parameters())) out[name] = toTaggedJson(value);
  return out;
}

async function artifactDetail(artifact: DataArtifact): Promise<ArtifactDetail> {
  const base = { name: artifact.name, type: artifact.type, size: artifact.size };
  if (artifact.size > PREVIEW_MAX_BYTES) {
    return { ...base, previewNote: `not previewed: larger than ${PREVIEW_MAX_BYTES} bytes; download it` };
  }
  const preview = toTaggedJson(await artifact.value());
  if (JSON.stringify(preview).length > PREVIEW_MAX_CHARS) {
    return { ...base, previewNote: `not previewed: its JSON is longer than ${PREVIEW_MAX_CHARS} characters` };
  }
  return { ...base, preview };
}
