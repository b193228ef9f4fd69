/**
 * Resolving a `@batch` step before any AWS call: options merged with `@resources`, settings filled in,
 * tmpfs, devices, volumes and tags worked out, and every check that does not depend on the platform run.
 * The result ({@link ResolvedBatch}) is plain JSON; the platform-dependent part is `queue-platform.ts`.
 *
 * @module
 */
import type { AttemptTimeout, StepWhere } from '../../../decorators/index.js';
import type { ParsedResourcesOptions } from '../../resources/index.js';
import { type BatchSettings, defaultNodeImage, withRegistry } from '../settings.js';
import {
  type BatchDevice,
  type BatchEfsVolume,
  type BatchHostVolume,
  checkDistinctMounts,
  devicesFor,
  parseEfsVolumes,
  parseHostVolumes,
} from './container.js';
import { BATCH_RESOURCE_DEFAULTS, mergeResources } from './merge-resources.js';
import type { ParsedBatchOptions } from './options.js';
import { checkTags } from './tags.js';
import {
  batchTimeout,
  checkLogConfiguration,
  checkNames,
  checkSizes,
  checkTmpfs,
  type Origin,
} from './validate.js';

/** A tmpfs mount of the container. */
export interface BatchTmpfs {
  readonly containerPath: string;
  /** MiB. */
  readonly size: number;
}

/** Everything about a `@batch` step that can be decided before any AWS call. */
export interface ResolvedBatch {
  readonly flowName: string;
  readonly stepName: string;
  /** vCPUs, after the merge with `@resources`. */
  readonly cpu: number;
  readonly gpu: number;
  /** MiB, after the merge with `@resources`. */
  readonly memory: number;
  /** Where {@link memory} came from (failure messages say which option raises it). */
  readonly memoryFrom: MemoryOrigin;
  /** The image, registry prefix applied. */
  readonly image: string;
  /** Unset when neither the option nor `METAFLOW_BATCH_JOB_QUEUE` gives one: an error at launch. */
  readonly queue?: string;
  /** Unset: the job gets no role of its own (see `notices`). */
  readonly iamRole?: string;
  readonly executionRole?: string;
  readonly sharedMemory?: number;
  readonly maxSwap?: number;
  readonly swappiness?: number;
  /** Set when `useTmpfs` or `tmpfsSize` is given. */
  readonly tmpfs?: BatchTmpfs;
  /** With a tmpfs: point the task's `METAFLOW_TEMPDIR` at it. */
  readonly tmpfsTempdir: boolean;
  /** Chips (`inferentia` or its alias `trainium`). */
  readonly inferentia: number;
  readonly efa: number;
  readonly devices: readonly BatchDevice[];
  readonly ephemeralStorage?: number;
  readonly logConfiguration?: {
    readonly logDriver: string;
    readonly options: Readonly<Record<string, string>>;
  };
  readonly hostVolumes: readonly BatchHostVolume[];
  readonly efsVolumes: readonly BatchEfsVolume[];
  readonly privileged: boolean;
  /** The user's tags: `awsBatchTags` over `METAFLOW_BATCH_DEFAULT_TAGS` (sent whatever EMIT_TAGS says). */
  readonly tags: Readonly<Record<string, string>>;
  /** Keys of {@link tags} that come from `METAFLOW_BATCH_DEFAULT_TAGS` (the others: `awsBatchTags`). */
  readonly tagsFromSetting: readonly string[];
  /** `METAFLOW_BATCH_EMIT_TAGS`: add the system tags (flow, run, step, user). */
  readonly emitSystemTags: boolean;
  /** The attempt time limit sent as `timeout.attemptDurationSeconds` (≥ 60 s). */
  readonly timeout: AttemptTimeout;
  /** The default time limit (`METAFLOW_DEFAULT_RUNTIME_LIMIT`), for attempts without `@timeout`. */
  readonly runtimeLimitSeconds: number;
  /** Things the user should know (printed by the launcher), e.g. that the job has no IAM role. */
  readonly notices: readonly string[];
  /** npm packages the image provides (option `imagePackages` + `STEPFLOW_BATCH_IMAGE_PACKAGES`), sorted. */
  readonly imagePackages: readonly string[];
  /** Folders of the image searched for {@link imagePackages} (`STEPFLOW_BATCH_IMAGE_NODE_PATH`). */
  readonly imageNodePath: readonly string[];
}

/**
 * Where the memory of a `@batch` step came from: the `@batch` option, `@resources` (the larger wins), or
 * the default (4096 MiB). After `stepInit` wrote the effective size back into the options, an explicit
 * `@batch({ memory: 4096 })` reads as the default (same size, same advice).
 *
 * @example
 * ```ts
 * resolveBatch({ where, options: parseBatchOptions({ memory: 8192 }, where), settings }).memoryFrom; // '@batch'
 * ```
 */
export type MemoryOrigin = '@batch' | '@resources' | 'default';

function memoryOrigin(batch: number | undefined, resources: number | undefined): MemoryOrigin {
  if (resources !== undefined && resources >= (batch ?? 0)) return '@resources';
  if (batch === undefined || batch === BATCH_RESOURCE_DEFAULTS.memory) return 'default';
  return '@batch';
}

/** The inputs of {@link resolveBatch}. */
export interface ResolveBatchInput {
  readonly where: StepWhere;
  readonly options: ParsedBatchOptions;
  /** The step's `@resources` options, if it has that decorator. */
  readonly resources?: ParsedResourcesOptions;
  readonly settings: BatchSettings;
  /** The step's time limit as its decorators' `attemptTimeout` hooks report it (from `@timeout`). */
  readonly timeout?: AttemptTimeout;
  /** The launching Node's version, for the default image (default `process.versions.node`). */
  readonly nodeVersion?: string;
}

