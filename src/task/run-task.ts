/**
 * Runs one attempt of one step inside a task process: loads inputs, runs the user's code, stores the
 * artifacts, and writes the attempt's records (the done record last).
 *
 * @module
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStorage } from '../datastore/backends.js';
import { sha256Hex } from '../datastore/content-store.js';
import { FlowDatastore } from '../datastore/flow-datastore.js';
import { serializeArtifact } from '../datastore/serializers.js';
import type { ArtifactRef, RunRecord, TaskErrorInfo, Transition } from '../datastore/types.js';
import type { ResolvedDecorator, TaskHookContext } from '../decorators/contract.js';
import { getStepDecorator } from '../decorators/registry.js';
import { setCurrent } from '../flow/current.js';
import { TransitionError } from '../flow/errors.js';
import { bindTaskState } from '../flow/task-state.js';
import type { FlowGraph } from '../graph/types.js';
import { ArtifactState } from './artifact-state.js';
import { ForeachError, TaskError } from './errors.js';
import { findFlowClass } from './find-flow.js';
import { type JoinInput, makeInputs } from './inputs.js';
import { readInputsFile } from './inputs-file.js';
import type { TaskSpec } from './spec.js';
import { userStack } from './stack-map.js';
import { RunningTaskState } from './task-state-impl.js';

/** How the attempt ended. */
export interface TaskResult {
  readonly ok: boolean;
  readonly error?: TaskErrorInfo;
}

/**
 * Describes a thrown value for records and output, its stack mapped to the `.ts` sources and without
 * stepflow's own frames.
 */
export function errorInfo(err: unknown): TaskErrorInfo {
  if (err instanceof Error) {
    const stack = err.stack === undefined ? undefined : userStack(err.stack, process.argv[1] ?? '');
    return { type: err.name, message: err.message, stack };
  }
  return { type: typeof err, message: String(err) };
}

async function readInput(fds: FlowDatastore, runId: string, pathspec: string): Promise<JoinInput> {
  const [step, taskId] = pathspec.split('/');
  const td = fds.task(runId, step, taskId);
  const attempt = await td.latestDoneAttempt();
  if (attempt === undefined) {
    throw new TaskError(`input task ${fds.flow}/${runId}/${pathspec} has no completed attempt`, {
      pathspec: `${fds.flow}/${runId}/${pathspec}`,
    });
  }
  const data = await td.readData(attempt);
  return { step, taskId, refs: data ?? {} };
}

