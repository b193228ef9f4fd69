/**
 * The local scheduler: launches the tasks of a run as their inputs become ready, within the caps of
 * attempts in flight (see {@link SchedulerOptions.maxWorkers}), follows foreach splits and joins, retries
 * failed attempts as the decorators ask, and stops cleanly on failure or interrupt. Every step of a task's
 * way through it is O(1) (deques, maps, counters), so a 10,000-way foreach costs 10,000 times one task. See
 * ARCHITECTURE.md in this folder.
 *
 * @module
 */

import { Deque, errorMessage } from '../common/index.js';
import type { FlowDatastore, ForeachFrame, Transition } from '../datastore/index.js';
import type {
  AttemptPlan,
  InputData,
  LaunchedTask,
  ResolvedDecorator,
  StepHooks,
  TaskLauncher,
  TaskSpec,
} from '../decorators/index.js';
import { RunHooks } from '../decorators/index.js';
import type { FlowGraph } from '../graph/index.js';
import { type AttemptEnd, failureReason, formatSeconds, recordStoppedAttempt } from './attempt-end.js';
import { RuntimeError } from './errors.js';
import type { Reporter, RunSummary } from './reporter.js';
import type { Cloner } from './resume.js';
import { captureTaskLogs } from './task-logs.js';

/** Options of {@link Scheduler}. */
export interface SchedulerOptions {
  readonly flowName: string;
  readonly runId: string;
  readonly graph: FlowGraph;
  readonly datastore: FlowDatastore;
  readonly storage: { readonly kind: string; readonly root: string };
  readonly codePackage: { readonly sha: string; readonly bundlePath: string };
  readonly decorators: ReadonlyMap<string, readonly ResolvedDecorator[]>;
  /**
   * Given (`--max-workers N`): the most attempts in flight, local and remote together (an array job
   * counts as its size). Not given: `maxLocalWorkers` and `maxRemoteWorkers` cap each kind.
   */
  readonly maxWorkers?: number;
  /** Without `maxWorkers`: the most attempts in flight on this machine (default {@link DEFAULT_LOCAL_WORKERS}). */
  readonly maxLocalWorkers?: number;
  /**
   * Without `maxWorkers`: the most attempts in flight of launchers that say `remote` (default
   * {@link DEFAULT_REMOTE_WORKERS}).
   */
  readonly maxRemoteWorkers?: number;
  readonly maxNumSplits: number;
  readonly defaultLauncher: TaskLauncher;
  readonly reporter: Reporter;
  /** Tasks to start with (default: `start` reading `_parameters/0`). */
  readonly initialTasks?: readonly PlannedTask[];
  /** Steps with at least this many tasks get progress events (default 20). */
  readonly progressThreshold?: number;
  /** For resume: clones a task from the origin run instead of running it, when it can. */
  readonly cloner?: Cloner;
  /** The run's plugins and their run scopes (default: `decorators` bound without scopes). */
  readonly hooks?: RunHooks;
}

/** A task the scheduler will run. */
export interface PlannedTask {
  readonly step: string;
  readonly inputs: readonly string[];
  readonly foreachStack: readonly ForeachFrame[];
  /** What the runtime read of each input's succeeded attempt (a join's), handed to the task. */
  readonly inputData?: readonly (InputData | null)[];
}

interface ScheduledTask extends PlannedTask {
  readonly taskId: string;
  attempt: number;
}

/** Where an attempt runs: which cap of attempts in flight it counts against. */
type SlotKind = 'local' | 'remote';

/** An attempt whose launcher is chosen, waiting for a slot of its kind. */
interface ReadyAttempt {
  readonly task: ScheduledTask;
  readonly launcher: TaskLauncher;
  readonly kind: SlotKind;
  /** Launch order across the two kinds (a retry put back in front gets a lower one). */
  readonly seq: number;
}

/**
 * The most local attempts in flight when `--max-workers` is not given (Metaflow's default).
 *
 * @example
 * ```ts
 * new Scheduler({ ...options, maxLocalWorkers: DEFAULT_LOCAL_WORKERS });
 * ```
 */
export const DEFAULT_LOCAL_WORKERS = 16;

/**
 * The most remote attempts in flight when `--max-workers` is not given: a 10,000-way foreach on AWS Batch
 * is handed to the launcher in one go (AWS's compute environment's maxvCpus is the real bound).
 *
 * @example
 * ```ts
 * new Scheduler({ ...options, maxRemoteWorkers: DEFAULT_REMOTE_WORKERS });
 * ```
 */
