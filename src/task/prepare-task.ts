/**
 * The first steps of a task attempt (`runTask`): read what the attempt needs while recording its
 * start, then build the flow object the user's code runs on and the context the decorators' hooks get.
 *
 * @module
 */
import { mkdirSync, mkdtempSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { mapBounded } from '../common/index.js';
import type { ArtifactRef, RunRecord, TaskDatastore } from '../datastore/index.js';
import { FlowDatastore, openStorage, serializeArtifact, sha256Hex } from '../datastore/index.js';
import type { InputData, TaskHookContext } from '../decorators/index.js';
import { bindTaskState, setCurrent } from '../flow/index.js';
import type { FlowGraph, GraphStep } from '../graph/index.js';
import { ArtifactState } from './artifact-state.js';
import { errorInfo } from './error-info.js';
import { TaskError } from './errors.js';
import { findFlowClass } from './find-flow.js';
import type { JoinInput } from './inputs.js';
import { readInputsFile } from './inputs-file.js';
import { foreachItem } from './run-step.js';
import type { TaskSpec } from './spec.js';
import { RunningTaskState } from './task-state-impl.js';

/**
 * The most input tasks whose records a join reads at once: a join after a 10,000-way foreach reads their
 * data records in parallel without opening 10,000 requests at once.
 *
 * @example
 * ```ts
 * await mapBounded(inputPaths, INPUT_READ_CONCURRENCY, read);
 * ```
 */
export const INPUT_READ_CONCURRENCY = 64;

/** What {@link openAttempt} read for an attempt, and where the attempt's records go. */
export interface OpenedAttempt {
  readonly fds: FlowDatastore;
  /** The task's records. */
  readonly td: TaskDatastore;
  /** `Flow/run/step/task`. */
  readonly pathspec: string;
  readonly run: RunRecord;
  readonly graph: FlowGraph;
  /** The step this attempt runs, as the run's graph declares it. */
  readonly gstep: GraphStep;
  /** The artifacts of each input task, in the order of the spec's inputs. */
  readonly inputs: readonly JoinInput[];
  /** The artifacts of the task that started the innermost foreach (empty outside a foreach). */
  readonly splitRefs: Readonly<Record<string, ArtifactRef>>;
}

/** Artifact I/O of one attempt (bytes and milliseconds), recorded in its done record. */
export type ArtifactMetrics = {
  artifactLoadBytes: number;
  artifactLoadMs: number;
  artifactSaveBytes: number;
  artifactSaveMs: number;
};

/** The flow object of an attempt and the state around it, built by {@link setUpTask}. */
export interface TaskSetup {
  /** The instance of the user's flow class the step runs on. */
  readonly flow: Record<string, unknown>;
  /** The flow class's prototype (its step methods). */
  readonly proto: Record<string, unknown>;
  readonly artifacts: ArtifactState;
  readonly state: RunningTaskState;
  /** Loads an artifact, counting it in `metrics`. */
  readonly load: (ref: ArtifactRef) => unknown;
  /** Filled in as artifacts are loaded and saved. */
  readonly metrics: ArtifactMetrics;
  /** The attempt's `current.tempdir`, removed when the attempt ends. */
  readonly tempdir: string;
}

/** What every task hook of this attempt gets, before each decorator's `options`. */
export type TaskHookBase = Omit<TaskHookContext<unknown>, 'options'>;

/**
 * The artifacts of each input task, in order. Those the runtime handed over (`known`, read from the inputs'
 * done records) are taken as they are; the others are read: a join of many inputs of one step (a
 * foreach's) finds their latest done attempts in one listing of that step, then reads their data records
 * 64 at a time.
 */
async function readInputs(
  fds: FlowDatastore,
  runId: string,
  paths: readonly string[],
  known: readonly (InputData | null)[] = [],
): Promise<JoinInput[]> {
  const unknown = paths.filter((_, i) => !known[i]);
  const steps = new Set(unknown.map((p) => p.split('/')[0]));
  const latest =
    unknown.length > 16 && steps.size === 1 ? await fds.latestDoneAttempts(runId, [...steps][0]) : undefined;
  return await mapBounded(paths, INPUT_READ_CONCURRENCY, async (p, i) => {
    const given = known[i];
    if (!given) return readInput(fds, runId, p, latest);
    const [step, taskId] = p.split('/');
    return { step, taskId, refs: { ...given.refs } };
  });
}

async function readInput(
  fds: FlowDatastore,
  runId: string,
  pathspec: string,
  latest?: ReadonlyMap<string, number>,
): Promise<JoinInput> {
  const [step, taskId] = pathspec.split('/');
  const td = fds.task(runId, step, taskId);
  const attempt = latest ? latest.get(taskId) : await td.latestDoneAttempt();
  if (attempt === undefined) {
    throw new TaskError(`input task ${fds.flow}/${runId}/${pathspec} has no completed attempt`, {
      pathspec: `${fds.flow}/${runId}/${pathspec}`,
    });
  }
  const data = await td.readData(attempt);
  return { step, taskId, refs: data ?? {} };
}

/**
 * Loads what the attempt reads (the run record, the input tasks' artifacts, the foreach split's
 * artifacts) while writing its start record. Throws a {@link TaskError} when the run has no record, the
 * step is not in its graph, or an input task has no completed attempt.
 *
 * @example
 * ```ts
 * const opened = await openAttempt(spec);
 * opened.gstep.isJoin; // whether the step takes inputs
 * ```
 */
export async function openAttempt(spec: TaskSpec): Promise<OpenedAttempt> {
  const storage = await openStorage(spec.storage);
  const fds = new FlowDatastore(storage, spec.flowName);
  const td = fds.task(spec.runId, spec.stepName, spec.taskId);
  const pathspec = `${spec.flowName}/${spec.runId}/${spec.stepName}/${spec.taskId}`;
  const { inputs: inputPaths, inputData } = spec.inputsKey
    ? await readInputsFile(storage, spec.inputsKey, pathspec)
    : spec;
  const [run, inputs] = await Promise.all([
    fds.readRun(spec.runId) as Promise<RunRecord | undefined>,
    readInputs(fds, spec.runId, inputPaths, inputData),
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
  const frame = spec.foreachStack.at(-1);
  const splitRefs = frame
    ? (await readInput(fds, spec.runId, `${frame.step}/${frame.taskId}`)).refs
    : ({} as Record<string, ArtifactRef>);
  return { fds, td, pathspec, run, graph, gstep, inputs, splitRefs };
}

/**
 * Builds the attempt's flow object: the user's class with its inherited artifacts and parameters
 * installed, its task state (`this.next`, `this.input`, ...) bound, and `current` set (with a fresh
 * temp folder). Loads nothing yet: artifacts are read when the step reads them.
 *
 * @example
 * ```ts
 * const setup = setUpTask(flowModule, spec, await openAttempt(spec));
 * setup.artifacts.collect(); // after the step ran
 * ```
 */
export function setUpTask(
  flowModule: Record<string, unknown>,
  spec: TaskSpec,
  opened: OpenedAttempt,
): TaskSetup {
  const { fds, run, graph, gstep, inputs, splitRefs, pathspec } = opened;
  const metrics = { artifactLoadBytes: 0, artifactLoadMs: 0, artifactSaveBytes: 0, artifactSaveMs: 0 };
  const load = (ref: ArtifactRef): unknown => {
    const t0 = performance.now();
    const value = fds.loadArtifactSync(ref);
    metrics.artifactLoadMs += performance.now() - t0;
    metrics.artifactLoadBytes += ref.size;
    return value;
  };
  const frame = spec.foreachStack.at(-1);
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
  return { flow, proto, artifacts, state, load, metrics, tempdir };
}

/**
 * The context the decorators' task hooks get (without their options): where the task is, its attempt
 * numbers, the previous attempt's outcome on a retry, and the flow object.
 *
 * @example
 * ```ts
 * const base = await hookContext(spec, opened, setup.flow);
 * await new StepHooks(spec.decorators).taskPreStep(base);
 * ```
 */
export async function hookContext(
  spec: TaskSpec,
  opened: OpenedAttempt,
  flow: Record<string, unknown>,
): Promise<TaskHookBase> {
  const previous = spec.attempt > 0 ? await opened.td.readDone(spec.attempt - 1) : undefined;
  return {
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
    describeError: errorInfo,
  };
}
