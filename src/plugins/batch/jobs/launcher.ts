/**
 * The run's AWS Batch launcher: made once per run by the plugin's `runtimeCheck` and held by the run's
 * scope (../index.ts), it checks the datastore is S3, prepares every `@batch` step before the first task
 * (queue platforms, platform checks, job definitions: see prepare.ts), stores the code package with the
 * SDK bundle the container needs (../package/sdk-bundle.ts), and launches each attempt as a job
 * (batch-job.ts) followed by one poller for the run.
 *
 * @module
 */
import { randomUUID } from 'node:crypto';
import { regionEnvironment } from '../../../aws/index.js';
import { Limiter } from '../../../common/index.js';
import { type Config, loadConfig } from '../../../config/index.js';
import type { StorageBackend } from '../../../datastore/index.js';
import { attemptFile, taskPrefix } from '../../../datastore/index.js';
import type {
  RuntimeCheckContext,
  RuntimeRunContext,
  TaskLauncher,
  TaskLaunchSpec,
} from '../../../decorators/index.js';
import { type BatchApi, type CallCounts, sdkBatchApi } from '../aws.js';
import { LOGS_MIN_MS_ENV } from '../bootstrap/log-saver.js';
import { BOOTSTRAP_ENV } from '../bootstrap/main.js';
import { BOOTSTRAP_SCRIPT } from '../bootstrap/script.js';
import { BatchConfigError } from '../errors.js';
import { TailBudget, uploadFloorMs } from '../logs/task-log-tail.js';
import { storeBatchPackage } from '../package/sdk-bundle.js';
import { layerEnvironment, type ShippedLayer, shipLayers } from '../package/ship-layers.js';
import { arraySettings } from '../settings.js';
import type { ResolvedBatch } from '../spec/resolve.js';
import { submitJobRequest } from '../spec/submit-job-request.js';
import { ArrayGrouper } from './array-group.js';
import { BatchJob, type BatchJobRecord } from './batch-job.js';
import { DeferredJob, lazyApi } from './deferred-job.js';
import { JobPoller } from './poller.js';
import { BatchPreparation, type PreparedStep } from './prepare.js';
import { type Clock, SubmitRate } from './submit-rate.js';
import {
  type JobStopping,
  KILL_WAIT_S,
  KillProgress,
  type TerminateRetry,
  terminateReason,
  terminateWithRetry,
} from './terminate.js';
import { SUBMISSION_ENV, submitThrottled } from './throttle-retries.js';

/**
 * Settings passed on to the job (as `METAFLOW_<name>`), resolved here from the environment and the profile
 * file like every setting, so the task in the container sees what the launching side sees: the S3
 * endpoint, encryption and retries, the user, and the roots of the datastore and of the `S3` data tool.
 * Never credentials.
 *
 * @example
 * ```ts
 * PASSED_SETTINGS.includes('DATATOOLS_S3ROOT'); // true: new S3({ run: this }) works inside the job
 * ```
 */
export const PASSED_SETTINGS = [
  'S3_ENDPOINT_URL',
  'S3_SERVER_SIDE_ENCRYPTION',
  'S3_RETRY_COUNT',
  'USER',
  'DATASTORE_SYSROOT_S3',
  'DATATOOLS_S3ROOT',
] as const;

/** The `METAFLOW_*` variables of {@link PASSED_SETTINGS} that have a value. */
function passedSettings(config: Config): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of PASSED_SETTINGS) {
    const value = config.get(name);
    if (value !== undefined && value !== null && value !== '') out[`METAFLOW_${name}`] = String(value);
  }
  return out;
}

/**
 * Options of {@link BatchLauncher}.
 *
 * @example
 * ```ts
 * const options: BatchLauncherOptions = { run: ctx, steps: [resolved], pollMs: 250 };
 * ```
 */
export interface BatchLauncherOptions {
  /**
   * The run; without its id when the launcher is made by `runtimeCheck`, before the run is named (each
   * attempt's spec carries it).
   */
  readonly run: RuntimeRunContext | RuntimeCheckContext;
  /** The `@batch` steps of the run, resolved. */
  readonly steps: readonly ResolvedBatch[];
  /** The AWS calls (default: the SDK clients, counted into {@link BatchLauncher.calls}). */
  readonly api?: BatchApi;
  /** Poll interval in ms (default `STEPFLOW_BATCH_POLL_MS` or 1000). */
  readonly pollMs?: number;
  /** Submissions per second at most (default 50; adaptive below it, see submit-rate.ts). */
  readonly submitRate?: number;
  /** The launching environment (default `process.env`). */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Times a job lost to a spot reclaim is resubmitted for the same attempt (default `STEPFLOW_SPOT_RETRIES`, 3). */
  readonly spotRetries?: number;
  /** Stores the package the jobs fetch (default {@link storeBatchPackage}; tests skip the SDK bundle). */
  readonly storePackage?: typeof storeBatchPackage;
  /** TerminateJob retries on kill (default 4 calls, 500 ms doubling; tests make them fast). */
  readonly terminateRetry?: TerminateRetry;
  /** The poller's clock, for its DescribeJobs deadline (tests). */
  readonly pollerClock?: Clock;
  /** The jobs' record writes in flight at once (default 32). */
  readonly recordWrites?: number;
}

