/**
 * The one place plugin hooks are called. A step's decorators are bound to their plugins once
 * ({@link StepHooks}); a run binds every step once and keeps the {@link RunScope}s its plugins return
 * ({@link RunHooks}), the way an inngest middleware stack is built once and hands out per-run hooks. The
 * runtime, the task process and the static checks call hooks only through these two classes, and never
 * look at a decorator's name.
 *
 * @module
 */

import type {
  AttemptTimeout,
  ResolvedDecorator,
  RetryCounts,
  RunEnd,
  RunFinishedContext,
  RunScope,
  RuntimeCheckContext,
  RuntimeRunContext,
  RuntimeTaskContext,
  StepDecoratorPlugin,
  StepInitContext,
  StepReplacement,
  TaskHookContext,
  TaskLauncher,
} from './contract.js';
import { getStepDecorator } from './registry.js';

/** Metaflow's cap on attempts per task (1 + user retries + error retries). */
export const MAX_ATTEMPTS_PER_TASK = 6;

/** How many attempts a task gets and how long to wait between them. */
export interface AttemptPlan {
  readonly maxAttempts: number;
  /** Attempts reserved for error handling (after the user's retries). */
  readonly errorRetries: number;
  /** Retries of failed user code. */
  readonly userRetries: number;
  readonly retryDelayMs: number;
  /** Where the wait comes from (`minutesBetweenRetries: 2`), when a decorator sets one. */
  readonly retryDelayFrom?: string;
}

/** A resolved decorator with the plugin that implements it. */
interface Bound {
  readonly decorator: ResolvedDecorator;
  readonly plugin: StepDecoratorPlugin<unknown>;
}

/** What per-attempt runtime hooks get, less the options (added per decorator). */
export type StepTaskContext = Omit<RuntimeTaskContext<unknown>, 'options'>;

/** What in-task hooks get, less the options (added per decorator). */
export type StepTaskHookContext = Omit<TaskHookContext<unknown>, 'options'>;

/**
 * One step's decorators bound to their plugins (unregistered ones are left out), with every hook that
 * concerns a single step: retries, launcher, environment, time limit, `stepInit` and the in-task hooks.
 *
 * @example
 * ```ts
 * const hooks = new StepHooks(spec.decorators);
 * hooks.attemptPlan(); // { maxAttempts: 3, errorRetries: 0, userRetries: 2, retryDelayMs: 120000, ... }
 * await hooks.taskPreStep(base);
 * ```
 */
export class StepHooks {
  private readonly bound: readonly Bound[];

  constructor(readonly decorators: readonly ResolvedDecorator[]) {
    this.bound = decorators.flatMap((decorator) => {
      const plugin = getStepDecorator(decorator.name);
      return plugin ? [{ decorator, plugin }] : [];
    });
  }

  /** The distinct plugins of the step, in decorator order. */
  get plugins(): readonly StepDecoratorPlugin<unknown>[] {
    return [...new Set(this.bound.map((b) => b.plugin))];
  }

  /** Runs `stepInit` of each decorator (they throw a `DecoratorError` to refuse the step). */
  stepInit(ctx: Pick<StepInitContext<unknown>, 'flowName' | 'stepName' | 'graph'>): void {
    for (const { decorator, plugin } of this.bound) {
      plugin.stepInit?.({ ...ctx, options: decorator.options, decorators: this.decorators });
    }
  }

  /** The retries each decorator asks for (those that ask). */
  retryCounts(): { readonly decorator: ResolvedDecorator; readonly counts: RetryCounts }[] {
    return this.bound.flatMap(({ decorator, plugin }) => {
      const counts = plugin.retryCount?.({ options: decorator.options });
      return counts ? [{ decorator, counts }] : [];
    });
  }

  /** The largest `user` and the largest `error` retries any decorator asks for. */
  retryBudget(): { readonly user: number; readonly error: number } {
    let user = 0;
    let error = 0;
    for (const { counts } of this.retryCounts()) {
      user = Math.max(user, counts.user);
      error = Math.max(error, counts.error);
    }
    return { user, error };
  }

