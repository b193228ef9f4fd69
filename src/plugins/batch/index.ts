/**
 * `@batch`: run a step on AWS Batch. This part decides everything that can be decided before any AWS
 * call: options ({@link parseBatchOptions}), the merge with `@resources`, the settings they fall back on,
 * every AWS limit that does not depend on the platform (`stepInit`), the platform-dependent checks
 * ({@link validateForPlatform}), and the requests a launcher sends ({@link jobDefinitionFor},
 * {@link submitJobRequest}). Before the run is named, `runtimeCheck` makes and prepares the run's
 * {@link BatchLauncher} (S3 datastore required; queues, platform checks and job definitions), so a run that
 * cannot start is refused without a run id; the run's scope ({@link BatchRunScope}) owns it, hands it
 * every attempt of a `@batch` step (one AWS Batch job each, followed by one poller per run) and closes it
 * when the run ends, however it ends. See ARCHITECTURE.md.
 *
 * @module
 */
import { type Config, loadConfig } from '../../config/index.js';
import type {
  AttemptTimeout,
  ResolvedDecorator,
  RunScope,
  RuntimeCheckContext,
  RuntimeTaskContext,
  StepDecoratorPlugin,
  StepInitContext,
  StepWhere,
  TaskLauncher,
} from '../../decorators/index.js';
import { registerStepDecorator, StepHooks } from '../../decorators/index.js';
import { resourcesOf } from '../resources/index.js';
import { batchCommand } from './command.js';
import { BatchConfigError } from './errors.js';
import { BatchLauncher, type BatchLauncherOptions } from './jobs/launcher.js';
import { batchSettings } from './settings.js';
import {
  BATCH_OPTION_NAMES,
  type BatchOptions,
  DEFAULT_TMPFS_PATH,
  type ParsedBatchOptions,
  parseBatchOptions,
} from './spec/options.js';
import { type ResolvedBatch, resolveBatch } from './spec/resolve.js';

export { type BatchApi, type CallCounts, sdkBatchApi } from './aws.js';
export {
  BATCH_HELP,
  type BatchJobsOptions,
  batchCommand,
  batchKillCommand,
  batchListCommand,
} from './command.js';
export { BatchConfigError, BatchLaunchError, BatchRequestError, batchOptionError } from './errors.js';
export { BatchJob, type BatchJobRecord } from './jobs/batch-job.js';
export {
  classifyFailure,
  type FailureInput,
  type FailureKind,
  type JobFailure,
  reasonsOf,
  spotReclaimReason,
} from './jobs/classify-failure.js';
export { BatchLauncher, type BatchLauncherOptions } from './jobs/launcher.js';
export { DESCRIBE_JOBS_MAX, JobPoller, type JobWatcher } from './jobs/poller.js';
export { BatchPreparation, type PreparedStep, type QueueInfo } from './jobs/prepare.js';
export { NEVER_PLACEABLE, runnableVerdict } from './jobs/stuck-runnable.js';
export { isAccessDenied, submitJobError } from './jobs/submit-errors.js';
export { DEFAULT_LOG_GROUP, LogFollower } from './logs/cloudwatch-reader.js';
export { storeBatchPackage } from './package/sdk-bundle.js';
export {
  type BatchSettings,
  batchSettings,
  defaultNodeImage,
  namesRegistry,
  resolveImage,
  withRegistry,
} from './settings.js';
export { type BatchDevice, type BatchEfsVolume, type BatchHostVolume, devicesFor } from './spec/container.js';
export { FARGATE_SIZES, type FargateSize, fargateSize } from './spec/fargate.js';
export { definitionContent, type JobDefinitionContent, jobDefinitionFor } from './spec/job-definition.js';
export { BATCH_LIMITS } from './spec/limits.js';
export { BATCH_RESOURCE_DEFAULTS, mergeResources } from './spec/merge-resources.js';
export { canonicalJson, definitionName, type JobNameParts, jobNameFor } from './spec/names.js';
export {
  type BatchPlatform,
  type PlatformBatch,
  platformOf,
  requireQueue,
  validateForPlatform,
} from './spec/queue-platform.js';
export {
  type BatchTmpfs,
  type MemoryOrigin,
  type ResolveBatchInput,
  type ResolvedBatch,
  resolveBatch,
} from './spec/resolve.js';
export { CREDENTIAL_ENV_NAMES, type SubmitJobInput, submitJobRequest } from './spec/submit-job-request.js';
export { SYSTEM_TAG_KEYS, systemTags } from './spec/tags.js';
export {
  BATCH_OPTION_NAMES,
  type BatchOptions,
  DEFAULT_TMPFS_PATH,
  type ParsedBatchOptions,
  parseBatchOptions,
};