function origin(option: string, given: unknown, setting: string, fromSetting: unknown): Origin {
  return given === undefined && fromSetting !== undefined ? { option, setting } : { option };
}

/**
 * Resolves and checks a `@batch` step (everything that does not depend on EC2 vs Fargate). Pure: the same
 * inputs always give the same result. Throws a `DecoratorOptionError` (or `BatchConfigError`) naming the
 * flow, step, option, value and allowed range. A missing queue is NOT an error here (the step still runs
 * locally until the launcher exists); `requireQueue` raises it at launch.
 *
 * @example
 * ```ts
 * const resolved = resolveBatch({ where, options: parseBatchOptions({ useTmpfs: true }, where), settings });
 * resolved.tmpfs; // { containerPath: '/metaflow_temp', size: 2048 }
 * ```
 */
export function resolveBatch(input: ResolveBatchInput): ResolvedBatch {
  const { where, options: o, settings } = input;
  const sizes = mergeResources(o, input.resources);
  checkSizes(where, { ...sizes, ...pick(o) });
  const named = o.image ?? settings.image ?? defaultNodeImage(input.nodeVersion);
  const image = withRegistry(named, settings.registry);
  const queue = o.queue ?? settings.queue;
  const iamRole = o.iamRole ?? settings.iamRole;
  const executionRole = o.executionRole ?? settings.executionRole;
  checkNames(
    where,
    { image, queue, iamRole, executionRole },
    {
      image:
        image !== named
          ? { option: 'image', setting: 'METAFLOW_BATCH_CONTAINER_REGISTRY' }
          : origin('image', o.image, 'METAFLOW_BATCH_CONTAINER_IMAGE', settings.image),
      queue: origin('queue', o.queue, 'METAFLOW_BATCH_JOB_QUEUE', settings.queue),
      iamRole: origin('iamRole', o.iamRole, 'METAFLOW_ECS_S3_ACCESS_IAM_ROLE', settings.iamRole),
      executionRole: origin(
        'executionRole',
        o.executionRole,
        'METAFLOW_ECS_FARGATE_EXECUTION_ROLE',
        settings.executionRole,
      ),
    },
  );
  const tmpfsOn = o.useTmpfs || o.tmpfsSize !== undefined;
  const tmpfsSize = o.tmpfsSize ?? Math.max(1, Math.floor(sizes.memory / 2));
  checkTmpfs(where, {
    path: o.tmpfsPath,
    size: tmpfsOn ? tmpfsSize : 0,
    memory: sizes.memory,
    maxSwap: o.maxSwap,
  });
  const hostVolumes = parseHostVolumes(where, o.hostVolumes);
  const efsVolumes = parseEfsVolumes(where, o.efsVolumes);
  checkDistinctMounts(where, [
    ...(tmpfsOn ? [{ option: 'tmpfsPath', path: o.tmpfsPath }] : []),
    ...hostVolumes.map((v) => ({ option: 'hostVolumes', path: v.containerPath })),
    ...efsVolumes.map((v) => ({ option: 'efsVolumes', path: v.containerPath })),
  ]);
  checkLogConfiguration(where, o.logDriver, o.logOptions);
  const tags = { ...settings.defaultTags, ...o.awsBatchTags };
  const fromSetting = new Set(Object.keys(settings.defaultTags).filter((k) => !(k in o.awsBatchTags)));
  checkTags(where, tags, { withSystemTags: settings.emitTags, fromSetting });
  const inferentia = o.trainium ?? o.inferentia ?? 0;
  const notices: string[] = [];
  if (iamRole === undefined) {
    notices.push(
      `@batch on step ${where.flowName}.${where.stepName}: no IAM role (option iamRole or ` +
        'METAFLOW_ECS_S3_ACCESS_IAM_ROLE), so its jobs use the credentials of the instance they run on ' +
        '(the ECS instance role); on Fargate they have none.',
    );
  }
  return {
    flowName: where.flowName,
    stepName: where.stepName,
    ...sizes,
    memoryFrom: memoryOrigin(o.memory, input.resources?.memory),
    image,
    ...defined({ queue, iamRole, executionRole, maxSwap: o.maxSwap, swappiness: o.swappiness }),
    ...(tmpfsOn ? { tmpfs: { containerPath: o.tmpfsPath, size: tmpfsSize } } : {}),
    tmpfsTempdir: o.tmpfsTempdir,
    inferentia,
    efa: o.efa,
    devices: devicesFor(inferentia, o.efa),
    ...defined({ ephemeralStorage: o.ephemeralStorage }),
    ...(o.logDriver ? { logConfiguration: { logDriver: o.logDriver, options: { ...o.logOptions } } } : {}),
    hostVolumes,
    efsVolumes,
    privileged: o.privileged,
    tags,
    tagsFromSetting: [...fromSetting],
    emitSystemTags: settings.emitTags,
    timeout: batchTimeout(where, input.timeout, settings.runtimeLimitSeconds),
    runtimeLimitSeconds: settings.runtimeLimitSeconds,
    notices,
    imagePackages: [...new Set([...(o.imagePackages ?? []), ...(settings.imagePackages ?? [])])].sort(),
    imageNodePath: [...(settings.imageNodePath ?? [])],
  };
}

function pick(o: ParsedBatchOptions) {
  return {
    maxSwap: o.maxSwap,
    swappiness: o.swappiness,
    ephemeralStorage: o.ephemeralStorage,
    inferentia: o.inferentia,
    trainium: o.trainium,
  };
}

function defined<T extends Record<string, unknown>>(values: T): Partial<T> {
  return Object.fromEntries(Object.entries(values).filter(([, v]) => v !== undefined)) as Partial<T>;
}