/**
 * Launches the `@batch` tasks of one run as AWS Batch jobs.
 *
 * @example
 * ```ts
 * const launcher = new BatchLauncher({ run: ctx, steps: [resolved] });
 * await launcher.prepare();
 * const task = launcher.launch(spec);
 * ```
 */
export class BatchLauncher implements TaskLauncher {
  readonly name = 'batch';
  /** Attempts run on AWS, not on this machine (the scheduler's remote worker limit applies). */
  readonly remote = true;
  /** AWS calls made by this run's launcher, by action. */
  readonly calls: CallCounts = {};
  private readonly api: BatchApi;
  private sdk: BatchApi | undefined;
  private readonly poller: JobPoller;
  private readonly rate: SubmitRate;
  /** SubmitJob calls retried because AWS throttled or failed them (for tests and the benchmark). */
  submitRetries = 0;
  private readonly env: Readonly<Record<string, string | undefined>>;
  private configCache: Config | undefined;
  private passedCache: Record<string, string> | undefined;
  /** Attempts launched and not ended (sets each new job's log upload floor). */
  private inFlight = 0;
  /**
   * The jobs' record writes in flight at once: an array of 10,000 children records them all together
   * right after its SubmitJob; queued here they cost a closure each, queued in the SDK a whole request.
   */
  private readonly recordWrites: Limiter;
  /** One budget of log reads for all the run's running jobs (logs/task-log-tail.ts). */
  private readonly tailBudget = new TailBudget();
  private readonly preparation: BatchPreparation;
  private readonly stopping: JobStopping;
  private readonly spotRetries: number;
  private prepared: Promise<Prepared> | undefined;
  /** The run, as the launcher was made for it (its id may come later, with the first attempt). */
  private readonly run: RuntimeCheckContext & { readonly runId?: string };
  /** The run's id: from the run, else from the first attempt launched. */
  private runId: string | undefined;
  /** Groups attempts into array jobs; undefined with `STEPFLOW_BATCH_ARRAYS=0` (every attempt a plain job). */
  private readonly grouper: ArrayGrouper | undefined;

  constructor(private readonly options: BatchLauncherOptions) {
    this.run = options.run;
    this.runId = this.run.runId;
    // The SDK is loaded on the first AWS call, after the datastore check.
    this.api =
      options.api ??
      lazyApi(() => {
        this.sdk ??= sdkBatchApi(this.calls, this.env);
        return this.sdk;
      });
    this.env = options.env ?? process.env;
    const pollMs = options.pollMs ?? (Number(this.env.STEPFLOW_BATCH_POLL_MS) || 1000);
    this.poller = new JobPoller(this.api, pollMs, (m) => this.run.notice?.(`@batch: ${m}`), {
      deadlineMs: this.config.get('BATCH_API_DEADLINE_S') * 1000,
      killHint: () => `stepflow batch kill <flow file> --run-id ${this.runId ?? '<run id>'}`,
      ...(options.pollerClock ? { clock: options.pollerClock } : {}),
    });
    this.rate = new SubmitRate({
      ...(options.submitRate ? { max: options.submitRate } : {}),
      say: (m) => this.run.notice?.(m),
    });
    this.preparation = new BatchPreparation(this.api, this.config.get('BATCH_PLATFORM'));
    this.stopping = {
      progress: new KillProgress((m) => this.run.notice?.(m)),
      waitMs: (Number(this.env.STEPFLOW_BATCH_KILL_WAIT_S) || KILL_WAIT_S) * 1000,
      ...(options.terminateRetry ? { retry: options.terminateRetry } : {}),
    };
    this.spotRetries = options.spotRetries ?? this.config.get('SPOT_RETRIES');
    this.recordWrites = new Limiter(options.recordWrites ?? RECORD_WRITES);
    const arrays = arraySettings(this.env);
    this.grouper = arrays.enabled
      ? new ArrayGrouper({
          max: arrays.max,
          submit: (request, cancelled) => this.submitOne(request, cancelled),
          manifest: (step, label) => {
            const key = `${this.run.flowName}/${this.runId}/_arrays/${step}/${label}/`;
            const root = (this.run.storage as StorageBackend).root.replace(/\/+$/, '');
            return { key, url: `${root}/${key}` };
          },
          terminate: (id) =>
            terminateWithRetry(
              this.api,
              id,
              terminateReason('its children were stopped'),
              options.terminateRetry,
            ),
          writeChunk: async (key, chunk) => {
            await (this.run.storage as StorageBackend).put(key, Buffer.from(JSON.stringify(chunk)));
          },
        })
      : undefined;
  }

