/**
 * `@resources`: what a step needs (CPUs, memory, GPUs, shared memory). Locally it only validates; a
 * compute layer such as `@batch` reads it from the step's decorators in its `stepInit` (the larger of its
 * own value and this one wins, as in Metaflow). The resolved options are kept with each attempt record.
 *
 * @module
 */
import * as z from 'zod/mini';
import type { ResolvedDecorator, StepDecoratorPlugin, StepWhere } from '../../decorators/index.js';
import { registerStepDecorator } from '../../decorators/index.js';
import { type OptionRules, parseDecoratorOptions } from '../parse-options.js';

/** The option schema's fields (documented here: the option types are derived from them). */
const fields = {
  /** CPUs, fractions allowed (default 1). */
  cpu: z._default(z.number().check(z.positive()), 1),
  /** Memory in MiB (default 4096). */
  memory: z._default(z.int().check(z.positive()), 4096),
  /** GPUs (default 0). */
  gpu: z._default(z.int().check(z.minimum(0)), 0),
  /** Shared memory (`/dev/shm`) in MiB. */
  sharedMemory: z.optional(z.int().check(z.positive())),
};

const schema = z.strictObject(fields);

/**
 * Options of `@resources` as written in a flow (`shared_memory` is accepted from `--with`): the input type
 * of the option schema.
 *
 * @example
 * ```ts
 * const options: ResourcesOptions = {};
 * ```
 */
export type ResourcesOptions = Readonly<z.input<z.ZodMiniObject<typeof fields>>>;

/**
 * Options of `@resources` after parsing (defaults filled in): the output type of the option schema.
 *
 * @example
 * ```ts
 * const parsed: ParsedResourcesOptions = resourcesPlugin.parseOptions({}, { flowName: 'F', stepName: 's' });
 * ```
 */
export type ParsedResourcesOptions = Readonly<z.output<typeof schema>>;

const rules: OptionRules = {
  cpu: 'a number of CPUs greater than 0 (fractions allowed)',
  memory: 'a whole number of MiB greater than 0',
  gpu: 'a whole number of GPUs, 0 or more',
  sharedMemory: 'a whole number of MiB greater than 0',
};

/**
 * The `@resources` plugin: validation only.
 *
 * @example
 * ```ts
 * resourcesPlugin.parseOptions({ memory: 8192 }, where); // { cpu: 1, memory: 8192, gpu: 0 }
 * ```
 */
export const resourcesPlugin: StepDecoratorPlugin<ParsedResourcesOptions> = {
  name: 'resources',
  optionNames: Object.keys(rules),
  parseOptions(raw: Readonly<Record<string, unknown>>, where: StepWhere): ParsedResourcesOptions {
    const parsed = parseDecoratorOptions('resources', schema, rules, raw, where);
    return parsed.sharedMemory === undefined
      ? { cpu: parsed.cpu, memory: parsed.memory, gpu: parsed.gpu }
      : parsed;
  },
};

/**
 * The `@resources` options among a step's resolved decorators, if it has one (for compute layers).
 *
 * @example
 * ```ts
 * stepInit(ctx) { const wanted = resourcesOf(ctx.decorators); if (wanted) cpu = Math.max(cpu, wanted.cpu); }
 * ```
 */
export function resourcesOf(decorators: readonly ResolvedDecorator[]): ParsedResourcesOptions | undefined {
  const found = decorators.find((d) => d.name === resourcesPlugin.name);
  return found?.options as ParsedResourcesOptions | undefined;
}

registerStepDecorator(resourcesPlugin);

// The decorator users write is made once, in `plugins/recorders.ts`; importing this module registers resourcesPlugin.
export { resources } from '../recorders.js';
