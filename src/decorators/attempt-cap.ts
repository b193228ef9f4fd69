/**
 * The cap on attempts per task (Metaflow's 6): a step whose decorators ask for more is refused before the
 * run starts, instead of being capped silently.
 *
 * @module
 */
import type { ResolvedDecorator } from './contract.js';
import { DecoratorError } from './errors.js';
import { MAX_ATTEMPTS_PER_TASK, StepHooks } from './step-hooks.js';

export { MAX_ATTEMPTS_PER_TASK };

interface Contribution {
  readonly decorator: ResolvedDecorator;
  readonly user: number;
  readonly error: number;
}

/** The retries a step's decorators ask for: the largest `user` and the largest `error` count. */
export interface RetryBudget {
  readonly user: number;
  readonly error: number;
}

/**
 * The retries a step's decorators ask for (the largest of each kind, as the runtime counts them).
 *
 * @example
 * ```ts
 * retryBudget([retryDecorator, catchErrorDecorator]); // { user: 2, error: 1 }
 * ```
 */
export function retryBudget(decorators: readonly ResolvedDecorator[]): RetryBudget {
  return new StepHooks(decorators).retryBudget();
}

/**
 * True when `attempt` is one of the attempts reserved for error handling (after the last attempt of user
 * code), such as `@catchError`'s fallback.
 *
 * @example
 * ```ts
 * isFallbackAttempt(1, [catchErrorDecorator]); // true
 * ```
 */
export function isFallbackAttempt(attempt: number, decorators: readonly ResolvedDecorator[]): boolean {
  const { user, error } = retryBudget(decorators);
  return error > 0 && attempt > user;
}

function label(c: Contribution): string {
  const times = c.decorator.options.times;
  return typeof times === 'number' ? `@${c.decorator.name} times=${times}` : `@${c.decorator.name}`;
}

/**
 * Throws a `DecoratorError` when a step's decorators ask for more than 6 attempts per task
 * (`1 + largest user retries + largest error retries`), naming what asked for them.
 *
 * @example
 * ```ts
 * const byStep = resolveDecorators(graph, staticUses, withSpecs);
 * checkAttemptCap(graph.flowName, byStep);
 * // Step F.s asks for 7 attempts (@retry times=5 + @catchError), more than the maximum of 6; lower @retry(times).
 * ```
 */
export function checkAttemptCap(
  flowName: string,
  decoratorsByStep: ReadonlyMap<string, readonly ResolvedDecorator[]>,
): void {
  for (const [stepName, decorators] of decoratorsByStep) {
    const contributions: Contribution[] = new StepHooks(decorators)
      .retryCounts()
      .filter(({ counts }) => counts.user > 0 || counts.error > 0)
      .map(({ decorator, counts }) => ({ decorator, user: counts.user, error: counts.error }));
    const user = Math.max(0, ...contributions.map((c) => c.user));
    const error = Math.max(0, ...contributions.map((c) => c.error));
    const attempts = 1 + user + error;
    if (attempts <= MAX_ATTEMPTS_PER_TASK) continue;
    const userMax = contributions.find((c) => c.user === user && user > 0);
    const errorMax = contributions.find((c) => c.error === error && error > 0);
    const named = [userMax, errorMax].filter((c, i, all): c is Contribution => !!c && all.indexOf(c) === i);
    const fix = userMax
      ? typeof userMax.decorator.options.times === 'number'
        ? `lower @${userMax.decorator.name}(times)`
        : `lower the retries @${userMax.decorator.name} asks for`
      : `remove @${errorMax?.decorator.name}`;
    throw new DecoratorError(
      `Step ${flowName}.${stepName} asks for ${attempts} attempts (${named.map(label).join(' + ')}), more ` +
        `than the maximum of ${MAX_ATTEMPTS_PER_TASK}; ${fix}.`,
      { decorator: (userMax ?? errorMax)?.decorator.name ?? 'retry', flow: flowName, step: stepName },
    );
  }
}
