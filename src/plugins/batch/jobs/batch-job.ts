/**
 * One task attempt as an AWS Batch job: submitted (paced by the run's adaptive SubmitJob rate), followed by the run's
 * poller (state changes printed with the pathspec and job id), the logs the task saves itself tailed into
 * the task's stdout and stderr (CloudWatch Logs only when they are missing or cut short), its record (`<attempt>.batch.json`) written, and its end turned into a launch outcome:
 * SUCCEEDED → exit code 0; FAILED → the container's exit code with AWS's reason.
 *
 * @module
 */
import type { JobDetail, JobStatus, SubmitJobCommandInput } from '@aws-sdk/client-batch';
import { errorMessage } from '../../../common/index.js';
import type { StorageBackend } from '../../../datastore/index.js';
import type { LaunchedTask, LaunchOutcome } from '../../../decorators/index.js';
import type { BatchApi } from '../aws.js';
import { BatchLaunchError } from '../errors.js';
import { finishLogs } from '../logs/cloudwatch-fallback.js';
import { TailedStream } from '../logs/last-lines.js';
import { type TailBudget, TaskLogTail } from '../logs/task-log-tail.js';
import type { Submitted } from './array-group.js';
import { classifyFailure, type JobFailure } from './classify-failure.js';
import { type BatchJobRecord, exitCodeOf } from './job-record.js';
import type { JobPoller } from './poller.js';
import type { PreparedStep } from './prepare.js';
import {
  runnableNotice,
  runnableVerdict,
  unplaceableMessage,
  unplaceableTermination,
} from './stuck-runnable.js';
import { submitJobError } from './submit-errors.js';
import { type JobStopping, stopJob } from './terminate.js';

/**
 * What a {@link BatchJob} needs from its launcher.
 *
 * @example
 * ```ts
 * const ctx: BatchJobContext = { api, poller, submit: (r, c) => submitThrottled({ api, rate }, r, c), writeRecord: async () => {} };
 * ```
 */
export interface BatchJobContext {
  readonly api: BatchApi;
  readonly poller: JobPoller;
  /**
   * Submits through the run's adaptive rate, retrying throttled calls (throttle-retries.ts `submitThrottled`);
   * `undefined` when `cancelled()` became true before the job went out.
   */
  readonly submit: (
    request: SubmitJobCommandInput & { jobName: string },
    cancelled: () => boolean,
  ) => Promise<Submitted | undefined>;
  /** Writes the attempt's `<attempt>.batch.json`. */
  readonly writeRecord: (record: BatchJobRecord) => Promise<void>;
  /** Kills (Ctrl-C, `@timeout`): progress lines, retries, how long to wait for AWS (terminate.ts). */
  readonly stopping?: JobStopping;
  /** Times a job lost to a spot reclaim is resubmitted for the same attempt (`STEPFLOW_SPOT_RETRIES`; default 0). */
  readonly spotRetries?: number;
  /** Where the task saves its own logs: the run's storage and the attempt's key prefix (`F/1/s/2/0.`). */
  readonly logs: {
    readonly storage: Pick<StorageBackend, 'get' | 'readFrom' | 'put'>;
    readonly prefix: string;
    /** The run's shared budget of log reads. */
    readonly budget?: TailBudget;
  };
  /**
   * Whether the task's output lines are printed now (absent: they are). When they are not, the logs are
   * not tailed, and read after the job ended only when it failed (for the failure's last lines).
   */
  readonly outputPrinted?: () => boolean;
}

export type { BatchJobRecord } from './job-record.js';

const FINAL = new Set<JobStatus | undefined>(['SUCCEEDED', 'FAILED']);

function logGroupOf(step: PreparedStep): string | undefined {
  const log = step.checked.logConfiguration;
  if (log && log.logDriver !== 'awslogs') return undefined;
  return log?.options['awslogs-group'] ?? '/aws/batch/job';
}

/**
 * Runs one attempt as a job; `task` is what the runtime sees.
 *
 * @example
 * ```ts
 * const job = new BatchJob(ctx, step, { pathspec, attempt: 0, codePackage: sha }, () => request);
 * const outcome = await job.task.done;
 * ```
 */