  /** Array jobs and their children submitted so far, and plain jobs (for tests and the benchmark). */
  get arrayStats(): { readonly arrays: number; readonly children: number; readonly plain: number } {
    return this.grouper?.stats ?? { arrays: 0, children: 0, plain: 0 };
  }

  /** One SubmitJob through the run's adaptive rate. */
  private submitOne(
    request: Parameters<typeof submitThrottled>[1],
    cancelled: () => boolean,
  ): ReturnType<typeof submitThrottled> {
    return submitThrottled(
      { api: this.api, rate: this.rate, onRetry: () => this.submitRetries++ },
      request,
      cancelled,
    );
  }

  /** Job definitions this run registered (names): none on a second identical run. */
  get registered(): readonly string[] {
    return this.preparation.registered;
  }

  /** The run's adaptive SubmitJob rate (for tests and the benchmark). */
  get submitRate(): SubmitRate {
    return this.rate;
  }

  /** The poller (for tests and the benchmark). */
  get jobPoller(): JobPoller {
    return this.poller;
  }

  /**
   * Everything before the first job, once: the datastore must be S3; queues, platform checks and job
   * definitions for every `@batch` step; the code package with the SDK bundle stored. Throws (and nothing
   * is submitted) when any step is invalid.
   */
  prepare(): Promise<Prepared> {
    this.prepared ??= this.doPrepare();
    return this.prepared;
  }

  private async doPrepare(): Promise<Prepared> {
    const run = this.run;
    const storage = requireS3(run);
    const { steps, notices } = await this.preparation.prepareSteps(this.options.steps);
    for (const n of notices) run.notice?.(n);
    if (!run.codePackage) throw new Error('@batch: the runtime passed no code package to runtimeInit');
    const shipped = await shipLayers(
      [...steps.values()].map((s) => ({
        stepName: s.resolved.stepName,
        platform: s.jobPlatform,
        imagePackages: s.resolved.imagePackages,
      })),
      run.buildLayer,
      storage,
      run.flowName,
    );
    for (const n of shipped.notices) run.notice?.(n);
    const pkg = await (this.options.storePackage ?? storeBatchPackage)(
      storage,
      run.flowName,
      run.codePackage,
    );
    return { steps, pkg, layers: shipped.layers };
  }

  launch(spec: TaskLaunchSpec): TaskLaunchedTask {
    const prepared = this.prepare();
    const stepName = spec.task.stepName;
    const stepFuture = prepared.then(({ steps }) => steps.get(stepName));
    const job = new DeferredJob(this, spec, prepared, stepFuture);
    this.inFlight++;
    void job.task.done.finally(() => this.inFlight--);
    return job.task;
  }

  /** The settings passed to every job of the run (resolved once). */
  private get passed(): Record<string, string> {
    this.passedCache ??= passedSettings(this.config);
    return this.passedCache;
  }

  /** The settings of the launching environment (read once). */
  private get config(): Config {
    this.configCache ??= loadConfig(this.env as NodeJS.ProcessEnv);
    return this.configCache;
  }

