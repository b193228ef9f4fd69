/**
 * The CPU a `@batch` job runs on (linux x64 or arm64), so the dependency layer is built for it: from the
 * queue's compute environments (EC2 instance types of Graviton families → arm64), from the Fargate job
 * definition's `runtimePlatform`, or from the `STEPFLOW_BATCH_PLATFORM` setting, which overrides both.
 *
 * @module
 */
import { BatchConfigError } from '../errors.js';

/**
 * The platform a job runs on, as the dependency layer is built for it (same shape as the package layer's
 * `JobPlatform`).
 *
 * @example
 * ```ts
 * const p: JobPlatform = { os: 'linux', cpu: 'arm64', libc: 'glibc' };
 * ```
 */
export interface JobPlatform {
  readonly os: 'linux';
  readonly cpu: 'x64' | 'arm64';
  readonly libc: 'glibc';
}

/** A job's CPU architecture in Node's naming. */
export type JobCpu = JobPlatform['cpu'];

/** The setting that forces the job platform. */
export const PLATFORM_SETTING = 'STEPFLOW_BATCH_PLATFORM';

/**
 * The CPU of an EC2 instance type or family as a compute environment lists it: Graviton families (a digit
 * then `g`, as in `m7g`, `c7gn`, `r8g`, `x2gd`, `im4gn`, `g5g`; and `a1`) and `default_arm64` are arm64;
 * every other family, `optimal` and `default_x86_64` are x64.
 *
 * @example
 * ```ts
 * cpuOfInstanceType('m7g.large'); // 'arm64'
 * cpuOfInstanceType('c7gn');      // 'arm64'
 * cpuOfInstanceType('optimal');   // 'x64'
 * cpuOfInstanceType('g5.xlarge'); // 'x64'
 * ```
 */
export function cpuOfInstanceType(instanceType: string): JobCpu {
  const family = instanceType.trim().toLowerCase().split('.')[0] ?? '';
  if (family === 'default_arm64' || family === 'a1') return 'arm64';
  return /^[a-z]+\d+g[a-z]*$/.test(family) ? 'arm64' : 'x64';
}

/**
 * The one CPU of a set of instance types, `undefined` when there are none, or `'mixed'` when they disagree.
 *
 * @example
 * ```ts
 * cpuOfInstanceTypes(['m7g', 'c7g.large']); // 'arm64'
 * cpuOfInstanceTypes(['m7g', 'optimal']);   // 'mixed'
 * ```
 */
export function cpuOfInstanceTypes(instanceTypes: readonly string[]): JobCpu | 'mixed' | undefined {
  const cpus = new Set(instanceTypes.map(cpuOfInstanceType));
  if (cpus.size > 1) return 'mixed';
  return cpus.values().next().value;
}

/**
 * Parses a platform as users write it: `linux-x64`, `linux-arm64` (also `x64`, `arm64`, `x86_64`, `amd64`,
 * `aarch64`, and a `linux/arm64` Docker-style form). Throws a `BatchConfigError` naming the setting.
 *
 * @example
 * ```ts
 * parseJobPlatform('linux-arm64'); // { os: 'linux', cpu: 'arm64', libc: 'glibc' }
 * ```
 */
export function parseJobPlatform(text: string, setting: string = PLATFORM_SETTING): JobPlatform {
  const value = text
    .trim()
    .toLowerCase()
    .replace(/^linux[-/]/, '');
  const cpu =
    value === 'x64' || value === 'x86_64' || value === 'amd64'
      ? 'x64'
      : value === 'arm64' || value === 'aarch64'
        ? 'arm64'
        : undefined;
  if (!cpu) {
    throw new BatchConfigError(
      `${setting}=${JSON.stringify(text)} is not a platform a Batch job runs on. Use linux-x64 or linux-arm64 ` +
        '(or unset it to take the platform from the job queue).',
      { setting },
    );
  }
  return { os: 'linux', cpu, libc: 'glibc' };
}

/**
 * The Fargate `runtimePlatform` of a job definition for a CPU.
 *
 * @example
 * ```ts
 * fargateRuntimePlatform('arm64'); // { operatingSystemFamily: 'LINUX', cpuArchitecture: 'ARM64' }
 * ```
 */
export function fargateRuntimePlatform(cpu: JobCpu): {
  operatingSystemFamily: 'LINUX';
  cpuArchitecture: 'X86_64' | 'ARM64';
} {
  return { operatingSystemFamily: 'LINUX', cpuArchitecture: cpu === 'arm64' ? 'ARM64' : 'X86_64' };
}

/**
 * The platform of a step's jobs: the setting when given, else what the queue's instance types say, else x64
 * (Fargate without the setting, unmanaged environments, `optimal`). Returns a notice when the setting
 * contradicts the queue.
 *
 * @example
 * ```ts
 * jobPlatformFor({ queue: 'q', cpu: 'arm64' }, undefined).platform.cpu; // 'arm64'
 * ```
 */
export function jobPlatformFor(
  queue: { readonly queue: string; readonly cpu?: JobCpu },
  setting: string | undefined,
): { platform: JobPlatform; notice?: string } {
  if (setting !== undefined && setting.trim() !== '') {
    const platform = parseJobPlatform(setting);
    const notice =
      queue.cpu !== undefined && queue.cpu !== platform.cpu
        ? `@batch: ${PLATFORM_SETTING}=${setting} overrides job queue "${queue.queue}", whose instance types are ` +
          `${queue.cpu}; dependencies are built for linux-${platform.cpu}.`
        : undefined;
    return notice ? { platform, notice } : { platform };
  }
  return { platform: { os: 'linux', cpu: queue.cpu ?? 'x64', libc: 'glibc' } };
}
