/**
 * The launcher's helpers: a {@link BatchApi} whose SDK clients are made on first use, and the task
 * `launch()` returns at once, whose job is made once the run is prepared.
 *
 * @module
 */
import { PassThrough } from 'node:stream';
import { errorMessage } from '../../../common/index.js';
import type { TaskLauncher, TaskLaunchSpec } from '../../../decorators/index.js';
import type { BatchApi } from '../aws.js';
import type { BatchJob } from './batch-job.js';
import type { BatchLauncher } from './launcher.js';
import type { PreparedStep } from './prepare.js';

type TaskLaunchedTask = ReturnType<TaskLauncher['launch']>;

/**
 * A {@link BatchApi} whose real clients are made on its first call.
 *
 * @example
 * ```ts
 * const api = lazyApi(() => sdkBatchApi(calls, env)); // no SDK loaded until the first call
 * ```
 */
export function lazyApi(make: () => BatchApi): BatchApi {
  const call =
    <K extends Exclude<keyof BatchApi, 'close'>>(key: K) =>
    (input: Parameters<BatchApi[K]>[0]) =>
      (make()[key] as (i: typeof input) => ReturnType<BatchApi[K]>)(input);
  return {
    describeJobQueues: call('describeJobQueues'),
    describeComputeEnvironments: call('describeComputeEnvironments'),
    describeJobDefinitions: call('describeJobDefinitions'),
    registerJobDefinition: call('registerJobDefinition'),
    submitJob: call('submitJob'),
    describeJobs: call('describeJobs'),
    listJobs: call('listJobs'),
    terminateJob: call('terminateJob'),
    getLogEvents: call('getLogEvents'),
    close: () => {},
  } as BatchApi;
}

/**
 * A launched task whose job is made once the run is prepared (so `launch` stays synchronous).
 *
 * @example
 * ```ts
 * const task = new DeferredJob(launcher, spec, launcher.prepare(), stepFuture).task;
 * ```
 */
export class DeferredJob {
  readonly task: TaskLaunchedTask;

  constructor(
    launcher: BatchLauncher,
    spec: TaskLaunchSpec,
    prepared: ReturnType<BatchLauncher['prepare']>,
    stepFuture: Promise<PreparedStep | undefined>,
  ) {
    const stdout = new PassThrough();
    const stderr = new PassThrough();
    let job: BatchJob | undefined;
    let killed: string | undefined;
    const done = Promise.all([prepared, stepFuture]).then(
      ([{ pkg, layers }, step]) => {
        if (!step)
          throw new Error(`step ${spec.task.stepName} has no @batch decorator prepared for this run`);
        if (killed) return { exitCode: null, signal: null, killedReason: killed };
        job = launcher.makeJob(spec, step, pkg, layers.get(spec.task.stepName));
        job.stdout.pipe(stdout);
        job.stderr.pipe(stderr);
        return job.task.done;
      },
      (err: unknown) => {
        const text = `could not launch ${spec.pathspec} on AWS Batch: ${errorMessage(err)}`;
        stderr.end(`[@batch] ${text}\n`);
        stdout.end();
        return { exitCode: null, signal: null, killedReason: text };
      },
    );
    const guarded = done.catch((err: unknown) => {
      const text = `could not launch ${spec.pathspec} on AWS Batch: ${errorMessage(err)}`;
      if (!stderr.writableEnded) stderr.end(`[@batch] ${text}\n`);
      if (!stdout.writableEnded) stdout.end();
      return { exitCode: null, signal: null, killedReason: text };
    });
    this.task = {
      stdout,
      stderr,
      done: guarded,
      storesOwnLogs: true,
      kill: async (reason: string) => {
        killed ??= reason;
        if (job) await job.task.kill(reason);
        await guarded;
      },
    };
  }
}
