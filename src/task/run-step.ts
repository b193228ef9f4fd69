/**
 * The middle of a task attempt (`runTask`): the decorators' step hooks around the step's body (the
 * user's method, or a decorator's replacement), and the transition the step's `this.next` call asks for.
 *
 * @module
 */
import type { ArtifactRef, Transition } from '../datastore/index.js';
import type { StepHooks } from '../decorators/index.js';
import { TransitionError } from '../flow/index.js';
import type { FlowGraph } from '../graph/index.js';
import { ForeachError, TaskError } from './errors.js';
import { makeInputs } from './inputs.js';
import type { OpenedAttempt, TaskHookBase, TaskSetup } from './prepare-task.js';
import type { TaskSpec } from './spec.js';
import type { RunningTaskState } from './task-state-impl.js';

/** How the step's body ended: `error` is undefined when it succeeded (or a decorator handled the error). */
export interface StepOutcome {
  readonly error: unknown;
  /** Where the run goes next; undefined for `end` and for a failed step. */
  readonly transition: Transition | undefined;
}

/**
 * Runs the step: the decorators' `taskPreStep` hooks, then the first replacement a `taskDecorate` hook
 * returns or else the user's method (a join gets its inputs), then the `taskPostStep` hooks. An error
 * from any of them goes to the `taskException` hooks; the first that handles it makes the step succeed
 * and go to its targets in the graph. Never throws: an error is returned in the outcome.
 *
 * @example
 * ```ts
 * const hooks = new StepHooks(spec.decorators);
 * const { error, transition } = await runStepBody(spec, opened, setup, await hookContext(spec, opened, setup.flow), hooks);
 * ```
 */
export async function runStepBody(
  spec: TaskSpec,
  opened: OpenedAttempt,
  setup: TaskSetup,
  hookBase: TaskHookBase,
  hooks: StepHooks,
): Promise<StepOutcome> {
  const { graph, gstep, inputs, pathspec } = opened;
  const { flow, proto, state, load } = setup;
  let error: unknown;
  let transition: Transition | undefined;
  try {
    await hooks.taskPreStep(hookBase);
    const replacement = hooks.taskDecorate(hookBase);
    if (replacement) {
      await replacement.run();
      if (gstep.foreach) {
        throw new TaskError(`step ${spec.stepName} starts a foreach; its body cannot be replaced`, {
          pathspec,
        });
      }
      transition = gstep.kind === 'end' ? undefined : { targets: [...gstep.next] };
    } else {
      const method = proto[spec.stepName] as (...args: unknown[]) => unknown;
      const split = gstep.matchingSplit ? graph.steps[gstep.matchingSplit] : undefined;
      const keyByStep = split !== undefined && split.foreach === undefined && split.next.length > 1;
      const prefetch = (refs: readonly ArtifactRef[]) => opened.fds.prefetchArtifactsSync(refs);
      const args = gstep.isJoin ? [makeInputs(inputs, load, keyByStep, prefetch)] : [];
      await method.apply(flow, args);
      transition = transitionFor(spec, graph, state, flow);
    }
    await hooks.taskPostStep(hookBase);
  } catch (err) {
    error = err;
    if (await hooks.taskException(hookBase, err)) {
      error = undefined;
      transition = gstep.kind === 'end' ? undefined : { targets: [...gstep.next] };
    }
  }
  return { error, transition };
}

function transitionFor(
  spec: TaskSpec,
  graph: FlowGraph,
  state: RunningTaskState,
  flow: Record<string, unknown>,
): Transition | undefined {
  const step = graph.steps[spec.stepName];
  const where = `${spec.flowName}.${spec.stepName}`;
  const rec = state.recorded;
  if (step.kind === 'end') {
    if (rec) throw new TransitionError(`Step ${where} is the end step and must not call this.next().`);
    return undefined;
  }
  if (!rec) {
    throw new TransitionError(
      `Step ${where} finished without calling this.next(). Call it as the last statement (expected ` +
        `this.next(${step.next.map((n) => `this.${n}`).join(', ')})).`,
      { flow: spec.flowName, step: spec.stepName },
    );
  }
  const same = rec.targets.join(',') === step.next.join(',') && rec.foreach === step.foreach;
  if (!same) {
    const fmt = (t: readonly string[], f?: string) =>
      `this.next(${t.map((n) => `this.${n}`).join(', ')}${f ? `, { foreach: '${f}' }` : ''})`;
    throw new TransitionError(
      `Step ${where} called ${fmt(rec.targets, rec.foreach)} but its source says ${fmt(step.next, step.foreach)}.` +
        ' Transitions must be fixed in the source (no computed or conditional next).',
      { flow: spec.flowName, step: spec.stepName },
    );
  }
  if (!rec.foreach) return { targets: rec.targets };
  const value = flow[rec.foreach];
  const count = foreachLength(value);
  const pathspec = `${spec.flowName}/${spec.runId}/${spec.stepName}/${spec.taskId}`;
  if (count === undefined) {
    throw new ForeachError(
      `Step ${where}: foreach over "${rec.foreach}" needs a list (an array or another iterable), but ` +
        `this.${rec.foreach} is ${value === undefined ? 'undefined' : typeof value}. Assign a list to it first.`,
      { pathspec, field: rec.foreach },
    );
  }
  if (count === 0) {
    throw new ForeachError(
      `Step ${where}: foreach over "${rec.foreach}" has no items, so no task could run. Give it at least one.`,
      { pathspec, field: rec.foreach },
    );
  }
  if (count > spec.maxNumSplits) {
    throw new ForeachError(
      `Step ${where}: foreach over "${rec.foreach}" has ${count} items, more than --max-num-splits ` +
        `${spec.maxNumSplits}. Raise --max-num-splits if this is intended.`,
      { pathspec, field: rec.foreach },
    );
  }
  return { targets: rec.targets, foreach: rec.foreach, foreachCount: count };
}

/**
 * The number of items of a foreach value, or undefined when it is not a list.
 *
 * @example
 * ```ts
 * foreachLength(new Set(['a', 'b'])); // 2
 * foreachLength({ length: 2 }); // undefined
 * ```
 */
export function foreachLength(value: unknown): number | undefined {
  if (Array.isArray(value) || ArrayBuffer.isView(value) || typeof value === 'string') {
    return (value as { length: number }).length;
  }
  if (value !== null && typeof value === 'object' && Symbol.iterator in value) {
    return [...(value as Iterable<unknown>)].length;
  }
  return undefined;
}

/**
 * The item `index` of a foreach value.
 *
 * @example
 * ```ts
 * foreachItem(['a', 'b', 'c'], 1); // 'b'
 * ```
 */
export function foreachItem(value: unknown, index: number): unknown {
  if (Array.isArray(value) || ArrayBuffer.isView(value) || typeof value === 'string') {
    return (value as ArrayLike<unknown>)[index];
  }
  return [...(value as Iterable<unknown>)][index];
}
