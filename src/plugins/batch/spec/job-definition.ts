/**
 * The RegisterJobDefinition request of a `@batch` step. A definition holds only what a job cannot
 * override (image, roles, Linux parameters, volumes, log configuration, privileged, platform, Fargate
 * network and ephemeral storage); command, environment, vCPU/memory/GPU and the time limit go in each
 * SubmitJob. It is named by a hash of its content, so identical content is registered once and reused.
 *
 * @module
 */
import type {
  ContainerProperties,
  LinuxParameters,
  LogDriver,
  MountPoint,
  RegisterJobDefinitionCommandInput,
  Volume,
} from '@aws-sdk/client-batch';
import { fargateRuntimePlatform, type JobCpu } from './job-cpu.js';
import { definitionName } from './names.js';
import { type BatchPlatform, type PlatformBatch, validateForPlatform } from './queue-platform.js';
import { checkRequestSize } from './request-size.js';
import type { ResolvedBatch } from './resolve.js';

/** The definition's command: a fixed placeholder, every job overrides it. */
export const PLACEHOLDER_COMMAND: readonly string[] = ['node', '--version'];

/** The definition's sizes: a fixed placeholder valid on EC2 and Fargate, every job overrides them. */
export const PLACEHOLDER_RESOURCES = [
  { type: 'VCPU', value: '1' },
  { type: 'MEMORY', value: '2048' },
] as const;

/** A job definition request without its name (what the name is a hash of). */
export type JobDefinitionContent = Omit<RegisterJobDefinitionCommandInput, 'jobDefinitionName'>;

function linuxParameters(p: PlatformBatch): LinuxParameters | undefined {
  const linux: LinuxParameters = {
    ...(p.sharedMemory !== undefined ? { sharedMemorySize: p.sharedMemory } : {}),
    ...(p.maxSwap !== undefined ? { maxSwap: p.maxSwap } : {}),
    ...(p.swappiness !== undefined ? { swappiness: p.swappiness } : {}),
    ...(p.tmpfs
      ? { tmpfs: [{ containerPath: p.tmpfs.containerPath, size: p.tmpfs.size, mountOptions: ['defaults'] }] }
      : {}),
    ...(p.devices.length > 0
      ? {
          devices: p.devices.map((d) => ({
            hostPath: d.hostPath,
            containerPath: d.containerPath,
            permissions: [...d.permissions],
          })),
        }
      : {}),
  };
  return Object.keys(linux).length > 0 ? linux : undefined;
}

function volumes(p: PlatformBatch): { volumes?: Volume[]; mountPoints?: MountPoint[] } {
  const vols: Volume[] = [
    ...p.hostVolumes.map((v) => ({ name: v.name, host: { sourcePath: v.hostPath } })),
    ...p.efsVolumes.map((v) => ({
      name: v.name,
      efsVolumeConfiguration: { fileSystemId: v.fileSystemId, transitEncryption: 'ENABLED' as const },
    })),
  ];
  if (vols.length === 0) return {};
  const mounts: MountPoint[] = [...p.hostVolumes, ...p.efsVolumes].map((v) => ({
    sourceVolume: v.name,
    containerPath: v.containerPath,
  }));
  return { volumes: vols, mountPoints: mounts };
}

/**
 * The content of the job definition of a step checked for its platform (no validation here: use
 * {@link jobDefinitionFor}). Only fields a job cannot override; optional fields are left out when unset.
 *
 * @example
 * ```ts
 * definitionContent(validateForPlatform(resolved, 'EC2')).containerProperties?.image; // 'node:22'
 * ```
 */
export function definitionContent(p: PlatformBatch, cpu: JobCpu = 'x64'): JobDefinitionContent {
  const fargate = p.platform === 'FARGATE';
  const linux = fargate ? undefined : linuxParameters(p);
  const container: ContainerProperties = {
    image: p.image,
    command: [...PLACEHOLDER_COMMAND],
    resourceRequirements: PLACEHOLDER_RESOURCES.map((r) => ({ ...r })),
    ...(p.iamRole !== undefined ? { jobRoleArn: p.iamRole } : {}),
    ...(fargate ? { executionRoleArn: p.executionRole } : {}),
    ...(linux ? { linuxParameters: linux } : {}),
    ...volumes(p),
    ...(p.logConfiguration
      ? {
          logConfiguration: {
            logDriver: p.logConfiguration.logDriver as LogDriver,
            options: { ...p.logConfiguration.options },
          },
        }
      : {}),
    ...(p.privileged ? { privileged: true } : {}),
    ...(fargate
      ? {
          networkConfiguration: { assignPublicIp: 'ENABLED' as const },
          fargatePlatformConfiguration: { platformVersion: 'LATEST' },
          runtimePlatform: fargateRuntimePlatform(cpu),
        }
      : {}),
    ...(fargate && p.ephemeralStorage !== undefined
      ? { ephemeralStorage: { sizeInGiB: p.ephemeralStorage } }
      : {}),
  };
  return {
    type: 'container',
    platformCapabilities: [p.platform],
    containerProperties: container,
    retryStrategy: { attempts: 1 },
  };
}

/**
 * The RegisterJobDefinition request of a step on a platform (and, on Fargate, for a CPU:
 * `runtimePlatform.cpuArchitecture`, default x64): validates the step for the platform
 * (`validateForPlatform`), builds the content, names it `stepflow-<16 hex of sha256(canonical JSON)>`,
 * and checks the 24 KiB limit. `retryStrategy.attempts` is 1: AWS never retries behind the runtime's
 * back (the runtime's `@retry` makes a new job per attempt). Look the name up as ACTIVE before
 * registering: the same content always has the same name.
 *
 * @example
 * ```ts
 * const request = jobDefinitionFor(resolved, 'EC2');
 * request.jobDefinitionName; // 'stepflow-0123456789abcdef'
 * ```
 */
export function jobDefinitionFor(
  resolved: ResolvedBatch,
  platform: BatchPlatform,
  cpu: JobCpu = 'x64',
): RegisterJobDefinitionCommandInput & { jobDefinitionName: string } {
  const content = definitionContent(validateForPlatform(resolved, platform), cpu);
  const request = { jobDefinitionName: definitionName(content), ...content };
  checkRequestSize('RegisterJobDefinition', request, resolved);
  return request;
}