  /** The attempt plan: 1 + the largest retry counts, capped at 6, and the longest wait between attempts. */
  attemptPlan(): AttemptPlan {
    const { user, error } = this.retryBudget();
    let retryDelayMs = 0;
    let retryDelayFrom: string | undefined;
    for (const { decorator, counts } of this.retryCounts()) {
      const ms = counts.delayMs ?? 0;
      if (ms > retryDelayMs || (ms === retryDelayMs && !retryDelayFrom && counts.delayFrom)) {
        retryDelayMs = ms;
        retryDelayFrom = counts.delayFrom ? `@${decorator.name}(${counts.delayFrom})` : undefined;
      }
    }
    return {
      maxAttempts: Math.min(MAX_ATTEMPTS_PER_TASK, 1 + user + error),
      errorRetries: error,
      userRetries: user,
      retryDelayMs,
      ...(retryDelayFrom ? { retryDelayFrom } : {}),
    };
  }

  /**
   * The launcher the step's decorators choose (the first that returns one), asking each decorator's run
   * scopes (`scopesOf`) before its plugin.
   */
  launcher(
    ctx: StepTaskContext,
    scopesOf: (plugin: StepDecoratorPlugin<unknown>) => readonly RunScope[] = () => [],
  ): TaskLauncher | undefined {
    for (const { decorator, plugin } of this.bound) {
      const options = decorator.options;
      for (const scope of scopesOf(plugin)) {
        const launcher = scope.launcher?.({ ...ctx, options });
        if (launcher) return launcher;
      }
      const launcher = plugin.launcher?.({ ...ctx, options });
      if (launcher) return launcher;
    }
    return undefined;
  }

  /** The environment variables the decorators ask for (later ones win). */
  environment(ctx: StepTaskContext): Record<string, string> {
    const env: Record<string, string> = {};
    for (const { decorator, plugin } of this.bound) {
      Object.assign(env, plugin.taskEnvironment?.({ ...ctx, options: decorator.options }) ?? {});
    }
    return env;
  }

  /** The shortest attempt time limit any decorator sets, with its source. */
  attemptTimeout(ctx: StepTaskContext): AttemptTimeout | undefined {
    let best: AttemptTimeout | undefined;
    for (const { decorator, plugin } of this.bound) {
      const limit = plugin.attemptTimeout?.({ ...ctx, options: decorator.options });
      if (limit && (!best || limit.seconds < best.seconds)) best = limit;
    }
    return best;
  }

  /** In the task: every `taskPreStep`, in decorator order. */
  async taskPreStep(base: StepTaskHookContext): Promise<void> {
    for (const { decorator, plugin } of this.bound)
      await plugin.taskPreStep?.({ ...base, options: decorator.options });
  }

  /** In the task: the first replacement of the step's body a decorator returns, if any. */
  taskDecorate(base: StepTaskHookContext): StepReplacement | undefined {
    for (const { decorator, plugin } of this.bound) {
      const replacement = plugin.taskDecorate?.({ ...base, options: decorator.options });
      if (replacement) return replacement;
    }
    return undefined;
  }

  /** In the task: every `taskPostStep`, in decorator order. */
  async taskPostStep(base: StepTaskHookContext): Promise<void> {
    for (const { decorator, plugin } of this.bound)
      await plugin.taskPostStep?.({ ...base, options: decorator.options });
  }

  /** In the task: true when a decorator handled the exception (the first that does; the rest are not asked). */
  async taskException(base: StepTaskHookContext, error: unknown): Promise<boolean> {
    for (const { decorator, plugin } of this.bound) {
      if (await plugin.taskException?.({ ...base, options: decorator.options, error })) return true;
    }
    return false;
  }

  /** In the task: every `taskFinished`, in decorator order. */
  async taskFinished(base: StepTaskHookContext, ok: boolean): Promise<void> {
    for (const { decorator, plugin } of this.bound) {
      await plugin.taskFinished?.({ ...base, options: decorator.options, ok });
    }
  }
}

/**
 * A run's plugins, bound once: every step's {@link StepHooks}, the run-wide hooks in order, and the
 * {@link RunScope}s the plugins return, which it finishes exactly once ({@link RunHooks.runtimeFinished},
 * called by the runtime in a `finally`).
 *
 * @example
 * ```ts
 * const hooks = new RunHooks(decorators);
 * await hooks.runtimeCheck(checkContext); // before the run is named
 * try {
 *   await hooks.runtimeInit({ ...checkContext, runId });
 *   const launcher = hooks.step('train').launcher(ctx, hooks.scopesOf) ?? local;
 * } finally {
 *   await hooks.runtimeFinished({ ...checkContext, runId, end: 'successful' });
 * }
 * ```
 */
export class RunHooks {
  private readonly steps = new Map<string, StepHooks>();
  private readonly scopes = new Map<StepDecoratorPlugin<unknown>, RunScope[]>();
  /** The plugins of the run, each once, in step and decorator order. */
  readonly plugins: readonly StepDecoratorPlugin<unknown>[];
  private initialized = false;
  private finished = false;

