/**
 * `@retry`: run a failed task again, as a new attempt, up to `times` more times.
 *
 * @module
 */
import * as z from 'zod/mini';
import type { RetryCounts, StepDecoratorPlugin, StepWhere } from '../../decorators/index.js';
import { registerStepDecorator } from '../../decorators/index.js';
import { type OptionRules, parseDecoratorOptions } from '../parse-options.js';

/** The most retries `@retry` allows (6 attempts in all, Metaflow's cap). */
export const MAX_RETRY_TIMES = 5;

/** The longest wait between attempts: 24 days (longer waits overflow Node's timers). */
export const MAX_MINUTES_BETWEEN_RETRIES = 24 * 24 * 60;

/** The option schema's fields (documented here: the option types are derived from them). */
const fields = {
  /** How many times a failed task is retried: a whole number from 0 to 5 (default 3). */
  times: z._default(z.int().check(z.minimum(0), z.maximum(MAX_RETRY_TIMES)), 3),
  /** Minutes to wait before each retry, fractions allowed (default 2). */
  minutesBetweenRetries: z._default(
    z.number().check(z.minimum(0), z.maximum(MAX_MINUTES_BETWEEN_RETRIES)),
    2,
  ),
};

const schema = z.strictObject(fields);

/**
 * Options of `@retry` as written in a flow (`minutes_between_retries` is accepted from `--with`): the input
 * type of the option schema.
 *
 * @example
 * ```ts
 * const options: RetryOptions = {};
 * ```
 */
export type RetryOptions = Readonly<z.input<z.ZodMiniObject<typeof fields>>>;

/**
 * Options of `@retry` after parsing (defaults filled in): the output type of the option schema.
 *
 * @example
 * ```ts
 * const parsed: ParsedRetryOptions = retryPlugin.parseOptions({}, { flowName: 'F', stepName: 's' });
 * ```
 */
export type ParsedRetryOptions = Readonly<z.output<typeof schema>>;

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

registerStepDecorator(retryPlugin);

// The decorator users write is made once, in `plugins/recorders.ts`; importing this module registers retryPlugin.
export { retry } from '../recorders.js';
