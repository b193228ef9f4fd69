/**
 * `@timeout`: a time limit per attempt. The runtime stops an attempt that runs longer (its whole process
 * group), records it as timed out, and retries it when `@retry` allows.
 *
 * @module
 */
import * as z from 'zod/mini';
import type { AttemptTimeout, StepDecoratorPlugin, StepWhere } from '../../decorators/index.js';
import { isFallbackAttempt, registerStepDecorator } from '../../decorators/index.js';
import { type OptionRules, parseDecoratorOptions } from '../parse-options.js';

/** The longest limit: 24 days (longer ones overflow Node's timers). */
export const MAX_TIMEOUT_SECONDS = 24 * 24 * 3600;

/** Options of `@timeout`: the limit is their sum. Give at least one. */
export interface TimeoutOptions {
  readonly seconds?: number;
  readonly minutes?: number;
  readonly hours?: number;
}

/** Options of `@timeout` after parsing: the ones given, as written. */
export type ParsedTimeoutOptions = TimeoutOptions;

const UNITS = ['seconds', 'minutes', 'hours'] as const;
const UNIT_SECONDS: Readonly<Record<(typeof UNITS)[number], number>> = {
  seconds: 1,
  minutes: 60,
  hours: 3600,
};

/**
 * The limit in seconds that `@timeout` options set (the sum of the units given).
 *
 * @example
 * ```ts
 * timeoutSeconds({ minutes: 1, seconds: 30 }); // 90
 * ```
 */
export function timeoutSeconds(options: TimeoutOptions): number {
  return UNITS.reduce((total, unit) => total + (options[unit] ?? 0) * UNIT_SECONDS[unit], 0);
}

/**
 * How `@timeout` options were written, for messages: `@timeout(minutes=5)`.
 *
 * @example
 * ```ts
 * timeoutSource({ seconds: 5 }); // '@timeout(seconds=5)'
 * ```
 */
export function timeoutSource(options: TimeoutOptions): string {
  const given = UNITS.filter((unit) => options[unit] !== undefined).map((unit) => `${unit}=${options[unit]}`);
  return `@timeout(${given.join(', ')})`;
}

const amount = z.optional(z.number().check(z.minimum(0)));
const schema = z.strictObject({ seconds: amount, minutes: amount, hours: amount }).check(
  z.superRefine((options, ctx) => {
    const total = timeoutSeconds(options);
    if (UNITS.every((unit) => options[unit] === undefined)) {
      ctx.addIssue({
        code: 'custom',
        message: 'give a time limit with seconds, minutes and/or hours, e.g. @timeout({ minutes: 5 }).',
      });
    } else if (total <= 0) {
      ctx.addIssue({
        code: 'custom',
        message: `the time limit must be greater than 0 (got ${timeoutSource(options).slice(1)}).`,
      });
    } else if (total > MAX_TIMEOUT_SECONDS) {
      ctx.addIssue({
        code: 'custom',
        message:
          `the time limit must be at most 24 days (${MAX_TIMEOUT_SECONDS} seconds); ` +
          `got ${total} seconds from ${timeoutSource(options).slice(1)}.`,
      });
    }
  }),
);

const rules: OptionRules = {
  seconds: 'a number of seconds ≥ 0',
  minutes: 'a number of minutes ≥ 0',
  hours: 'a number of hours ≥ 0',
};

/**
 * The `@timeout` plugin: sets the attempt time limit the runtime enforces (not on the fallback attempt
 * `@catchError` reserves, which does not run the step's code).
 *
 * @example
 * ```ts
 * timeoutPlugin.attemptTimeout?.({ ...ctx, options: { seconds: 5 } });
 * // { seconds: 5, source: '@timeout(seconds=5)' }
 * ```
 */
export const timeoutPlugin: StepDecoratorPlugin<ParsedTimeoutOptions> = {
  name: 'timeout',
  optionNames: [...UNITS],
  parseOptions(raw: Readonly<Record<string, unknown>>, where: StepWhere): ParsedTimeoutOptions {
    const parsed = parseDecoratorOptions('timeout', schema, rules, raw, where);
    return Object.fromEntries(Object.entries(parsed).filter(([, v]) => v !== undefined));
  },
  attemptTimeout({ options, attempt, decorators }): AttemptTimeout | undefined {
    // As in Metaflow, the fallback attempt of @catchError (which does not run the step) has no limit.
    if (isFallbackAttempt(attempt, decorators)) return undefined;
    return { seconds: timeoutSeconds(options), source: timeoutSource(options) };
  },
};

registerStepDecorator(timeoutPlugin);

// The decorator users write is made once, in `plugins/recorders.ts`; importing this module registers timeoutPlugin.
export { timeout } from '../recorders.js';