export class BatchJob {
  readonly stdout = new TailedStream();
  readonly stderr = new TailedStream();
  readonly task: LaunchedTask;
  private resolveDone!: (o: LaunchOutcome) => void;
  private jobId: string | undefined;
  /** The array job and index of this attempt's job, when it is an array child. */
  private array:
    | { readonly id: string; readonly index: number; readonly release?: (killed: boolean) => void }
    | undefined;
  private jobName = '';
  private status: JobStatus | undefined;
  private killedReason: string | undefined;
  private terminating: Promise<void> | undefined;
  private finished = false;
  private runnableReason: string | undefined;
  /** The failure of a job AWS can never place (it was terminated). */
  private unplaceable: string | undefined;
  private readonly reclaimed: { jobId: string; reason: string; at: string }[] = [];
  private tail: TaskLogTail;
  private tailStarted = false;
  private readonly group: string | undefined;

  constructor(
    private readonly ctx: BatchJobContext,
    private readonly step: PreparedStep,
    private readonly info: {
      readonly pathspec: string;
      readonly attempt: number;
      readonly codePackage: string;
    },
    private readonly request: () => Promise<SubmitJobCommandInput & { jobName: string }>,
  ) {
    const done = new Promise<LaunchOutcome>((resolve) => {
      this.resolveDone = resolve;
    });
    this.group = logGroupOf(step);
    this.tail = this.newTail();
    this.task = {
      stdout: this.stdout,
      stderr: this.stderr,
      done,
      kill: (reason) => this.kill(reason),
      storesOwnLogs: true,
    };
    void this.start();
  }

  /** A tail of the logs the task saves (a new one per job: a resubmitted job writes them from the start). */
  private newTail(): TaskLogTail {
    return new TaskLogTail({
      storage: this.ctx.logs.storage,
      prefix: this.ctx.logs.prefix,
      ...(this.ctx.logs.budget ? { budget: this.ctx.logs.budget } : {}),
      push: (stream, line) => this[stream].write(line),
      onError: (m) => this.say(m),
    });
  }

  /** A line of the launcher's own (the runtime prefixes it with the pathspec, so it is not repeated). */
  private say(text: string): void {
    const own = `${this.info.pathspec}: `;
    const line = text.startsWith(own) ? text.slice(own.length) : text;
    if (!this.stderr.writableEnded) this.stderr.write(`[@batch] ${line}\n`);
  }

  private end(outcome: LaunchOutcome): void {
    if (this.finished) return;
    this.finished = true;
    this.array?.release?.(this.killedReason !== undefined);
    this.tail.stop();
    this.stdout.end();
    this.stderr.end();
    this.resolveDone(outcome);
  }

  /**
   * Submits the job; resolves its name, or undefined when it was killed before it went out. The request
   * (environment, command) is dropped once sent: a job followed for hours keeps only its name.
   */
  private async submit(): Promise<string | undefined> {
    const request = await this.request();
    const out = await this.ctx
      .submit(request, () => this.killedReason !== undefined)
      .catch((err: unknown) => {
        throw submitJobError(err, {
          pathspec: this.info.pathspec,
          request,
          resolved: this.step.resolved,
        });
      });
    if (!out) return undefined;
    if (!out.jobId) throw new Error('SubmitJob returned no job id');
    this.jobId = out.jobId;
    this.array =
      out.arrayJobId !== undefined
        ? {
            id: out.arrayJobId,
            index: out.arrayIndex ?? 0,
            ...(out.release ? { release: out.release } : {}),
          }
        : undefined;
    this.jobName = request.jobName;
    return request.jobName;
  }

  private async start(): Promise<void> {
    let jobName: string;
    try {
      const sent = await this.submit();
      if (sent === undefined)
        return this.end({ exitCode: null, signal: null, killedReason: this.killedReason ?? 'killed' });
      jobName = sent;
    } catch (err) {
      const text =
        err instanceof BatchLaunchError
          ? err.message
          : `could not submit the AWS Batch job of ${this.info.pathspec}: ${errorMessage(err)}`;
      this.say(text);
      // A launch failure, not a kill: the attempt failed (and @retry applies), with this explanation.
      return this.end({ exitCode: null, signal: null, failure: text });
    }
    const jobId = this.jobId as string;
    const what = this.array ? `child ${this.array.index} of array job ${this.array.id}` : jobName;
    this.say(`${this.info.pathspec}: job ${jobId} (${what}) submitted to queue ${this.step.queue.queue}`);
    await this.record({ jobName }).catch((err: unknown) =>
      this.say(`could not write the job record: ${errorMessage(err)}`),
    );
    if (this.killedReason) await this.terminate(this.killedReason);
    this.ctx.poller.watch(
      jobId,
      (job) => this.update(job, jobName),
      (message) => this.lost(message),
    );
  }