export const DEFAULT_REMOTE_WORKERS = 10_000;

/**
 * The most `resume` clones in flight: cloning copies a few records (bookkeeping, not a task process), so it
 * is bounded by the datastore's parallelism, not by `--max-workers`.
 *
 * @example
 * ```ts
 * await mapBounded(tasks, CLONE_CONCURRENCY, clone);
 * ```
 */
export const CLONE_CONCURRENCY = 64;

interface JoinWait {
  readonly expected: number;
  readonly slots: string[];
  /** Each input's succeeded attempt and artifacts, from its done record (null: not known, e.g. cloned). */
  readonly data: (InputData | null)[];
  arrived: number;
  readonly foreachStack: readonly ForeachFrame[];
}

/**
 * Runs the tasks of one run to the end.
 *
 * @example
 * ```ts
 * const summary = await new Scheduler({ ...options }).run();
 * ```
 */
export class Scheduler {
  /** Tasks whose launcher is not chosen yet (and, on resume, that may still be cloned). */
  private readonly queue = new Deque<ScheduledTask>();
  private readonly cloneQueue = new Deque<ScheduledTask>();
  private readonly ready = { local: new Deque<ReadyAttempt>(), remote: new Deque<ReadyAttempt>() };
  private readonly inFlight = { local: 0, remote: 0 };
  private cloning = 0;
  private seq = 0;
  private frontSeq = -1;
  private readonly running = new Map<string, { kill(reason: string): Promise<void> }>();
  private readonly joins = new Map<string, JoinWait>();
  private readonly stepTotals = new Map<string, { total: number; done: number; running: number }>();
  private readonly failedTasks: string[] = [];
  private nextTaskId = 1;
  private succeeded = 0;
  private cloned = 0;
  private attempts = 0;
  private stopping = false;
  private interrupted = false;
  private readonly startedAt = performance.now();
  private finish?: (summary: RunSummary) => void;
  private readonly timers = new Set<NodeJS.Timeout>();

  private readonly hooks: RunHooks;

  constructor(private readonly options: SchedulerOptions) {
    this.hooks = options.hooks ?? new RunHooks(options.decorators);
  }

  /** Runs until every task is done, one failed for good, or {@link interrupt} was called. */
  run(): Promise<RunSummary> {
    const initial = this.options.initialTasks ?? [
      { step: 'start', inputs: ['_parameters/0'], foreachStack: [] },
    ];
    for (const t of initial) this.enqueue(t);
    return new Promise((resolve) => {
      this.finish = resolve;
      this.pump();
    });
  }

  /** Stops every running task, schedules nothing more, and ends the run as interrupted. */
  async interrupt(reason: string): Promise<void> {
    if (!this.interrupted)
      this.options.reporter.notice?.(`Stopping ${this.running.size} running task(s): ${reason}`);
    this.interrupted = true;
    this.stopping = true;
    this.clearQueues();
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    await Promise.all([...this.running.values()].map((r) => r.kill(reason)));
    this.pump();
  }

  private pathspec(t: { step: string; taskId: string }): string {
    return `${this.options.flowName}/${this.options.runId}/${t.step}/${t.taskId}`;
  }

  private enqueue(t: PlannedTask): void {
    const task: ScheduledTask = { ...t, taskId: String(this.nextTaskId++), attempt: 0 };
    const totals = this.stepTotals.get(t.step) ?? { total: 0, done: 0, running: 0 };
    totals.total++;
    this.stepTotals.set(t.step, totals);
    this.queue.push(task);
  }

  private clearQueues(): void {
    this.queue.clear();
    this.cloneQueue.clear();
    this.ready.local.clear();
    this.ready.remote.clear();
  }

  private waiting(): number {
    return this.queue.length + this.cloneQueue.length + this.ready.local.length + this.ready.remote.length;
  }

