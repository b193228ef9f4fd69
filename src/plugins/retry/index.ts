/**
 * `@retry`: run a failed task again, as a new attempt, up to `times` more times.
 *
 * @module
 */
import * as z from 'zod/mini';
import type { RetryCounts, StepDecoratorPlugin, StepWhere } from '../../decorators/contract.js';
import { defineStepDecorator } from '../../decorators/registry.js';
import { type OptionRules, parseDecoratorOptions } from '../parse-options.js';

/** The most retries `@retry` allows (6 attempts in all, Metaflow's cap). */
export const MAX_RETRY_TIMES = 5;

/** The longest wait between attempts: 24 days (longer waits overflow Node's timers). */
export const MAX_MINUTES_BETWEEN_RETRIES = 24 * 24 * 60;

/** Options of `@retry` as written in a flow (`minutes_between_retries` is accepted from `--with`). */
export interface RetryOptions {
  /** How many times a failed task is retried: a whole number from 0 to 5 (default 3). */
  readonly times?: number;
  /** Minutes to wait before each retry, fractions allowed (default 2). */
  readonly minutesBetweenRetries?: number;
}

/** Options of `@retry` after parsing (defaults filled in). */
export interface ParsedRetryOptions {
  readonly times: number;
  readonly minutesBetweenRetries: number;
}

const schema = z.strictObject({
  times: z._default(z.int().check(z.minimum(0), z.maximum(MAX_RETRY_TIMES)), 3),
  minutesBetweenRetries: z._default(
    z.number().check(z.minimum(0), z.maximum(MAX_MINUTES_BETWEEN_RETRIES)),
    2,
  ),
});

const rules: OptionRules = {
  times: `a whole number from 0 to ${MAX_RETRY_TIMES}`,
  minutesBetweenRetries: `a number of minutes from 0 to ${MAX_MINUTES_BETWEEN_RETRIES} (24 days)`,
};

/**
 * The `@retry` plugin: asks the runtime for `times` user-code retries, `minutesBetweenRetries` apart.
 *
 * @example
 * ```ts
 * retryPlugin.retryCount?.({ options: { times: 2, minutesBetweenRetries: 0 } });
 * // { user: 2, error: 0, delayMs: 0, delayFrom: 'minutesBetweenRetries: 0' }
 * ```
 */
export const retryPlugin: StepDecoratorPlugin<ParsedRetryOptions> = {
  name: 'retry',
  optionNames: Object.keys(rules),
  parseOptions(raw: Readonly<Record<string, unknown>>, where: StepWhere): ParsedRetryOptions {
    return parseDecoratorOptions('retry', schema, rules, raw, where);
  },
  retryCount({ options }): RetryCounts {
    return {
      user: options.times,
      error: 0,
      delayMs: Math.round(options.minutesBetweenRetries * 60_000),
      delayFrom: `minutesBetweenRetries: ${options.minutesBetweenRetries}`,
    };
  },
};

/**
 * Retries a failed step: each retry is a new attempt in a new process, with its own records and logs.
 * Attempts are capped at 6 per task (counting `@catchError`'s fallback attempt).
 *
 * @example
 * ```ts
 * class TrainFlow extends FlowSpec {
 *   @retry({ times: 2, minutesBetweenRetries: 0.5 })
 *   @step train() { ... this.next(this.end); }
 * }
 * ```
 */
export const retry = defineStepDecorator<RetryOptions>(retryPlugin as StepDecoratorPlugin<unknown>);