  private record(extra: Partial<BatchJobRecord> & { jobName: string }, job?: JobDetail): Promise<void> {
    const container = job?.container ?? job?.attempts?.at(-1)?.container;
    return this.ctx.writeRecord({
      jobId: this.jobId as string,
      ...(this.array ? { arrayJobId: this.array.id, index: this.array.index } : {}),
      attempt: this.info.attempt,
      queue: this.step.queue.queue,
      jobDefinition: this.step.jobDefinition,
      computeEnvironments: this.step.queue.computeEnvironments,
      ...(this.step.queue.computeEnvironments.length === 1
        ? { computeEnvironment: this.step.queue.computeEnvironments[0] }
        : {}),
      ...(this.group ? { logGroup: this.group } : {}),
      ...(container?.logStreamName ? { logStream: container.logStreamName } : {}),
      ...(job?.status ? { status: job.status } : {}),
      ...(job?.statusReason ? { statusReason: job.statusReason } : {}),
      codePackage: this.info.codePackage,
      ...(this.reclaimed.length > 0 ? { reclaimed: [...this.reclaimed] } : {}),
      ...extra,
    });
  }

  /** Told each description of the job by the poller; true once the job ended. */
  private update(job: JobDetail, jobName: string): boolean {
    if (job.status !== this.status) {
      this.status = job.status;
      if (!FINAL.has(job.status)) this.say(`${this.info.pathspec}: job ${job.jobId} is ${job.status}`);
    }
    if (job.status === 'RUNNABLE') this.runnable(job);
    const stream = job.container?.logStreamName ?? job.attempts?.at(-1)?.container?.logStreamName;
    if ((job.status === 'STARTING' || job.status === 'RUNNING') && this.printed()) {
      this.tailStarted = true;
      this.tail.start();
    }
    if (!FINAL.has(job.status)) return false;
    void this.finish(job, jobName, stream);
    return true;
  }

  /** A RUNNABLE job's reason, printed once per change; a job AWS can never place is terminated. */
  private runnable(job: JobDetail): void {
    const reason = job.statusReason;
    if (reason === this.runnableReason) return;
    this.runnableReason = reason;
    const verdict = runnableVerdict(reason);
    if (verdict === 'none' || !reason) return;
    this.say(runnableNotice(this.info.pathspec, job));
    if (verdict !== 'fail' || this.unplaceable || this.killedReason) return;
    this.unplaceable = unplaceableMessage({
      pathspec: this.info.pathspec,
      jobId: job.jobId ?? '',
      queue: this.step.queue.queue,
      reason,
      step: this.step.resolved,
    });
    void this.terminate(unplaceableTermination(reason));
  }

  /** Resubmits a job lost to a spot reclaim, for the same attempt, while `spotRetries` allows; true if so. */
  private resubmitAfterSpot(job: JobDetail, failure: JobFailure | undefined): boolean {
    const max = this.ctx.spotRetries ?? 0;
    if (failure?.kind !== 'spot-reclaimed' || this.killedReason || this.reclaimed.length >= max) return false;
    const reason = failure.awsReason;
    this.reclaimed.push({ jobId: job.jobId ?? '', reason, at: new Date().toISOString() });
    this.say(
      `${this.info.pathspec}: spot capacity reclaimed (${reason}); resubmitting as a new job ` +
        `(spot retry ${this.reclaimed.length} of ${max})`,
    );
    this.jobId = undefined;
    this.array?.release?.(false);
    this.array = undefined;
    this.status = undefined;
    this.runnableReason = undefined;
    this.terminating = undefined;
    this.tail.stop();
    this.tail = this.newTail();
    this.tailStarted = false;
    void this.start();
    return true;
  }

  /** Whether the task's output lines are printed now. */
  private printed(): boolean {
    return this.ctx.outputPrinted?.() ?? true;
  }

