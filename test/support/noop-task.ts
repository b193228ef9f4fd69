/**
 * A no-op task stand-in: {@link runNoopTask} writes, through the real datastore API, everything a
 * successful attempt of a step with no body writes (start record, artifact refs, done record with the
 * graph's transition, an empty log record), so the scheduler, the join, the client, `dump`, `logs` and
 * `resume` cannot tell it from a real task. {@link NoopLauncher} runs it in-process for each launch, for
 * benchmarks and tests at a width (10,000 tasks) where a process or a container per task costs too much.
 *
 * @module
 */
import { hostname } from 'node:os';
import { PassThrough } from 'node:stream';
import { FlowDatastore } from '../../src/datastore/flow-datastore.js';
import type { StorageBackend } from '../../src/datastore/storage.js';
import type { ArtifactRef, Transition } from '../../src/datastore/types.js';
import type {
  LaunchedTask,
  LaunchOutcome,
  TaskLauncher,
  TaskLaunchSpec,
  TaskSpec,
} from '../../src/decorators/contract.js';
import type { FlowGraph } from '../../src/graph/types.js';
import { foreachItem, foreachLength } from '../../src/task/run-step.js';

/**
 * Options of {@link runNoopTask}.
 *
 * @example
 * ```ts
 * const options: NoopTaskOptions = { graph, storage, artifacts: (spec) => ({ n: Number(spec.taskId) }) };
 * ```
 */
export interface NoopTaskOptions {
  readonly graph: FlowGraph;
  readonly storage: StorageBackend;
  /** Artifacts the attempt sets (as `this.x = ...` in the step would); a foreach step's list among them. */
  readonly artifacts?: (spec: TaskSpec) => Record<string, unknown>;
  /**
   * Under a foreach, the name the frame's item (`this.input`) is stored under, as a step body
   * `this.input = this.input` would (default `input`); `null` stores nothing.
   */
  readonly inputName?: string | null;
  /** Decoded artifacts by sha, shared between tasks (the foreach list is read once, not once per child). */
  readonly cache?: Map<string, unknown>;
}

/**
 * Runs one attempt of a step with no body: reads its inputs and (under a foreach) its frame's item like a
 * real task, stores the given artifacts, writes `<attempt>.attempt.json`, `<attempt>.data.json`,
 * `<attempt>.done.json` (the graph's transition; a foreach step's count from its list) and an empty
 * `<attempt>.logs.json`, in that order, as a task process and the runtime's log capture do.
 *
 * @example
 * ```ts
 * await runNoopTask(spec, { graph, storage, artifacts: () => ({ items: [1, 2, 3] }) });
 * ```
 */
export async function runNoopTask(spec: TaskSpec, options: NoopTaskOptions): Promise<void> {
  const { graph, storage } = options;
  const fds = new FlowDatastore(storage, spec.flowName);
  const td = fds.task(spec.runId, spec.stepName, spec.taskId);
  const gstep = graph.steps[spec.stepName];
  if (!gstep) throw new Error(`step ${spec.stepName} is not in the graph of ${graph.flowName}`);
  const t0 = performance.now();
  const [inherited] = await Promise.all([
    gstep.isJoin ? parameterRefs(fds, spec.runId) : inputRefs(fds, spec.runId, spec.inputs[0]),
    td.writeAttemptStart({
      attempt: spec.attempt,
      startedAt: new Date().toISOString(),
      host: hostname(),
      pid: process.pid,
      inputs: spec.inputs,
      foreachStack: spec.foreachStack,
      extra: { decorators: spec.decorators },
    }),
  ]);
  const load = async (ref: ArtifactRef): Promise<unknown> => {
    if (options.cache?.has(ref.sha)) return options.cache.get(ref.sha);
    const value = await fds.loadArtifact(ref);
    options.cache?.set(ref.sha, value);
    return value;
  };
  const values: Record<string, unknown> = { ...options.artifacts?.(spec) };
  const frame = spec.foreachStack.at(-1);
  const inputName = options.inputName === undefined ? 'input' : options.inputName;
  let loadBytes = 0;
  if (frame && inputName !== null && !(inputName in values)) {
    const splitRefs =
      spec.inputs[0] === `${frame.step}/${frame.taskId}`
        ? inherited
        : await inputRefs(fds, spec.runId, `${frame.step}/${frame.taskId}`);
    const ref = splitRefs[frame.field];
    if (ref) {
      values[inputName] = foreachItem(await load(ref), frame.index);
      loadBytes += ref.size;
    }
  }
  const loadMs = performance.now() - t0;
  const t1 = performance.now();
  const saved = await fds.saveArtifacts(values);
  const saveMs = performance.now() - t1;
  const data = { ...inherited, ...saved };
  await td.writeData(spec.attempt, data);
  let transition: Transition | undefined;
  if (gstep.kind !== 'end') transition = { targets: [...gstep.next] };
  if (gstep.foreach) {
    const field = gstep.foreach;
    const value = field in values ? values[field] : inherited[field] && (await load(inherited[field]));
    const count = foreachLength(value);
    if (!count) throw new Error(`the no-op task of ${spec.stepName} has no list in "${field}" to split over`);
    transition = { targets: [...gstep.next], foreach: field, foreachCount: count };
  }
  await td.writeDone(spec.attempt, {
    attempt: spec.attempt,
    ok: true,
    endedAt: new Date().toISOString(),
    ...(transition ? { transition } : {}),
    data,
    metrics: {
      artifactLoadBytes: loadBytes,
      artifactLoadMs: round(loadMs),
      artifactSaveBytes: Object.values(saved).reduce((n, r) => n + r.size, 0),
      artifactSaveMs: round(saveMs),
    },
  });
  await td.logWriter(spec.attempt).close();
}

