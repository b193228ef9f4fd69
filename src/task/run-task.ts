/**
 * Runs one attempt of one step inside a task process: loads inputs, runs the user's code, stores the
 * artifacts, and writes the attempt's records (the done record last). The steps live in
 * `prepare-task.ts` (load inputs, set up the flow object) and `run-step.ts` (hooks and the step's body).
 *
 * @module
 */
import { rmSync } from 'node:fs';
import type { ArtifactRef, TaskErrorInfo, Transition } from '../datastore/index.js';
import { StepHooks } from '../decorators/index.js';
import { setCurrent } from '../flow/index.js';
import { errorInfo } from './error-info.js';
import {
  hookContext,
  type OpenedAttempt,
  openAttempt,
  setUpTask,
  type TaskHookBase,
  type TaskSetup,
} from './prepare-task.js';
import { runStepBody } from './run-step.js';
import type { TaskSpec } from './spec.js';

export { errorInfo } from './error-info.js';
export { foreachItem, foreachLength } from './run-step.js';

/** How the attempt ended. */
export interface TaskResult {
  readonly ok: boolean;
  readonly error?: TaskErrorInfo;
}

/**
 * Runs one task attempt described by `spec`, with the flow class found in `flowModule`.
 *
 * @example
 * ```ts
 * const result = await runTask(flowModule, parseTaskArgs(process.argv.slice(2)));
 * process.exitCode = result.ok ? 0 : 1;
 * ```
 */
export async function runTask(flowModule: Record<string, unknown>, spec: TaskSpec): Promise<TaskResult> {
  const opened = await openAttempt(spec);
  const setup = setUpTask(flowModule, spec, opened);
  const hookBase = await hookContext(spec, opened, setup.flow);
  // The step's decorators, bound to their plugins once for the attempt (all in-task hooks go through it).
  const hooks = new StepHooks(spec.decorators);
  const outcome = await runStepBody(spec, opened, setup, hookBase, hooks);
  const { error, refs } = await persistOutputs(spec, opened, setup, outcome.error);
  return finishAttempt(spec, opened, setup, { base: hookBase, hooks }, error, outcome.transition, refs);
}

/**
 * Saves the artifacts the step set and writes the attempt's data record (their refs). Artifacts are
 * saved even after the step failed. Returns the attempt's error (`error`, the step's, when there is one,
 * else the saving's, else undefined) and the refs written.
 */
async function persistOutputs(
  spec: TaskSpec,
  opened: OpenedAttempt,
  setup: TaskSetup,
  error: unknown,
): Promise<{ error: unknown; refs: Record<string, ArtifactRef> }> {
  const { metrics } = setup;
  let refs: Record<string, ArtifactRef> = {};
  try {
    const collected = setup.artifacts.collect();
    const t0 = performance.now();
    const saved = await opened.fds.saveArtifacts(collected.values);
    metrics.artifactSaveMs = performance.now() - t0;
    metrics.artifactSaveBytes = Object.values(saved).reduce((n, r) => n + r.size, 0);
    refs = { ...collected.refs, ...saved };
  } catch (err) {
    error ??= err;
  }
  await opened.td.writeData(spec.attempt, refs);
  return { error, refs };
}

/**
 * Ends the attempt: the decorators' `taskFinished` hooks, then the done record (written last: it is what
 * the runtime reads), then `current` and the temp folder are cleared.
 */
async function finishAttempt(
  spec: TaskSpec,
  opened: OpenedAttempt,
  setup: TaskSetup,
  hook: { readonly base: TaskHookBase; readonly hooks: StepHooks },
  error: unknown,
  transition: Transition | undefined,
  refs: Record<string, ArtifactRef>,
): Promise<TaskResult> {
  const ok = error === undefined;
  await hook.hooks.taskFinished(hook.base, ok);
  const info = ok ? undefined : errorInfo(error);
  await opened.td.writeDone(spec.attempt, {
    attempt: spec.attempt,
    ok,
    endedAt: new Date().toISOString(),
    ...(ok ? { transition, data: refs } : { error: info }),
    metrics: roundMetrics(setup.metrics),
  });
  setCurrent(undefined);
  rmSync(setup.tempdir, { recursive: true, force: true });
  return ok ? { ok } : { ok, error: info };
}

function roundMetrics(m: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(m).map(([k, v]) => [k, Math.round(v * 1000) / 1000]));
}