  private async finish(job: JobDetail, jobName: string, stream: string | undefined): Promise<void> {
    // The task saved its own logs (`stepflow logs` reads them): read them back only to print them, or to
    // explain a failure with their last lines.
    if (job.status === 'SUCCEEDED' && !this.printed()) this.tail.stop();
    else
      await finishLogs({
        tail: this.tail,
        started: this.tailStarted,
        api: this.ctx.api,
        group: this.group,
        stream,
        prefix: this.ctx.logs.prefix,
        storage: this.ctx.logs.storage,
        say: (m) => this.say(m),
        push: (line) => this.stdout.write(`${line}\n`),
        // A failed job's stream may show up in CloudWatch a little late; a succeeded one is read once.
        tries: job.status === 'FAILED' ? 3 : 1,
      });
    let exitCode: number | null = job.status === 'SUCCEEDED' ? 0 : null;
    if (job.status === 'FAILED') {
      const where = this.array ? { arrayJobId: this.array.id } : { jobQueue: this.step.queue.queue };
      exitCode = (await exitCodeOf(this.ctx.api, job, where)) ?? null;
    }
    const failure = job.status === 'FAILED' ? this.explain(job, exitCode) : undefined;
    if (this.resubmitAfterSpot(job, failure)) return;
    if (job.status === 'SUCCEEDED') this.say(`job ${job.jobId} SUCCEEDED`);
    else {
      this.say(
        `job ${job.jobId} FAILED: ${failure?.summary ?? `${job.statusReason ?? 'no reason given'} (container exit code ${exitCode ?? 'unknown'})`}`,
      );
    }
    await this.record({ jobName, exitCode, ...(failure ? { failure: failure.kind } : {}) }, job).catch(
      (err: unknown) => this.say(`could not write the job record: ${errorMessage(err)}`),
    );
    this.end({
      exitCode: job.status === 'SUCCEEDED' ? 0 : exitCode || 1,
      signal: null,
      ...(this.killedReason ? { killedReason: this.killedReason } : {}),
      ...(failure ? { failure: failure.message } : {}),
    });
  }

  /** The failure of a FAILED job, worded (classify-failure.ts), with the task's last lines. */
  private explain(job: JobDetail, exitCode: number | null): JobFailure {
    if (this.unplaceable) {
      return {
        kind: 'unplaceable',
        message: this.unplaceable,
        awsReason: this.runnableReason ?? '',
        summary: 'no compute environment can run it',
      };
    }
    const stderr = this.stderr.lines();
    const failure = classifyFailure({
      pathspec: this.info.pathspec,
      job,
      exitCode,
      step: this.step.resolved,
      outputTail: stderr.length > 0 ? stderr : this.stdout.lines(),
      ...(this.killedReason ? { killedReason: this.killedReason } : {}),
    });
    if (failure.kind !== 'spot-reclaimed' || this.reclaimed.length === 0) return failure;
    const ids = [...this.reclaimed.map((r) => r.jobId), job.jobId].join(', ');
    return {
      ...failure,
      message:
        `${failure.message} This attempt lost ${this.reclaimed.length + 1} jobs to spot reclaims (${ids}); ` +
        `stepflow resubmits up to STEPFLOW_SPOT_RETRIES=${this.ctx.spotRetries ?? 0} times per attempt.`,
    };
  }

  /**
   * The poller gave up on the job (DescribeJobs refused, or failing past its deadline): the attempt fails
   * with the poller's message; the job is left as it is on AWS (for `stepflow batch kill`).
   */
  private lost(message: string): void {
    if (this.finished) return;
    const text = `${this.info.pathspec}: job ${this.jobId ?? '?'} is no longer followed. ${message}`;
    this.say(text);
    void this.record({ jobName: this.jobName, status: this.status ?? 'UNKNOWN', statusReason: message })
      .catch(() => {})
      .finally(() => this.end({ exitCode: null, signal: null, killedReason: text }));
  }

  private terminate(reason: string): Promise<void> {
    if (!this.jobId || this.finished) return Promise.resolve();
    this.terminating ??= stopJob({
      api: this.ctx.api,
      jobId: this.jobId,
      pathspec: this.info.pathspec,
      reason,
      stopping: this.ctx.stopping,
      ended: this.task.done,
      say: (m) => this.say(m),
      giveUp: (text) => {
        this.ctx.poller.unwatch(this.jobId as string);
        this.end({ exitCode: null, signal: null, killedReason: text });
      },
    });
    return this.terminating;
  }

  private async kill(reason: string): Promise<void> {
    if (this.finished) return;
    this.killedReason ??= reason;
    // Submission in flight: start() terminates the job once SubmitJob gave its id.
    this.array?.release?.(true);
    if (this.jobId) await this.terminate(reason);
    await this.task.done;
  }
}
