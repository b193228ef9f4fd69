/**
 * The registry of step decorator plugins, and the factory that turns a plugin into the decorator users
 * write (`@retry({ times: 2 })`).
 *
 * @module
 */
import { recordStepDecorator } from '../flow/index.js';
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
 * The decorator users write for the plugin named `name` (`@retry({ times: 2 })`): it only records its
 * options on the class, so a flow's code package carries no plugin code; the runtime applies the behaviour
 * through the registered plugin's hooks. Each built-in decorator is made once, with this, in
 * `plugins/recorders.ts`.
 *
 * @example
 * ```ts
 * export const retry = stepDecorator<RetryOptions>('retry');
 * // in a flow:  @retry({ times: 2 }) @step train() { ... }
 * ```
 */
export function stepDecorator<Options extends object>(name: string): (options?: Options) => MethodDecorator {
  return (options?: Options) => {
    if (typeof options === 'function') {
      throw new TypeError(`@${name} must be called: write @${name}() or @${name}({ ... }).`);
    }
    const recorded = { ...(options ?? {}) } as Record<string, unknown>;
    return (method, context) => {
      recordStepDecorator(name, recorded, context);
      return method;
    };
  };
}

/**
 * Registers a plugin and makes its user-facing decorator ({@link stepDecorator}), for a plugin defined
 * outside stepflow. The decorator only records its options on the class; the runtime applies the behaviour
 * through the plugin's hooks.
 *
 * @example
 * ```ts
 * export const myRetry = defineStepDecorator<MyRetryOptions>(myRetryPlugin);
 * // in a flow:  @myRetry({ times: 2 }) @step train() { ... }
 * ```
 */
export function defineStepDecorator<Options extends object, Parsed = unknown>(
  plugin: StepDecoratorPlugin<Parsed>,
): (options?: Options) => MethodDecorator {
  registerStepDecorator(plugin);
  return stepDecorator<Options>(plugin.name);
}