/** What {@link resolveBatchStep} needs: the step and its resolved decorators. */
export interface BatchStepContext extends StepWhere {
  readonly options: ParsedBatchOptions;
  readonly decorators: readonly ResolvedDecorator[];
}

/**
 * The step's time limit as its decorators' `attemptTimeout` hooks report it for a first attempt (from
 * `@timeout`), the shortest one; `undefined` when none sets one.
 *
 * @example
 * ```ts
 * stepTimeout({ flowName: 'F', stepName: 's', decorators }); // { seconds: 600, source: '@timeout(minutes=10)' }
 * ```
 */
export function stepTimeout(
  ctx: StepWhere & { readonly decorators: readonly ResolvedDecorator[] },
): AttemptTimeout | undefined {
  const { flowName, stepName, decorators } = ctx;
  return new StepHooks(decorators).attemptTimeout({
    flowName,
    stepName,
    runId: '',
    taskId: '',
    attempt: 0,
    decorators,
  });
}

/**
 * Resolves a `@batch` step as `stepInit` does: merges `@resources`, reads the settings from `config`
 * (default: `loadConfig()`), takes the time limit from `@timeout`, checks everything platform-independent.
 * The launcher calls it again at launch (same inputs, same result), then {@link validateForPlatform}.
 *
 * @example
 * ```ts
 * const resolved = resolveBatchStep({ flowName, stepName, options, decorators });
 * const definition = jobDefinitionFor(resolved, 'EC2');
 * ```
 */
export function resolveBatchStep(ctx: BatchStepContext, config: Config = loadConfig()): ResolvedBatch {
  return resolveBatch({
    where: { flowName: ctx.flowName, stepName: ctx.stepName },
    options: ctx.options,
    resources: resourcesOf(ctx.decorators),
    settings: batchSettings(config),
    timeout: stepTimeout(ctx),
  });
}

/**
 * What a run may set for its `@batch` launcher through `prepareRun({ pluginOptions: { batch: ... } })`
 * (tests and benchmarks: a fake or counted API, a faster poll, a submit rate).
 *
 * @example
 * ```ts
 * await prepareRun({ flow, storage, parameters: {}, pluginOptions: { batch: { pollMs: 100 } satisfies BatchRunOptions } });
 * ```
 */
export type BatchRunOptions = Partial<Pick<BatchLauncherOptions, 'api' | 'pollMs' | 'submitRate'>>;

/**
 * What `@batch` keeps for one run: the run's {@link BatchLauncher} (with its AWS clients and its poller),
 * made and prepared by `runtimeCheck` before the run is named, handed every attempt of a `@batch` step,
 * and closed when the run ends, however it ends.
 *
 * @example
 * ```ts
 * const run = await prepareRun({ flow, storage, parameters: {} });
 * const scope = run.scopesOf('batch')[0] as BatchRunScope | undefined;
 * scope?.batchLauncher.calls; // { SubmitJob: 3, DescribeJobs: 4, ... }
 * ```
 */
export class BatchRunScope implements RunScope {
  constructor(readonly batchLauncher: BatchLauncher) {}

  launcher(): TaskLauncher {
    return this.batchLauncher;
  }

  runtimeFinished(): void {
    this.batchLauncher.close();
  }
}