  /** Moves queued tasks on: to cloning (resume), to a launcher and its kind's slots, and launches what fits. */
  private pump(): void {
    while (!this.stopping && this.queue.length > 0) {
      const task = this.queue.shift() as ScheduledTask;
      if (this.options.cloner && task.attempt === 0) this.cloneQueue.push(task);
      else this.admit(task, false);
    }
    while (!this.stopping && this.cloneQueue.length > 0 && this.cloning < CLONE_CONCURRENCY) {
      this.launch(this.cloneQueue.shift() as ScheduledTask);
    }
    while (!this.stopping) {
      const local = this.hasSlot('local') ? this.ready.local.peek() : undefined;
      const remote = this.hasSlot('remote') ? this.ready.remote.peek() : undefined;
      const next = !local ? remote : !remote ? local : local.seq < remote.seq ? local : remote;
      if (!next) break;
      this.ready[next.kind].shift();
      this.runAttempt(next);
    }
    if (
      this.running.size === 0 &&
      this.cloning === 0 &&
      this.timers.size === 0 &&
      (this.waiting() === 0 || this.stopping)
    ) {
      this.end();
    }
  }

  /** Chooses the attempt's launcher (its `remote` says which cap applies) and queues it for a slot. */
  private admit(task: ScheduledTask, front: boolean): void {
    const launcher =
      this.hooks.step(task.step).launcher(this.taskContext(task), this.hooks.scopesOf) ??
      this.options.defaultLauncher;
    const kind: SlotKind = launcher.remote === true ? 'remote' : 'local';
    const ready = { task, launcher, kind, seq: front ? this.frontSeq-- : this.seq++ };
    if (front) this.ready[kind].unshift(ready);
    else this.ready[kind].push(ready);
  }

  private hasSlot(kind: SlotKind): boolean {
    const { maxWorkers, maxLocalWorkers, maxRemoteWorkers } = this.options;
    if (maxWorkers !== undefined) return this.inFlight.local + this.inFlight.remote < maxWorkers;
    const cap =
      kind === 'local'
        ? (maxLocalWorkers ?? DEFAULT_LOCAL_WORKERS)
        : (maxRemoteWorkers ?? DEFAULT_REMOTE_WORKERS);
    return this.inFlight[kind] < cap;
  }

  private taskContext(task: ScheduledTask) {
    return {
      flowName: this.options.flowName,
      stepName: task.step,
      runId: this.options.runId,
      taskId: task.taskId,
      attempt: task.attempt,
      decorators: this.options.decorators.get(task.step) ?? [],
    };
  }

  private end(): void {
    if (!this.finish) return;
    const finish = this.finish;
    this.finish = undefined;
    const status = this.interrupted ? 'interrupted' : this.failedTasks.length > 0 ? 'failed' : 'successful';
    finish({
      flowName: this.options.flowName,
      runId: this.options.runId,
      status,
      tasksSucceeded: this.succeeded,
      tasksCloned: this.cloned,
      tasksFailed: this.failedTasks.length,
      attempts: this.attempts,
      elapsedMs: performance.now() - this.startedAt,
      failedTasks: [...this.failedTasks],
    });
  }

  /** Resume: clones `task` from the origin run, or else queues it to run. */
  private launch(task: ScheduledTask): void {
    const cloner = this.options.cloner as Cloner;
    const pathspec = this.pathspec(task);
    this.cloning++;
    cloner({ step: task.step, taskId: task.taskId, inputs: task.inputs, foreachStack: task.foreachStack })
      .then((cloned) => {
        this.cloning--;
        if (!cloned) {
          if (this.stopping) return;
          this.admit(task, false);
          return;
        }
        this.succeeded++;
        this.cloned++;
        this.progress(task.step, 1, 0);
        this.options.reporter.taskCloned?.({ pathspec, from: cloned.from });
        this.successors(task, cloned.transition, cloned.data);
      })
      .catch((err: unknown) => {
        this.cloning--;
        this.failedTasks.push(pathspec);
        this.stopping = true;
        this.options.reporter.notice?.(`Could not clone ${pathspec}: ${errorMessage(err)}`);
      })
      .finally(() => this.pump());
  }

