/**
 * Calls into decorator plugins from the runtime: how many attempts a step gets, which launcher runs it,
 * and the environment its tasks get. The runtime never looks at a decorator's name.
 *
 * @module
 */

import { MAX_ATTEMPTS_PER_TASK, retryBudget } from '../decorators/attempt-cap.js';
import type {
  AttemptTimeout,
  ResolvedDecorator,
  RuntimeTaskContext,
  TaskLauncher,
} from '../decorators/contract.js';
import { getStepDecorator } from '../decorators/registry.js';

/** Metaflow's cap on attempts per task. */
export const MAX_ATTEMPTS = MAX_ATTEMPTS_PER_TASK;

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

/**
 * The attempt plan of a step: 1 + the largest retry count any decorator asks for, capped at 6.
 *
 * @example
 * ```ts
 * attemptPlan([]); // { maxAttempts: 1, errorRetries: 0, userRetries: 0, retryDelayMs: 0 }
 * ```
 */
export function attemptPlan(decorators: readonly ResolvedDecorator[]): AttemptPlan {
  const { user, error } = retryBudget(decorators);
  let retryDelayMs = 0;
  let retryDelayFrom: string | undefined;
  for (const d of decorators) {
    const counts = getStepDecorator(d.name)?.retryCount?.({ options: d.options });
    const ms = counts?.delayMs ?? 0;
    if (ms > retryDelayMs || (ms === retryDelayMs && !retryDelayFrom && counts?.delayFrom)) {
      retryDelayMs = ms;
      retryDelayFrom = counts?.delayFrom ? `@${d.name}(${counts.delayFrom})` : undefined;
    }
  }
  return {
    maxAttempts: Math.min(MAX_ATTEMPTS, 1 + user + error),
    errorRetries: error,
    userRetries: user,
    retryDelayMs,
    ...(retryDelayFrom ? { retryDelayFrom } : {}),
  };
}

/**
 * The launcher the step's decorators choose (the first that returns one), if any.
 *
 * @example
 * ```ts
 * const launcher = launcherFor(decorators, ctx) ?? new LocalLauncher();
 * ```
 */
export function launcherFor(
  decorators: readonly ResolvedDecorator[],
  ctx: Omit<RuntimeTaskContext<unknown>, 'options'>,
): TaskLauncher | undefined {
  for (const d of decorators) {
    const launcher = getStepDecorator(d.name)?.launcher?.({ ...ctx, options: d.options });
    if (launcher) return launcher;
  }
  return undefined;
}

/**
 * The environment variables the step's decorators ask for.
 *
 * @example
 * ```ts
 * taskEnvironment(decorators, ctx); // { MY_VAR: '1' }
 * ```
 */
export function taskEnvironment(
  decorators: readonly ResolvedDecorator[],
  ctx: Omit<RuntimeTaskContext<unknown>, 'options'>,
): Record<string, string> {
  const env: Record<string, string> = {};
  for (const d of decorators) {
    Object.assign(env, getStepDecorator(d.name)?.taskEnvironment?.({ ...ctx, options: d.options }) ?? {});
  }
  return env;
}

/**
 * The shortest attempt time limit the step's decorators set, if any.
 *
 * @example
 * ```ts
 * attemptTimeoutFor(decorators, ctx); // { seconds: 60, source: '@timeout(minutes=1)' }
 * ```
 */
export function attemptTimeoutFor(
  decorators: readonly ResolvedDecorator[],
  ctx: Omit<RuntimeTaskContext<unknown>, 'options'>,
): AttemptTimeout | undefined {
  let best: AttemptTimeout | undefined;
  for (const d of decorators) {
    const limit = getStepDecorator(d.name)?.attemptTimeout?.({ ...ctx, options: d.options });
    if (limit && (!best || limit.seconds < best.seconds)) best = limit;
  }
  return best;
}
