/**
 * Option parsing shared by the built-in step decorators: a zod schema checks the options, and the first
 * problem becomes a {@link DecoratorOptionError} that names the decorator, the step, the option, the bad
 * value and what is allowed.
 *
 * @module
 */
import type * as z from 'zod/mini';
import { didYouMean } from '../common/did-you-mean.js';
import type { StepWhere } from '../decorators/index.js';
import { DecoratorOptionError } from '../decorators/index.js';

/** What each option must be, in words, e.g. `{ times: 'a whole number from 0 to 5' }`. */
export type OptionRules = Readonly<Record<string, string>>;

const MAX_SHOWN = 80;

/**
 * A value as shown in an error message: strings quoted, objects as JSON, long text shortened.
 *
 * @example
 * ```ts
 * formatValue('3'); // '"3"'
 * formatValue(9); // '9'
 * ```
 */
export function formatValue(value: unknown): string {
  let text: string;
  if (typeof value === 'number' || typeof value === 'boolean' || value === undefined) text = String(value);
  else if (typeof value === 'bigint') text = `${value}n`;
  else if (typeof value === 'function') text = 'a function';
  else if (typeof value === 'symbol') text = value.toString();
  else {
    try {
      text = JSON.stringify(value) ?? String(value);
    } catch {
      text = Object.prototype.toString.call(value);
    }
  }
  return text.length > MAX_SHOWN ? `${text.slice(0, MAX_SHOWN - 1)}…` : text;
}

/**
 * `@retry on step MyFlow.train`: how every option error of a decorator starts.
 *
 * @example
 * ```ts
 * optionErrorPrefix('retry', { flowName: 'MyFlow', stepName: 'train' }); // '@retry on step MyFlow.train'
 * ```
 */
export function optionErrorPrefix(decorator: string, where: StepWhere): string {
  return `@${decorator} on step ${where.flowName}.${where.stepName}`;
}

/**
 * Checks `raw` options against `schema` and returns the parsed options (defaults filled in). Throws a
 * `DecoratorOptionError` for the first problem. Issues raised by refinements (`code: 'custom'`) carry
 * their whole message (after the prefix); other issues are worded from `rules`.
 *
 * @example
 * ```ts
 * const schema = z.strictObject({ times: z._default(z.int().check(z.minimum(0), z.maximum(5)), 3) });
 * parseDecoratorOptions('retry', schema, { times: 'a whole number from 0 to 5' }, { times: 9 }, where);
 * // throws: @retry on step MyFlow.train: option "times" must be a whole number from 0 to 5 (got 9).
 * ```
 */
export function parseDecoratorOptions<S extends z.ZodMiniType>(
  decorator: string,
  schema: S,
  rules: OptionRules,
  raw: Readonly<Record<string, unknown>>,
  where: StepWhere,
): z.output<S> {
  const result = schema.safeParse(raw);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const prefix = optionErrorPrefix(decorator, where);
  const base = { decorator, flow: where.flowName, step: where.stepName };
  if (issue.code === 'unrecognized_keys') {
    const option = issue.keys[0];
    throw new DecoratorOptionError(
      `${prefix}: unknown option "${option}".${didYouMean(option, Object.keys(rules))} ` +
        `Valid options: ${Object.keys(rules).join(', ')}.`,
      { ...base, option, value: raw[option] },
    );
  }
  const option = issue.path.length > 0 ? String(issue.path[0]) : undefined;
  const value = option === undefined ? undefined : raw[option];
  const rule = option === undefined ? undefined : rules[option];
  const tail =
    issue.code === 'custom' || rule === undefined
      ? issue.message
      : `option "${option}" must be ${rule} (got ${formatValue(value)}).`;
  throw new DecoratorOptionError(`${prefix}: ${tail}`, { ...base, option, value });
}