/** The run's `@batch` steps, resolved; empty when no step has `@batch`. */
function batchSteps(ctx: RuntimeCheckContext): ResolvedBatch[] {
  const steps: ResolvedBatch[] = [];
  for (const [stepName, decorators] of ctx.decorators ?? []) {
    const mine = decorators.find((d) => d.name === batchPlugin.name);
    if (!mine) continue;
    steps.push(
      resolveBatchStep({
        flowName: ctx.flowName,
        stepName,
        options: mine.options as unknown as ParsedBatchOptions,
        decorators,
      }),
    );
  }
  return steps;
}

/**
 * Before the run is named: makes the run's launcher and prepares it (S3 datastore, queues, platform checks,
 * job definitions), so everything that can refuse the run does; the run's scope then owns it.
 */
async function runtimeCheck(ctx: RuntimeCheckContext): Promise<BatchRunScope | undefined> {
  const steps = batchSteps(ctx);
  if (steps.length === 0) return undefined;
  const overrides = ctx.pluginOptions?.[batchPlugin.name] as BatchRunOptions | undefined;
  const launcher = new BatchLauncher({ run: ctx, steps, ...overrides });
  try {
    await launcher.prepare();
  } catch (err) {
    launcher.close();
    throw err;
  }
  return new BatchRunScope(launcher);
}

/** Reached only when the run has no `@batch` scope: `runtimeCheck` did not run for this run. */
function launcher(ctx: RuntimeTaskContext<ParsedBatchOptions>): TaskLauncher | undefined {
  throw new BatchConfigError(
    `@batch on step ${ctx.flowName}.${ctx.stepName}: no AWS Batch launcher for run ${ctx.runId} (the ` +
      "plugin's runtimeCheck did not run for this run).",
    { setting: 'METAFLOW_BATCH_JOB_QUEUE', flow: ctx.flowName, step: ctx.stepName },
  );
}

function stepInit(ctx: StepInitContext<ParsedBatchOptions>): void {
  const resolved = resolveBatchStep(ctx);
  // Write the effective sizes back (as Metaflow does), so attempt records show what the job gets. Each is
  // idempotent under a second resolve (max, alias folded); the image is not written back (a registry
  // prefix must not be applied twice).
  const options = ctx.options as { -readonly [K in keyof ParsedBatchOptions]: ParsedBatchOptions[K] };
  options.cpu = resolved.cpu;
  options.gpu = resolved.gpu;
  options.memory = resolved.memory;
  if (resolved.sharedMemory !== undefined) options.sharedMemory = resolved.sharedMemory;
  if (options.trainium !== undefined) {
    options.inferentia = resolved.inferentia;
    delete options.trainium;
  }
}

/**
 * The `@batch` plugin: `parseOptions` checks shapes and fills defaults; `stepInit` merges `@resources`,
 * resolves settings and runs every check that does not need the platform; `runtimeCheck` prepares the
 * run's {@link BatchLauncher} (a missing queue or a local datastore refuses the run before it is named)
 * and returns the run's {@link BatchRunScope}, which hands it every `@batch` attempt and closes it when
 * the run ends.
 *
 * @example
 * ```ts
 * batchPlugin.parseOptions({ memory: 8192 }, { flowName: 'F', stepName: 'train' }).tmpfsPath; // '/metaflow_temp'
 * ```
 */
export const batchPlugin: StepDecoratorPlugin<ParsedBatchOptions> = {
  name: 'batch',
  optionNames: BATCH_OPTION_NAMES,
  checkedOnlyAtRun: [
    'the datastore is S3 (chosen when the run starts)',
    'a job queue is set and exists, and its platform (EC2 or Fargate) takes these options (needs AWS)',
  ],
  commands: [batchCommand],
  parseOptions: parseBatchOptions,
  stepInit,
  runtimeCheck,
  launcher,
};

registerStepDecorator(batchPlugin);

// The decorator users write is made once, in `plugins/recorders.ts`; importing this module registers batchPlugin.
export { batch } from '../recorders.js';
