/**
 * Options of `@catchError` and their checks.
 *
 * @module
 */
import * as z from 'zod/mini';
import type { StepWhere } from '../../decorators/index.js';
import { RESERVED_NAMES } from '../../flow/index.js';
import { type OptionRules, parseDecoratorOptions } from '../parse-options.js';

const ARTIFACT_NAME = /^[A-Za-z][A-Za-z0-9_]*$/;
const reserved = [...RESERVED_NAMES];

/** The option schema's fields (documented here: the option types are derived from them). */
const fields = {
  /** The artifact that receives the caught exception (`null` when the step succeeded). */
  var: z.optional(
    z.string().check(
      z.regex(ARTIFACT_NAME),
      z.superRefine((name, ctx) => {
        if (RESERVED_NAMES.has(name)) {
          ctx.addIssue({
            code: 'custom',
            message:
              `option "var" must not be a reserved name (got "${name}"; reserved: ${reserved.join(', ')}). ` +
              'Choose another artifact name, e.g. "failure".',
          });
        }
      }),
    ),
  ),
  /** Print the caught exception to stderr (default true). */
  printException: z._default(z.boolean(), true),
};

const schema = z.strictObject(fields);

/**
 * Options of `@catchError` as written in a flow (`print_exception` is accepted from `--with`): the input
 * type of the option schema.
 *
 * @example
 * ```ts
 * const options: CatchErrorOptions = {};
 * ```
 */
export type CatchErrorOptions = Readonly<z.input<z.ZodMiniObject<typeof fields>>>;

/**
 * Options of `@catchError` after parsing (defaults filled in): the output type of the option schema.
 *
 * @example
 * ```ts
 * const parsed: ParsedCatchErrorOptions = parseCatchErrorOptions({}, { flowName: 'F', stepName: 's' });
 * ```
 */
export type ParsedCatchErrorOptions = Readonly<z.output<typeof schema>>;

const rules: OptionRules = {
  var: 'an artifact name: letters, digits and _, starting with a letter (e.g. "failure")',
  printException: 'true or false',
};

/** Option names of `@catchError`, camelCase. */
export const CATCH_ERROR_OPTION_NAMES: readonly string[] = Object.keys(rules);

/**
 * Checks `@catchError` options and fills in defaults; throws a `DecoratorOptionError` for a bad one.
 *
 * @example
 * ```ts
 * parseCatchErrorOptions({ var: 'failure' }, where); // { var: 'failure', printException: true }
 * ```
 */
export function parseCatchErrorOptions(
  raw: Readonly<Record<string, unknown>>,
  where: StepWhere,
): ParsedCatchErrorOptions {
  const parsed = parseDecoratorOptions('catchError', schema, rules, raw, where);
  return parsed.var === undefined ? { printException: parsed.printException } : parsed;
}
