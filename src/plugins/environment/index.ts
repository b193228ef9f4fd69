/**
 * `@environment`: environment variables for the step's task processes.
 *
 * @module
 */
import * as z from 'zod/mini';
import type { StepDecoratorPlugin, StepWhere } from '../../decorators/index.js';
import { registerStepDecorator } from '../../decorators/index.js';
import { formatValue, type OptionRules, parseDecoratorOptions } from '../parse-options.js';

/** A valid environment variable name. */
export const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Options of `@environment` as written in a flow. */
export interface EnvironmentOptions {
  /** Variables by name. Numbers and booleans are turned into strings (`1` → `"1"`). */
  readonly vars?: Readonly<Record<string, string | number | boolean>>;
}

/** Options of `@environment` after parsing: every value a string. */
export interface ParsedEnvironmentOptions {
  readonly vars: Readonly<Record<string, string>>;
}

const schema = z.strictObject({
  vars: z._default(
    z.record(z.string(), z.unknown()).check(
      z.superRefine((vars, ctx) => {
        for (const [name, value] of Object.entries(vars)) {
          if (!ENV_NAME.test(name)) {
            ctx.addIssue({
              code: 'custom',
              message:
                `option "vars" has a bad variable name ${formatValue(name)}: names must be letters, digits ` +
                'and _, not starting with a digit (e.g. "MY_VAR").',
            });
            return;
          }
          const ok =
            typeof value === 'string' ||
            typeof value === 'boolean' ||
            (typeof value === 'number' && Number.isFinite(value));
          if (!ok) {
            ctx.addIssue({
              code: 'custom',
              message:
                `option "vars": variable ${name} must be a string (numbers and booleans are turned into ` +
                `strings), got ${formatValue(value)}.`,
            });
            return;
          }
        }
      }),
    ),
    {},
  ),
});

const rules: OptionRules = {
  vars: 'an object of variable names to string values, e.g. { "MY_VAR": "1" }',
};

/**
 * The `@environment` plugin: the task process gets `vars` in its environment.
 *
 * @example
 * ```ts
 * environmentPlugin.taskEnvironment?.({ ...ctx, options: { vars: { GREETING: 'hi' } } }); // { GREETING: 'hi' }
 * ```
 */
export const environmentPlugin: StepDecoratorPlugin<ParsedEnvironmentOptions> = {
  name: 'environment',
  optionNames: Object.keys(rules),
  parseOptions(raw: Readonly<Record<string, unknown>>, where: StepWhere): ParsedEnvironmentOptions {
    const parsed = parseDecoratorOptions('environment', schema, rules, raw, where);
    return { vars: Object.fromEntries(Object.entries(parsed.vars).map(([k, v]) => [k, String(v)])) };
  },
  taskEnvironment: ({ options }) => options.vars,
};

registerStepDecorator(environmentPlugin);

// The decorator users write is made once, in `plugins/recorders.ts`; importing this module registers environmentPlugin.
export { environment } from '../recorders.js';
