/**
 * Plugin doubles for the decorator layer's unit tests: a step decorator plugin that takes any options
 * as given, and a task launcher that is never used to launch.
 *
 * @module
 */
import type { StepDecoratorPlugin, TaskLauncher } from '../../src/decorators/contract.js';

/**
 * A plugin named `name` with no declared options, whose `parseOptions` returns the options as given;
 * `extra` adds hooks or overrides fields.
 *
 * @example
 * ```ts
 * registerStepDecorator(fakePlugin('probe', { stepInit: (ctx) => seen.push(ctx) }));
 * ```
 */
export function fakePlugin(
  name: string,
  extra: Partial<StepDecoratorPlugin> = {},
): StepDecoratorPlugin<Record<string, unknown>> {
  return { name, optionNames: [], parseOptions: (raw) => ({ ...raw }), ...extra };
}

/**
 * A launcher named `name` for tests of which launcher is chosen; launching with it throws.
 *
 * @example
 * ```ts
 * const launcher = fakeLauncher('remote');
 * ```
 */
export function fakeLauncher(name: string): TaskLauncher {
  return {
    name,
    launch: () => {
      throw new Error('not used');
    },
  };
}