  /** Launches one attempt of `task` and settles it when it ends (then the queue moves on). */
  private runAttempt(ready: ReadyAttempt): void {
    const { task, kind } = ready;
    const hooks = this.hooks.step(task.step);
    const plan = hooks.attemptPlan();
    const pathspec = this.pathspec(task);
    const started = performance.now();
    this.inFlight[kind]++;
    const attempt = this.launchAttempt(task, ready.launcher, hooks, plan, pathspec);
    // Logs are saved while the task runs (every few seconds), so `stepflow logs` shows a running task's output.
    const td = this.options.datastore.task(this.options.runId, task.step, task.taskId);
    const logs = captureTaskLogs({
      streams: attempt.launched,
      td,
      attempt: task.attempt,
      storesOwnLogs: attempt.launched.storesOwnLogs,
      line: (stream, line) => this.options.reporter.taskOutput?.({ pathspec, stream, line }),
    });
    attempt.launched.done
      .then(async (outcome) => {
        attempt.clearTimer();
        await logs.finish();
        const done = await td.readDone(task.attempt);
        const ok = outcome.exitCode === 0 && done?.ok === true;
        const reason = failureReason(ok, outcome, done);
        if (!ok && (outcome.killedReason !== undefined || !done)) {
          await recordStoppedAttempt(td, task.attempt, reason, attempt.timedOut(), outcome);
        }
        this.settleAttempt(task, plan, {
          pathspec,
          ok,
          outcome,
          done,
          reason,
          elapsedMs: performance.now() - started,
        });
      })
      .catch((err: unknown) => {
        this.running.delete(pathspec);
        this.failedTasks.push(pathspec);
        this.stopping = true;
        this.options.reporter.notice?.(`Could not finish ${pathspec}: ${errorMessage(err)}`);
      })
      .finally(() => {
        this.inFlight[kind]--;
        this.pump();
      });
  }

  /** The attempt's spec, launched by the step's launcher, its time limit armed and its start reported. */
  private launchAttempt(
    task: ScheduledTask,
    launcher: TaskLauncher,
    hooks: StepHooks,
    plan: AttemptPlan,
    pathspec: string,
  ): { launched: LaunchedTask; clearTimer: () => void; timedOut: () => boolean } {
    const { options } = this;
    const ctx = this.taskContext(task);
    const { decorators } = ctx;
    const spec: TaskSpec = {
      flowName: options.flowName,
      runId: options.runId,
      stepName: task.step,
      taskId: task.taskId,
      attempt: task.attempt,
      maxAttempts: plan.maxAttempts,
      errorRetries: plan.errorRetries,
      inputs: task.inputs,
      ...(task.inputData ? { inputData: task.inputData } : {}),
      foreachStack: task.foreachStack,
      storage: options.storage,
      maxNumSplits: options.maxNumSplits,
      decorators,
    };
    this.attempts++;
    const launched = launcher.launch({
      task: spec,
      pathspec,
      codePackage: options.codePackage.sha,
      bundlePath: options.codePackage.bundlePath,
      env: hooks.environment(ctx),
      outputPrinted: () => options.reporter.printsOutput?.(pathspec) ?? true,
    });
    this.running.set(pathspec, launched);
    const limit = hooks.attemptTimeout(ctx);
    let timedOut = false;
    const timer =
      limit &&
      setTimeout(() => {
        timedOut = true;
        void launched.kill(
          `timed out after ${formatSeconds(limit.seconds)} (the limit set by ${limit.source})`,
        );
      }, limit.seconds * 1000);
    this.progress(task.step, 0, 1);
    options.reporter.taskStarted?.({
      pathspec,
      attempt: task.attempt,
      maxAttempts: plan.maxAttempts,
      launcher: launcher.name,
    });
    return { launched, clearTimer: () => timer && clearTimeout(timer), timedOut: () => timedOut };
  }

  /** After an attempt ended: report it, then follow its transition, retry it, or stop the run. */
  private settleAttempt(task: ScheduledTask, plan: AttemptPlan, end: AttemptEnd): void {
    const { pathspec, ok, outcome, done, reason } = end;
    const willRetry = !ok && !this.stopping && task.attempt + 1 < plan.maxAttempts;
    // The attempts reserved for error handling (after the user's retries) start at once.
    const retryInMs = task.attempt + 1 > plan.userRetries ? 0 : plan.retryDelayMs;
    this.running.delete(pathspec);
    this.progress(task.step, ok || !willRetry ? 1 : 0, -1);
    this.options.reporter.taskFinished?.({
      pathspec,
      attempt: task.attempt,
      maxAttempts: plan.maxAttempts,
      ok,
      elapsedMs: end.elapsedMs,
      willRetry,
      ...(willRetry ? { retryInMs } : {}),
      ...(willRetry && retryInMs > 0 && plan.retryDelayFrom ? { retryDelayFrom: plan.retryDelayFrom } : {}),
      error: outcome.killedReason ? undefined : done?.error,
      reason,
    });
    if (ok) {
      this.succeeded++;
      this.successors(task, done?.transition, done?.data);
    } else if (willRetry) {
      this.retryLater(task, retryInMs);
    } else if (!this.interrupted) {
      this.failedTasks.push(pathspec);
      this.stopping = true;
      this.clearQueues();
    }
  }

