/**
 * `@batch` and `@resources` together: for cpu, gpu, memory and sharedMemory the larger value wins, as in
 * Metaflow; an option neither gives takes the seed's default (cpu 1, gpu 0, memory 4096 MiB).
 *
 * @module
 */
import type { ParsedResourcesOptions } from '../../resources/index.js';

/** The seed's defaults of the sizes `@batch` and `@resources` share. */
export const BATCH_RESOURCE_DEFAULTS = { cpu: 1, gpu: 0, memory: 4096 } as const;

/** The sizes of a `@batch` step after the merge. */
export interface MergedResources {
  readonly cpu: number;
  readonly gpu: number;
  readonly memory: number;
  readonly sharedMemory?: number;
}

/** The sizes `@batch` itself was given (unset when not written). */
export interface BatchSizes {
  readonly cpu?: number;
  readonly gpu?: number;
  readonly memory?: number;
  readonly sharedMemory?: number;
}

function larger(a: number | undefined, b: number | undefined): number | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return Math.max(a, b);
}

/**
 * Merges the sizes of `@batch` with those of the step's `@resources` (if any): the larger of each wins;
 * unset on both sides → the default. `@resources` always carries its own defaults (cpu 1, memory 4096),
 * so with `@resources` on the step, `@batch({ cpu: 0.25 })` gets 1 vCPU (as in Metaflow): write the
 * fractional size in `@resources` instead.
 *
 * @example
 * ```ts
 * mergeResources({ cpu: 2 }, { cpu: 4, memory: 1024, gpu: 0 }); // { cpu: 4, gpu: 0, memory: 1024 }
 * mergeResources({}, undefined);                                 // { cpu: 1, gpu: 0, memory: 4096 }
 * ```
 */
export function mergeResources(
  batch: BatchSizes,
  resources: ParsedResourcesOptions | undefined,
): MergedResources {
  const sharedMemory = larger(batch.sharedMemory, resources?.sharedMemory);
  return {
    cpu: larger(batch.cpu, resources?.cpu) ?? BATCH_RESOURCE_DEFAULTS.cpu,
    gpu: larger(batch.gpu, resources?.gpu) ?? BATCH_RESOURCE_DEFAULTS.gpu,
    memory: larger(batch.memory, resources?.memory) ?? BATCH_RESOURCE_DEFAULTS.memory,
    ...(sharedMemory === undefined ? {} : { sharedMemory }),
  };
}