async function callHooks(
  decorators: readonly ResolvedDecorator[],
  hook: 'taskPreStep' | 'taskPostStep',
  base: Omit<TaskHookContext<unknown>, 'options'>,
): Promise<void> {
  for (const d of decorators) await getStepDecorator(d.name)?.[hook]?.({ ...base, options: d.options });
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

/** The number of items of a foreach value, or undefined when it is not a list. */
export function foreachLength(value: unknown): number | undefined {
  if (Array.isArray(value) || ArrayBuffer.isView(value) || typeof value === 'string') {
    return (value as { length: number }).length;
  }
  if (value !== null && typeof value === 'object' && Symbol.iterator in value) {
    return [...(value as Iterable<unknown>)].length;
  }
  return undefined;
}

/** The item `index` of a foreach value. */
export function foreachItem(value: unknown, index: number): unknown {
  if (Array.isArray(value) || ArrayBuffer.isView(value) || typeof value === 'string') {
    return (value as ArrayLike<unknown>)[index];
  }
  return [...(value as Iterable<unknown>)][index];
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
  const storage = await openStorage(spec.storage);
  const fds = new FlowDatastore(storage, spec.flowName);
  const td = fds.task(spec.runId, spec.stepName, spec.taskId);
  const pathspec = `${spec.flowName}/${spec.runId}/${spec.stepName}/${spec.taskId}`;
  const inputPaths = spec.inputsKey ? await readInputsFile(storage, spec.inputsKey, pathspec) : spec.inputs;
  const [run, inputs] = await Promise.all([
    fds.readRun(spec.runId) as Promise<RunRecord | undefined>,
    Promise.all(inputPaths.map((p) => readInput(fds, spec.runId, p))),
    td.writeAttemptStart({
      attempt: spec.attempt,
      startedAt: new Date().toISOString(),
      host: hostname(),
      pid: process.pid,
      inputs: inputPaths,
      foreachStack: spec.foreachStack,
      extra: { decorators: spec.decorators },
    }),
  ]);
  if (!run) throw new TaskError(`run ${spec.flowName}/${spec.runId} has no run record`, { pathspec });
  const graph = run.graph as FlowGraph;
  const gstep = graph.steps[spec.stepName];
  if (!gstep) throw new TaskError(`step ${spec.stepName} is not in the flow's graph`, { pathspec });

  const metrics = { artifactLoadBytes: 0, artifactLoadMs: 0, artifactSaveBytes: 0, artifactSaveMs: 0 };
  const load = (ref: ArtifactRef): unknown => {
    const t0 = performance.now();
    const value = fds.loadArtifactSync(ref);
    metrics.artifactLoadMs += performance.now() - t0;
    metrics.artifactLoadBytes += ref.size;
    return value;
  };
  const frame = spec.foreachStack.at(-1);
  const splitRefs = frame
    ? (await readInput(fds, spec.runId, `${frame.step}/${frame.taskId}`)).refs
    : ({} as Record<string, ArtifactRef>);

  const FlowClass = findFlowClass(flowModule, spec.flowName);
  const flow = new FlowClass() as unknown as Record<string, unknown>;
  const artifacts = new ArtifactState(flow, {
    flowName: spec.flowName,
    stepName: spec.stepName,
    inherited: gstep.isJoin ? {} : (inputs[0]?.refs ?? {}),
    parameters: run.parameters,
    load,
    fingerprint: (name, value) => sha256Hex(serializeArtifact(name, value).chunks),
  });
  artifacts.install();
  const proto = FlowClass.prototype as Record<string, unknown>;
  const stepNames = new Map<unknown, string>(graph.order.map((name) => [proto[name], name]));
  const state = new RunningTaskState({
    flowName: spec.flowName,
    stepName: spec.stepName,
    isJoin: gstep.isJoin,
    foreachStack: spec.foreachStack,
    stepNames,
    artifacts,
    parameters: run.parameters,
    loadInput: () => {
      if (!frame) return undefined;
      const ref = splitRefs[frame.field];
      return ref === undefined ? undefined : foreachItem(load(ref), frame.index);
    },
  });
  bindTaskState(flow, state);
  // METAFLOW_TEMPDIR may name a folder that does not exist yet (a tmpfs path on a host that mounts none).
  const tempBase = process.env.METAFLOW_TEMPDIR || tmpdir();
  mkdirSync(tempBase, { recursive: true });
  const tempdir = mkdtempSync(join(tempBase, 'stepflow-task-'));
  setCurrent({
    flowName: spec.flowName,
    runId: spec.runId,
    stepName: spec.stepName,
    taskId: spec.taskId,
    retryCount: spec.attempt,
    tempdir,
    pathspec,
    username: run.user,
    originRunId: run.originRunId,
  });
  const previous = spec.attempt > 0 ? await td.readDone(spec.attempt - 1) : undefined;
  const hookBase = {
    flowName: spec.flowName,
    stepName: spec.stepName,
    runId: spec.runId,
    taskId: spec.taskId,
    retryCount: spec.attempt,
    maxAttempts: spec.maxAttempts,
    errorRetries: spec.errorRetries ?? 0,
    flow,
    previousAttempt: previous && {
      attempt: previous.attempt,
      error: previous.error,
      killed: previous.killed === true,
    },
    setArtifact: (name: string, value: unknown) => {
      flow[name] = value;
    },
  };
  let error: unknown;
  let transition: Transition | undefined;
  try {
    await callHooks(spec.decorators, 'taskPreStep', hookBase);
    const replacement = spec.decorators
      .map((d) => getStepDecorator(d.name)?.taskDecorate?.({ ...hookBase, options: d.options }))
      .find((r) => r !== undefined);
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
      const args = gstep.isJoin ? [makeInputs(inputs, load, keyByStep)] : [];
      await method.apply(flow, args);
      transition = transitionFor(spec, graph, state, flow);
    }
    await callHooks(spec.decorators, 'taskPostStep', hookBase);
  } catch (err) {
    error = err;
    for (const d of spec.decorators) {
      const handled = await getStepDecorator(d.name)?.taskException?.({
        ...hookBase,
        options: d.options,
        error: err,
      });
      if (handled) {
        error = undefined;
        transition = gstep.kind === 'end' ? undefined : { targets: [...gstep.next] };
        break;
      }
    }
  }
  let refs: Record<string, ArtifactRef> = {};
  try {
    const collected = artifacts.collect();
    const t0 = performance.now();
    const saved = await fds.saveArtifacts(collected.values);
    metrics.artifactSaveMs = performance.now() - t0;
    metrics.artifactSaveBytes = Object.values(saved).reduce((n, r) => n + r.size, 0);
    refs = { ...collected.refs, ...saved };
  } catch (err) {
    error ??= err;
  }
  await td.writeData(spec.attempt, refs);
  const ok = error === undefined;
  for (const d of spec.decorators) {
    await getStepDecorator(d.name)?.taskFinished?.({ ...hookBase, options: d.options, ok });
  }
  const info = ok ? undefined : errorInfo(error);
  await td.writeDone(spec.attempt, {
    attempt: spec.attempt,
    ok,
    endedAt: new Date().toISOString(),
    ...(ok ? { transition } : { error: info }),
    metrics: roundMetrics(metrics),
  });
  setCurrent(undefined);
  rmSync(tempdir, { recursive: true, force: true });
  return ok ? { ok } : { ok, error: info };
}

function roundMetrics(m: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(m).map(([k, v]) => [k, Math.round(v * 1000) / 1000]));
}
