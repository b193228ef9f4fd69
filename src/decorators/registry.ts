/**
 * The registry of step decorator plugins, and the factory that turns a plugin into the decorator users
 * write (`@retry({ times: 2 })`).
 *
 * @module
 */
import { recordStepDecorator } from '../flow/decorate.js';
import type { StepDecoratorPlugin } from './contract.js';

const REGISTRY_KEY = Symbol.for('stepflow.decoratorRegistry');
const store = globalThis as unknown as Record<symbol, Map<string, StepDecoratorPlugin<unknown>> | undefined>;
store[REGISTRY_KEY] ??= new Map();
const registry = store[REGISTRY_KEY] as Map<string, StepDecoratorPlugin<unknown>>;

/**
 * Registers a plugin under its name (replacing one of the same name).
 *
 * @example
 * ```ts
 * registerStepDecorator(retryPlugin);
 * ```
 */
export function registerStepDecorator<O>(plugin: StepDecoratorPlugin<O>): void {
  registry.set(plugin.name, plugin as StepDecoratorPlugin<unknown>);
}

/**
 * Registers only the in-task hooks of a plugin, for task processes, which need neither its option
 * parsing nor its runtime hooks. When the full plugin is already registered (in the CLI, which imports
 * the built-in plugins before it loads a flow's code package), that one stays.
 *
 * @example
 * ```ts
 * registerTaskHooks('catchError', catchErrorTaskHooks);
 * ```
 */
export function registerTaskHooks(
  name: string,
  hooks: Pick<
    StepDecoratorPlugin<never>,
    'taskPreStep' | 'taskDecorate' | 'taskPostStep' | 'taskException' | 'taskFinished'
  >,
): void {
  if (registry.has(name)) return;
  registry.set(name, {
    name,
    optionNames: [],
    parseOptions: (raw) => raw,
    ...(hooks as Partial<StepDecoratorPlugin<unknown>>),
  });
}

/**
 * The plugin registered under `name`, if any.
 *
 * @example
 * ```ts
 * const retry = getStepDecorator('retry');
 * ```
 */
export function getStepDecorator(name: string): StepDecoratorPlugin<unknown> | undefined {
  return registry.get(name);
}

/**
 * Names of every registered decorator, sorted.
 *
 * @example
 * ```ts
 * knownStepDecorators(); // ['batch', 'catchError', 'environment', ...]
 * ```
 */
export function knownStepDecorators(): string[] {
  return [...registry.keys()].sort();
}

type MethodDecorator = <M extends (this: unknown, ...args: never[]) => unknown>(
  method: M,
  context: ClassMethodDecoratorContext,
) => M;

/**
 * Makes the user-facing decorator of a plugin and registers the plugin. The decorator only records its
 * options on the class; the runtime applies the behaviour through the plugin's hooks.
 *
 * @example
 * ```ts
 * export const retry = defineStepDecorator<RetryOptions>(retryPlugin);
 * // in a flow:  @retry({ times: 2 }) @step train() { ... }
 * ```
 */
export function defineStepDecorator<Options extends object>(
  plugin: StepDecoratorPlugin<unknown>,
): (options?: Options) => MethodDecorator {
  registerStepDecorator(plugin);
  return (options?: Options) => {
    if (typeof options === 'function') {
      throw new TypeError(
        `@${plugin.name} must be called: write @${plugin.name}() or @${plugin.name}({ ... }).`,
      );
    }
    const recorded = { ...(options ?? {}) } as Record<string, unknown>;
    return (method, context) => {
      recordStepDecorator(plugin.name, recorded, context);
      return method;
    };
  };
}
