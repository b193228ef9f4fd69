/**
 * Fargate's rules: the valid vCPU/memory pairs (a size that is not one is rounded up to the nearest one,
 * and the runtime says so), and the options Fargate cannot honour, which are errors naming the option
 * instead of being dropped as Metaflow does.
 *
 * @module
 */
import type { StepWhere } from '../../../decorators/index.js';
import { batchOptionError } from '../errors.js';
import { FARGATE_LOG_DRIVERS } from './limits.js';
import type { ResolvedBatch } from './resolve.js';

/** A vCPU count and the memory sizes (MiB) Fargate offers with it. */
export interface FargateCpuSizes {
  readonly cpu: number;
  readonly memory: readonly number[];
}

function steps(from: number, to: number, step: number): number[] {
  const out: number[] = [];
  for (let m = from; m <= to; m += step) out.push(m);
  return out;
}

/** Every valid Fargate vCPU → memory (MiB) combination (aws-batch-and-peers.md §3.2). */
export const FARGATE_SIZES: readonly FargateCpuSizes[] = [
  { cpu: 0.25, memory: [512, 1024, 2048] },
  { cpu: 0.5, memory: steps(1024, 4096, 1024) },
  { cpu: 1, memory: steps(2048, 8192, 1024) },
  { cpu: 2, memory: steps(4096, 16384, 1024) },
  { cpu: 4, memory: steps(8192, 30720, 1024) },
  { cpu: 8, memory: steps(16384, 61440, 4096) },
  { cpu: 16, memory: steps(32768, 122880, 8192) },
];

/** A Fargate size, and whether it had to be rounded up to become one. */
export interface FargateSize {
  readonly cpu: number;
  readonly memory: number;
  /** Set when the requested size was not a valid pair: says what was rounded to what. */
  readonly notice?: string;
}

const LARGEST = FARGATE_SIZES[FARGATE_SIZES.length - 1];
const LARGEST_MEMORY = LARGEST.memory[LARGEST.memory.length - 1];

/**
 * The smallest valid Fargate size with at least `cpu` vCPUs and `memory` MiB (fewest vCPUs first, then
 * least memory). A size beyond Fargate's largest (16 vCPU, 122880 MiB) is an error naming the option.
 *
 * @example
 * ```ts
 * fargateSize(where, 1, 1000);
 * // { cpu: 1, memory: 2048, notice: 'rounded cpu=1, memory=1000 up to the nearest Fargate size: 1 vCPU, 2048 MiB' }
 * fargateSize(where, 1, 4096); // { cpu: 1, memory: 4096 }
 * ```
 */
export function fargateSize(where: StepWhere, cpu: number, memory: number): FargateSize {
  if (cpu > LARGEST.cpu) {
    throw batchOptionError(
      where,
      'cpu',
      cpu,
      `Fargate offers at most ${LARGEST.cpu} vCPUs (valid: ${FARGATE_SIZES.map((s) => s.cpu).join(', ')})`,
      'Lower cpu, or use a queue with EC2 compute environments.',
    );
  }
  for (const size of FARGATE_SIZES) {
    if (size.cpu < cpu) continue;
    const fit = size.memory.find((m) => m >= memory);
    if (fit === undefined) continue;
    if (size.cpu === cpu && fit === memory) return { cpu, memory };
    return {
      cpu: size.cpu,
      memory: fit,
      notice: `rounded cpu=${cpu}, memory=${memory} up to the nearest Fargate size: ${size.cpu} vCPU, ${fit} MiB`,
    };
  }
  throw batchOptionError(
    where,
    'memory',
    memory,
    `Fargate offers at most ${LARGEST_MEMORY} MiB (with ${LARGEST.cpu} vCPUs)`,
    'Lower memory, or use a queue with EC2 compute environments.',
  );
}

/**
 * Throws for the first option Fargate cannot honour: sharedMemory, maxSwap, swappiness, tmpfs (useTmpfs
 * or tmpfsSize), inferentia/trainium, efa, gpu, hostVolumes, privileged, or a log driver other than
 * awslogs and splunk. The error names the option and the queue.
 *
 * @example
 * ```ts
 * checkFargateOptions({ ...resolved, sharedMemory: 256 }); // throws: option "sharedMemory" cannot be used on Fargate
 * ```
 */
export function checkFargateOptions(r: ResolvedBatch): void {
  const where = { flowName: r.flowName, stepName: r.stepName };
  const refuse = (option: string, value: unknown, why: string): never => {
    throw batchOptionError(
      where,
      option,
      value,
      `option "${option}" cannot be used on Fargate (queue "${r.queue}" runs on Fargate): ${why}`,
      `Remove ${option} from this step, or send it to a queue with EC2 compute environments.`,
    );
  };
  const noLinux = 'Fargate jobs have no Linux parameters';
  if (r.sharedMemory !== undefined) refuse('sharedMemory', r.sharedMemory, noLinux);
  if (r.maxSwap !== undefined) refuse('maxSwap', r.maxSwap, noLinux);
  if (r.swappiness !== undefined) refuse('swappiness', r.swappiness, noLinux);
  if (r.tmpfs) refuse('useTmpfs', true, `${noLinux} (tmpfs is given by useTmpfs or tmpfsSize)`);
  if (r.inferentia > 0) refuse('inferentia', r.inferentia, `${noLinux} (no devices)`);
  if (r.efa > 0) refuse('efa', r.efa, `${noLinux} (no devices)`);
  if (r.gpu > 0)
    refuse('gpu', r.gpu, 'Fargate has no GPUs (the value is the larger of @batch and @resources)');
  if (r.hostVolumes.length > 0)
    refuse('hostVolumes', r.hostVolumes[0].hostPath, 'Fargate tasks see no host paths');
  if (r.privileged) refuse('privileged', true, 'Fargate does not run privileged containers');
  const driver = r.logConfiguration?.logDriver;
  if (driver !== undefined && !FARGATE_LOG_DRIVERS.includes(driver)) {
    refuse('logDriver', driver, `Fargate supports only the ${FARGATE_LOG_DRIVERS.join(' and ')} log drivers`);
  }
}