function round(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}

/** The artifact refs of an input task's latest completed attempt (as a task reads its inputs). */
async function inputRefs(
  fds: FlowDatastore,
  runId: string,
  input: string | undefined,
): Promise<Record<string, ArtifactRef>> {
  if (input === undefined) return {};
  const [step, taskId] = input.split('/');
  const td = fds.task(runId, step, taskId);
  const attempt = await td.latestDoneAttempt();
  if (attempt === undefined)
    throw new Error(`input task ${fds.flow}/${runId}/${input} has no completed attempt`);
  return (await td.readData(attempt)) ?? {};
}

/** A join inherits nothing but the run's parameters. */
async function parameterRefs(fds: FlowDatastore, runId: string): Promise<Record<string, ArtifactRef>> {
  return (await fds.readRun(runId))?.parameters ?? {};
}

/**
 * Options of {@link NoopLauncher}.
 *
 * @example
 * ```ts
 * new NoopLauncher({ graph, storage, concurrency: 64, remote: true });
 * ```
 */
export interface NoopLauncherOptions extends Omit<NoopTaskOptions, 'cache'> {
  /** Tasks run at once (default 32); the others wait in launch order. */
  readonly concurrency?: number;
  /** Time each task takes before it writes anything (ms, default 0). */
  readonly delayMs?: number;
  /** Says the attempts run on another machine (the scheduler's remote cap applies). */
  readonly remote?: boolean;
  /** The launcher's name in messages (default `noop`). */
  readonly name?: string;
}

/**
 * A {@link TaskLauncher} that runs {@link runNoopTask} in this process for each launch, with bounded
 * concurrency and an optional per-task delay. Counts what it did (`launched`, `peak` in flight).
 *
 * @example
 * ```ts
 * const launcher = new NoopLauncher({ graph, storage, remote: true });
 * const task = launcher.launch(spec);
 * await task.done; // { exitCode: 0, signal: null }
 * ```
 */
export class NoopLauncher implements TaskLauncher {
  readonly name: string;
  readonly remote: boolean;
  launched = 0;
  peak = 0;
  private active = 0;
  private readonly waiting: Array<() => void> = [];
  private head = 0;
  private readonly cache = new Map<string, unknown>();

  constructor(private readonly options: NoopLauncherOptions) {
    this.name = options.name ?? 'noop';
    this.remote = options.remote ?? false;
  }

  launch(spec: TaskLaunchSpec): LaunchedTask {
    this.launched++;
    const stdout = new PassThrough();
    const stderr = new PassThrough();
    let killed: string | undefined;
    const done = this.slot().then(async (): Promise<LaunchOutcome> => {
      try {
        if (killed) return { exitCode: null, signal: 'SIGTERM', killedReason: killed };
        if (this.options.delayMs) await new Promise((r) => setTimeout(r, this.options.delayMs));
        if (killed) return { exitCode: null, signal: 'SIGTERM', killedReason: killed };
        await runNoopTask(spec.task, { ...this.options, cache: this.cache });
        return { exitCode: 0, signal: null };
      } catch (err) {
        stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
        return { exitCode: 1, signal: null };
      } finally {
        this.release();
        stdout.end();
        stderr.end();
      }
    });
    return {
      stdout,
      stderr,
      done,
      storesOwnLogs: true,
      kill: async (reason) => {
        killed ??= reason;
        await done;
      },
    };
  }

  private async slot(): Promise<void> {
    const max = this.options.concurrency ?? 32;
    if (this.active >= max) await new Promise<void>((resolve) => this.waiting.push(resolve));
    else this.active++;
    this.peak = Math.max(this.peak, this.active);
  }

  private release(): void {
    if (this.head < this.waiting.length) {
      const next = this.waiting[this.head];
      this.waiting[this.head++] = () => {};
      if (this.head > 1024 && this.head * 2 > this.waiting.length) {
        this.waiting.splice(0, this.head);
        this.head = 0;
      }
      next();
    } else this.active--;
  }
}