  /** @internal Builds the job of a spec once the run is prepared. */
  makeJob(
    spec: TaskLaunchSpec,
    step: PreparedStep,
    pkg: { sha: string; url: string },
    layer?: ShippedLayer,
  ): BatchJob {
    const run = this.run;
    const runId = spec.task.runId;
    this.runId ??= runId;
    const storage = run.storage as StorageBackend;
    const prefix = taskPrefix(run.flowName, runId, spec.task.stepName, spec.task.taskId);
    return new BatchJob(
      {
        api: this.api,
        poller: this.poller,
        stopping: this.stopping,
        spotRetries: this.spotRetries,
        submit: (request, cancelled) =>
          this.grouper
            ? this.grouper.submit(spec.task.stepName, request, cancelled)
            : this.submitOne(request, cancelled),
        writeRecord: (record: BatchJobRecord) =>
          this.recordWrites.run(async () => {
            const body = Buffer.from(`${JSON.stringify(record, null, 2)}\n`);
            await storage.put(`${prefix}${spec.task.attempt}.batch.json`, body);
          }),
        logs: { storage, prefix: `${prefix}${spec.task.attempt}.`, budget: this.tailBudget },
        ...(spec.outputPrinted ? { outputPrinted: spec.outputPrinted } : {}),
      },
      step,
      { pathspec: spec.pathspec, attempt: spec.task.attempt, codePackage: pkg.sha },
      async () => {
        // The launching side's region (as boto3 finds it), for the job's SDK and the bootstrap.
        const environment: Record<string, string> = { ...this.passed, ...regionEnvironment(this.env) };
        Object.assign(environment, spec.env, {
          [BOOTSTRAP_ENV.url]: pkg.url,
          [BOOTSTRAP_ENV.sha]: pkg.sha,
          [LOGS_MIN_MS_ENV]: String(uploadFloorMs(this.inFlight)),
          [BOOTSTRAP_ENV.logs]: `${storage.root.replace(/\/+$/, '')}/${prefix}${spec.task.attempt}.`,
          // A token of this submission: after a 5xx, only the job carrying it is adopted (throttle-retries.ts).
          [SUBMISSION_ENV]: randomUUID(),
          AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
        });
        Object.assign(environment, layerEnvironment(step.resolved, layer));
        if (run.user && !environment.METAFLOW_USER) environment.METAFLOW_USER = run.user;
        return submitJobRequest({
          resolved: step.resolved,
          platform: step.queue.platform,
          runId,
          taskId: spec.task.taskId,
          attempt: spec.task.attempt,
          user: run.user ?? 'unknown',
          command: ['node', '-e', BOOTSTRAP_SCRIPT, 'step', JSON.stringify(await compactSpec(storage, spec))],
          environment,
          jobDefinition: step.jobDefinition,
          localEnv: this.env,
        });
      },
    );
  }

  /** Stops polling and releases the clients (end of the run). */
  close(): void {
    this.poller.stop();
    this.sdk?.close();
    if (this.options.api) this.api.close();
  }
}

type TaskLaunchedTask = ReturnType<TaskLauncher['launch']>;

/** Record writes of the run's jobs in flight at once (about the SDK's 50 sockets). */
const RECORD_WRITES = 32;

/** What the launcher prepared for the run: steps, the stored code package, each step's layer. */
interface Prepared {
  readonly steps: Map<string, PreparedStep>;
  readonly pkg: { sha: string; url: string };
  readonly layers: ReadonlyMap<string, ShippedLayer | undefined>;
}

/**
 * Inputs longer than this (as JSON) travel in the datastore instead of the SubmitJob request (30 KiB in
 * all): a join after a 2,000-way foreach has ~30 KiB of input paths.
 *
 * @example
 * ```ts
 * JSON.stringify(spec.inputs).length > INLINE_INPUTS_MAX; // stored as <attempt>.inputs.json
 * ```
 */
export const INLINE_INPUTS_MAX = 2048;

/**
 * The task spec to send: its inputs (and what the runtime knows of them) moved to `<attempt>.inputs.json`
 * when they are many.
 */
async function compactSpec(storage: StorageBackend, spec: TaskLaunchSpec): Promise<TaskLaunchSpec['task']> {
  const { inputData, ...task } = spec.task;
  const file = JSON.stringify({ inputs: task.inputs, ...(inputData ? { inputData } : {}) });
  if (file.length <= INLINE_INPUTS_MAX) return spec.task;
  const key =
    taskPrefix(task.flowName, task.runId, task.stepName, task.taskId) +
    attemptFile(task.attempt, 'inputs.json');
  await storage.put(key, Buffer.from(file));
  return { ...task, inputs: [], inputsKey: key };
}

/** The run's storage, which must be S3 for `@batch` (the job reads and writes it from AWS). */
function requireS3(run: RuntimeCheckContext): StorageBackend {
  if (run.storage?.kind === 's3') return run.storage;
  throw new BatchConfigError(
    `@batch steps of ${run.flowName} run on AWS Batch, which cannot reach the ${run.storage?.kind ?? 'unknown'} ` +
      'datastore of this machine. Run with --datastore s3 (and --datastore-root s3://bucket/prefix), or set ' +
      'METAFLOW_DEFAULT_DATASTORE=s3 with METAFLOW_DATASTORE_SYSROOT_S3.',
    { setting: 'METAFLOW_DEFAULT_DATASTORE', flow: run.flowName },
  );
}