  constructor(readonly decorators: ReadonlyMap<string, readonly ResolvedDecorator[]>) {
    for (const [stepName, ds] of decorators) this.steps.set(stepName, new StepHooks(ds));
    this.plugins = [...new Set([...this.steps.values()].flatMap((s) => s.plugins))];
  }

  /** The hooks of one step (no decorators for a step the run does not know). */
  step(stepName: string): StepHooks {
    let hooks = this.steps.get(stepName);
    if (!hooks) {
      hooks = new StepHooks([]);
      this.steps.set(stepName, hooks);
    }
    return hooks;
  }

  /** The run scopes a plugin returned for this run (for {@link StepHooks.launcher}). */
  readonly scopesOf = (plugin: StepDecoratorPlugin<unknown>): readonly RunScope[] =>
    this.scopes.get(plugin) ?? [];

  /** The run scopes of the plugin named `name` (tests and benchmarks read a launcher's figures there). */
  scopesNamed(name: string): readonly RunScope[] {
    const plugin = this.plugins.find((p) => p.name === name);
    return plugin ? this.scopesOf(plugin) : [];
  }

  /**
   * Every plugin's `runtimeCheck`, before the run is named. When one throws, the scopes already made are
   * finished (`end: 'refused'`) and the error is thrown.
   */
  async runtimeCheck(ctx: RuntimeCheckContext): Promise<void> {
    try {
      for (const plugin of this.plugins) this.keep(plugin, (await plugin.runtimeCheck?.(ctx)) ?? undefined);
    } catch (err) {
      await this.finishScopes({ ...ctx, end: 'refused' }, err);
      throw err;
    }
  }

  /** Once the run is named: each scope's `runtimeInit`, then each plugin's (which may return a scope). */
  async runtimeInit(ctx: RuntimeRunContext): Promise<void> {
    this.initialized = true;
    for (const plugin of this.plugins) {
      for (const scope of this.scopesOf(plugin)) await scope.runtimeInit?.(ctx);
      this.keep(plugin, (await plugin.runtimeInit?.(ctx)) ?? undefined);
    }
  }

  /**
   * The end of the run, whatever it was; only the first call counts. Every scope's `runtimeFinished`, then
   * (when `runtimeInit` was called) every plugin's; each is called even when an earlier one throws. `failure`
   * is the error the run already ends with: a finisher's error is then only a notice; without one, the
   * first finisher's error is thrown after all were called.
   */
  async runtimeFinished(ctx: RunFinishedContext, failure?: unknown): Promise<void> {
    if (this.finished) return;
    this.finished = true;
    const errors = await this.finishScopes(ctx, failure, false);
    if (this.initialized && ctx.runId !== undefined) {
      const runCtx: RuntimeRunContext = { ...ctx, runId: ctx.runId };
      for (const plugin of this.plugins) {
        try {
          await plugin.runtimeFinished?.(runCtx);
        } catch (err) {
          errors.push(err);
        }
      }
    }
    report(ctx, errors, failure);
  }

  private keep(plugin: StepDecoratorPlugin<unknown>, scope: RunScope | undefined): void {
    if (!scope) return;
    const kept = this.scopes.get(plugin) ?? [];
    kept.push(scope);
    this.scopes.set(plugin, kept);
  }

  /** Finishes and forgets every scope; returns the errors (or reports them when `reportNow`). */
  private async finishScopes(
    ctx: RunFinishedContext | (RuntimeCheckContext & { readonly end: RunEnd }),
    failure: unknown,
    reportNow = true,
  ): Promise<unknown[]> {
    const errors: unknown[] = [];
    const all = [...this.scopes.values()].flat();
    this.scopes.clear();
    for (const scope of all) {
      try {
        await scope.runtimeFinished?.(ctx);
      } catch (err) {
        errors.push(err);
      }
    }
    if (reportNow) report(ctx, errors, failure ?? new Error('refused'));
    return errors;
  }
}

/** A finisher's errors: a notice when the run already fails with `failure`, else the first is thrown. */
function report(ctx: { readonly notice?: (m: string) => void }, errors: unknown[], failure: unknown): void {
  if (errors.length === 0) return;
  if (failure === undefined) throw errors[0];
  for (const err of errors) {
    ctx.notice?.(`A plugin could not finish the run cleanly: ${(err as Error)?.message ?? String(err)}`);
  }
}
