/**
 * Options of `@catchError` and their checks.
 *
 * @module
 */
import * as z from 'zod/mini';
import type { StepWhere } from '../../decorators/contract.js';
import { RESERVED_NAMES } from '../../flow/flow-spec.js';
import { type OptionRules, parseDecoratorOptions } from '../parse-options.js';

/** Options of `@catchError` as written in a flow (`print_exception` is accepted from `--with`). */
export interface CatchErrorOptions {
  /** The artifact that receives the caught exception (`null` when the step succeeded). */
  readonly var?: string;
  /** Print the caught exception to stderr (default true). */
  readonly printException?: boolean;
}

/** Options of `@catchError` after parsing (defaults filled in). */
export interface ParsedCatchErrorOptions {
  readonly var?: string;
  readonly printException: boolean;
}

const ARTIFACT_NAME = /^[A-Za-z][A-Za-z0-9_]*$/;
const reserved = [...RESERVED_NAMES];

const schema = z.strictObject({
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
  printException: z._default(z.boolean(), true),
});

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
