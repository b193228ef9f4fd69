/**
 * Resume: a new run that clones the tasks of an origin run that need not run again, and runs the rest.
 *
 * A task of the new run is cloned when the origin run has a successful task of the same step at the same
 * foreach position (the step name plus the split indices of its foreach stack), its step is not the
 * resume step or downstream of it, and every task it reads from was itself cloned. So after one child of a
 * foreach failed, exactly that child and what comes after it run again.
 *
 * @module
 */

import { didYouMean } from '../common/did-you-mean.js';
import { mapBounded } from '../common/index.js';
import type { ArtifactRef, FlowDatastore, ForeachFrame, Transition } from '../datastore/index.js';
import type { FlowGraph } from '../graph/index.js';
import { RuntimeError } from './errors.js';

/** An origin task that may be cloned. */
interface OriginTask {
  readonly taskId: string;
  readonly attempt: number;
  readonly transition?: Transition;
}

/** What the scheduler asks before launching a task. */
export interface CloneRequest {
  readonly step: string;
  readonly taskId: string;
  readonly inputs: readonly string[];
  readonly foreachStack: readonly ForeachFrame[];
}

/** Clones a task when it can; returns its transition, or undefined to run it. */
export type Cloner = (
  task: CloneRequest,
) => Promise<{ transition?: Transition; from: string; data?: Record<string, ArtifactRef> } | undefined>;

/** The key of a task within a run: step plus foreach positions. */
function positionKey(step: string, stack: readonly ForeachFrame[]): string {
  return `${step}@${stack.map((f) => `${f.step}[${f.index}]`).join('/')}`;
}

/** Steps reachable from `from` (itself included). */
export function downstreamOf(graph: FlowGraph, from: string): Set<string> {
  const seen = new Set<string>();
  const todo = [from];
  while (todo.length > 0) {
    const step = todo.pop() as string;
    if (seen.has(step)) continue;
    seen.add(step);
    todo.push(...(graph.steps[step]?.next ?? []));
  }
  return seen;
}

/**
 * The reads of the origin run in flight at once, while indexing it and while cloning one of its tasks (the
 * scheduler runs up to 64 clones at once): records of a 10,000-task step are read in parallel, not in turn.
 *
 * @example
 * ```ts
 * await mapBounded(tasks, ORIGIN_READ_CONCURRENCY, readTask);
 * ```
 */
export const ORIGIN_READ_CONCURRENCY = 64;

/** Indexes the successful tasks of a run by position. */
async function indexOrigin(fds: FlowDatastore, runId: string): Promise<Map<string, OriginTask>> {
  const index = new Map<string, OriginTask>();
  const steps = await fds.listSteps(runId);
  const tasks = (
    await Promise.all(
      steps.map(async (step) =>
        [...(await fds.latestDoneAttempts(runId, step))].map(([id, attempt]) => ({ step, id, attempt })),
      ),
    )
  ).flat();
  await mapBounded(tasks, ORIGIN_READ_CONCURRENCY, async ({ step, id, attempt }) => {
    const td = fds.task(runId, step, id);
    const [done, start] = await Promise.all([td.readDone(attempt), td.readAttemptStart(attempt)]);
    if (!done?.ok || !start) return;
    index.set(positionKey(step, start.foreachStack), { taskId: id, attempt, transition: done.transition });
  });
  return index;
}

/**
 * The origin `resume` picks by default: the latest run of `user` that did not succeed (failed,
 * interrupted, or killed without a status) and that ran at least one task. A run refused or stopped
 * before its first task has nothing to resume, so the real failure before it is picked instead.
 *
 * @example
 * ```ts
 * const origin = await latestFailedRun(fds, 'alice'); // '1764081234567123'
 * ```
 */
export async function latestFailedRun(fds: FlowDatastore, user: string): Promise<string> {
  for (const id of await fds.listRunIds()) {
    const [run, status] = await Promise.all([fds.readRun(id), fds.readRunStatus(id)]);
    if (run?.user !== user || status?.status === 'successful') continue;
    if ((await fds.listSteps(id)).length > 0) return id;
  }
  throw new RuntimeError(
    `No failed run of ${fds.flow} by ${user} to resume. Pass --origin-run-id ID to resume a given run.`,
    { flow: fds.flow },
  );
}

/**
 * Prepares the cloning of an origin run's tasks into a new run: checks the resume step and indexes the
 * origin's successful tasks (reads only, so a refused resume stores nothing), and returns the cloner
 * for the new run once it is named.
 *
 * @example
 * ```ts
 * const clonerFor = await planResume(fds, graph, originRunId, 'train');
 * const cloner = clonerFor(newRunId);
 * ```
 */
export async function planResume(
  fds: FlowDatastore,
  graph: FlowGraph,
  originRunId: string,
  resumeStep?: string,
): Promise<(newRunId: string) => Cloner> {
  if (resumeStep !== undefined && !graph.steps[resumeStep]) {
    throw new RuntimeError(
      `Cannot resume ${fds.flow} from step "${resumeStep}": there is no such step.${didYouMean(resumeStep, graph.order)} Steps: ${graph.order.join(', ')}.`,
      { flow: fds.flow },
    );
  }
  const origin = await indexOrigin(fds, originRunId);
  const rerun = resumeStep ? downstreamOf(graph, resumeStep) : new Set<string>();
  return (newRunId) => clonerOf(fds, originRunId, newRunId, origin, rerun);
}

function clonerOf(
  fds: FlowDatastore,
  originRunId: string,
  newRunId: string,
  origin: ReadonlyMap<string, OriginTask>,
  rerun: ReadonlySet<string>,
): Cloner {
  const cloned = new Set<string>(['_parameters/0']);
  return async (task) => {
    if (rerun.has(task.step) || !task.inputs.every((i) => cloned.has(i))) return undefined;
    const found = origin.get(positionKey(task.step, task.foreachStack));
    if (!found) return undefined;
    const from = fds.task(originRunId, task.step, found.taskId);
    const to = fds.task(newRunId, task.step, task.taskId);
    const [start, data, done] = await Promise.all([
      from.readAttemptStart(found.attempt),
      from.readData(found.attempt),
      from.readDone(found.attempt),
    ]);
    if (!start || !done) return undefined;
    const clonedFrom = `${fds.flow}/${originRunId}/${task.step}/${found.taskId}`;
    await Promise.all([
      to.writeAttemptStart({
        ...start,
        attempt: 0,
        inputs: task.inputs,
        foreachStack: task.foreachStack,
        extra: { ...start.extra, clonedFrom },
      }),
      to.writeData(0, data ?? {}),
      from.copyLogs(found.attempt, to, 0), // segments and log record, one segment at a time
    ]);
    const refs = data ?? done.data;
    // Last: it makes the attempt visible. It carries the refs, so a join of clones is handed them too.
    await to.writeDone(0, { ...done, attempt: 0, clonedFrom, ...(refs && done.ok ? { data: refs } : {}) });
    cloned.add(`${task.step}/${task.taskId}`);
    return { transition: done.transition, from: clonedFrom, ...(refs ? { data: refs } : {}) };
  };
}