  private retryLater(task: ScheduledTask, delayMs: number): void {
    task.attempt++;
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      if (!this.stopping) this.admit(task, true);
      this.pump();
    }, delayMs);
    this.timers.add(timer);
  }

  private progress(step: string, doneDelta: number, runningDelta: number): void {
    const totals = this.stepTotals.get(step);
    if (!totals) return;
    totals.done += doneDelta;
    totals.running += runningDelta;
    if (totals.total >= (this.options.progressThreshold ?? 20)) {
      this.options.reporter.stepProgress?.({
        step,
        done: totals.done,
        running: totals.running,
        total: totals.total,
      });
    }
  }

  private successors(
    task: ScheduledTask,
    transition: Transition | undefined,
    data: InputData['refs'] | undefined,
  ): void {
    if (!transition) return;
    const { graph } = this.options;
    const from = `${task.step}/${task.taskId}`;
    for (const target of transition.targets) {
      if (graph.steps[target]?.isJoin) {
        this.arrive(task, target, data ? { attempt: task.attempt, refs: data } : null);
      } else if (transition.foreach) {
        const count = transition.foreachCount ?? 0;
        for (let index = 0; index < count; index++) {
          const frame = { step: task.step, taskId: task.taskId, field: transition.foreach, index, count };
          this.enqueue({ step: target, inputs: [from], foreachStack: [...task.foreachStack, frame] });
        }
      } else {
        this.enqueue({ step: target, inputs: [from], foreachStack: task.foreachStack });
      }
    }
  }

  /** A join the static checks should have refused: a clear error instead of a crash or a join that never fires. */
  private unjoinable(task: ScheduledTask, joinStep: string, why: string): RuntimeError {
    const { flowName, runId } = this.options;
    return new RuntimeError(
      `${flowName}/${runId}/${task.step}/${task.taskId} cannot be joined at ${joinStep}: ${why}. ` +
        'The flow passed `stepflow check` but cannot run as written; please report it with the flow file.',
      { flow: flowName, runId },
    );
  }

  private arrive(task: ScheduledTask, joinStep: string, data: InputData | null): void {
    const join = this.options.graph.steps[joinStep];
    const split = join.matchingSplit ? this.options.graph.steps[join.matchingSplit] : undefined;
    let stack = task.foreachStack;
    let expected: number;
    let slot: number;
    if (split?.foreach !== undefined) {
      const frame = stack[stack.length - 1];
      if (frame === undefined)
        throw this.unjoinable(task, joinStep, `it is not inside the foreach of ${split.name}`);
      stack = stack.slice(0, -1);
      expected = frame.count;
      slot = frame.index;
    } else {
      expected = join.inFuncs.length;
      slot = join.inFuncs.indexOf(task.step);
      if (slot < 0) throw this.unjoinable(task, joinStep, `${task.step} is not one of its inputs`);
    }
    const key = `${joinStep}|${stack.map((f) => `${f.step}:${f.taskId}:${f.index}`).join('/')}`;
    let wait = this.joins.get(key);
    if (!wait) {
      wait = {
        expected,
        slots: new Array(expected),
        data: new Array(expected).fill(null),
        arrived: 0,
        foreachStack: stack,
      };
      this.joins.set(key, wait);
    }
    wait.slots[slot] = `${task.step}/${task.taskId}`;
    wait.data[slot] = data;
    wait.arrived++;
    if (wait.arrived === wait.expected) {
      this.joins.delete(key);
      const known = wait.data.some((d) => d !== null);
      this.enqueue({
        step: joinStep,
        inputs: wait.slots,
        foreachStack: wait.foreachStack,
        ...(known ? { inputData: wait.data } : {}),
      });
    }
  }
}

/**
 * Why a failed attempt failed, when the scheduler knows more than the attempt's own record: the reason it
 * was stopped (interrupt, time limit), else — when it left no done record — how its process ended.
 * Undefined when the attempt succeeded, or failed with an error it recorded itself.
 */
