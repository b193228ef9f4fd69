/**
 * The local scheduler: launches the tasks of a run as their inputs become ready, at most `maxWorkers` at a
 * time, follows foreach splits and joins, retries failed attempts as the decorators ask, and stops cleanly
 * on failure or interrupt. See ARCHITECTURE.md in this folder.
 *
 * @module
 */

import { errorMessage } from '../common/index.js';
import type { FlowDatastore, ForeachFrame, Transition } from '../datastore/index.js';
import type {
  AttemptPlan,
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
  readonly maxWorkers: number;
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
}

interface ScheduledTask extends PlannedTask {
  readonly taskId: string;
  attempt: number;
}

interface JoinWait {
  readonly expected: number;
  readonly slots: string[];
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
  private readonly queue: ScheduledTask[] = [];
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
    this.queue.length = 0;
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

  private pump(): void {
    while (!this.stopping && this.queue.length > 0 && this.running.size < this.options.maxWorkers) {
      this.launch(this.queue.shift() as ScheduledTask);
    }
    if (this.running.size === 0 && this.timers.size === 0 && (this.queue.length === 0 || this.stopping)) {
      this.end();
    }
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

  private launch(task: ScheduledTask): void {
    const { cloner } = this.options;
    if (!cloner || task.attempt > 0) {
      this.runAttempt(task);
      return;
    }
    const pathspec = this.pathspec(task);
    this.running.set(pathspec, { kill: async () => {} });
    cloner({ step: task.step, taskId: task.taskId, inputs: task.inputs, foreachStack: task.foreachStack })
      .then((cloned) => {
        this.running.delete(pathspec);
        if (!cloned) {
          if (this.stopping) return;
          this.runAttempt(task);
          return;
        }
        this.succeeded++;
        this.cloned++;
        this.progress(task.step, 1, 0);
        this.options.reporter.taskCloned?.({ pathspec, from: cloned.from });
        this.successors(task, cloned.transition);
      })
      .catch((err: unknown) => {
        this.running.delete(pathspec);
        this.failedTasks.push(pathspec);
        this.stopping = true;
        this.options.reporter.notice?.(`Could not clone ${pathspec}: ${errorMessage(err)}`);
      })
      .finally(() => this.pump());
  }

  /** Launches one attempt of `task` and settles it when it ends (then the queue moves on). */
  private runAttempt(task: ScheduledTask): void {
    const hooks = this.hooks.step(task.step);
    const plan = hooks.attemptPlan();
    const pathspec = this.pathspec(task);
    const started = performance.now();
    const attempt = this.launchAttempt(task, hooks, plan, pathspec);
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
      .finally(() => this.pump());
  }

  /** The attempt's spec, launched by the step's launcher, its time limit armed and its start reported. */
  private launchAttempt(
    task: ScheduledTask,
    hooks: StepHooks,
    plan: AttemptPlan,
    pathspec: string,
  ): { launched: LaunchedTask; clearTimer: () => void; timedOut: () => boolean } {
    const { options } = this;
    const decorators = options.decorators.get(task.step) ?? [];
    const ctx = {
      flowName: options.flowName,
      stepName: task.step,
      runId: options.runId,
      taskId: task.taskId,
      attempt: task.attempt,
      decorators,
    };
    const spec: TaskSpec = {
      flowName: options.flowName,
      runId: options.runId,
      stepName: task.step,
      taskId: task.taskId,
      attempt: task.attempt,
      maxAttempts: plan.maxAttempts,
      errorRetries: plan.errorRetries,
      inputs: task.inputs,
      foreachStack: task.foreachStack,
      storage: options.storage,
      maxNumSplits: options.maxNumSplits,
      decorators,
    };
    const launcher = hooks.launcher(ctx, this.hooks.scopesOf) ?? options.defaultLauncher;
    this.attempts++;
    const launched = launcher.launch({
      task: spec,
      pathspec,
      codePackage: options.codePackage.sha,
      bundlePath: options.codePackage.bundlePath,
      env: hooks.environment(ctx),
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
      this.successors(task, done?.transition);
    } else if (willRetry) {
      this.retryLater(task, retryInMs);
    } else if (!this.interrupted) {
      this.failedTasks.push(pathspec);
      this.stopping = true;
      this.queue.length = 0;
    }
  }

  private retryLater(task: ScheduledTask, delayMs: number): void {
    task.attempt++;
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      if (!this.stopping) this.queue.unshift(task);
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

  private successors(task: ScheduledTask, transition: Transition | undefined): void {
    if (!transition) return;
    const { graph } = this.options;
    const from = `${task.step}/${task.taskId}`;
    for (const target of transition.targets) {
      if (graph.steps[target]?.isJoin) {
        this.arrive(task, target);
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

  private arrive(task: ScheduledTask, joinStep: string): void {
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
      wait = { expected, slots: new Array(expected), arrived: 0, foreachStack: stack };
      this.joins.set(key, wait);
    }
    wait.slots[slot] = `${task.step}/${task.taskId}`;
    wait.arrived++;
    if (wait.arrived === wait.expected) {
      this.joins.delete(key);
      this.enqueue({ step: joinStep, inputs: wait.slots, foreachStack: wait.foreachStack });
    }
  }
}

/**
 * Why a failed attempt failed, when the scheduler knows more than the attempt's own record: the reason it
 * was stopped (interrupt, time limit), else — when it left no done record — how its process ended.
 * Undefined when the attempt succeeded, or failed with an error it recorded itself.
 */
