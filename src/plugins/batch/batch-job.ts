/**
 * One task attempt as an AWS Batch job: submitted (paced by the run's adaptive SubmitJob rate), followed by the run's
 * poller (state changes printed with the pathspec and job id), its CloudWatch log lines pushed into the
 * task's stdout, its record (`<attempt>.batch.json`) written, and its end turned into a launch outcome:
 * SUCCEEDED → exit code 0; FAILED → the container's exit code with AWS's reason.
 *
 * @module
 */
import { PassThrough } from 'node:stream';
import type { JobDetail, JobStatus, SubmitJobCommandInput } from '@aws-sdk/client-batch';
import type { LaunchedTask, LaunchOutcome } from '../../decorators/contract.js';
import type { BatchApi } from './aws.js';
import { LogFollower } from './job-logs.js';
import type { JobPoller } from './poller.js';
import type { PreparedStep } from './prepare.js';
import { retryThrottled } from './throttled.js';

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
   * Submits through the run's adaptive rate, retrying throttled calls (throttled.ts `submitThrottled`);
   * `undefined` when `cancelled()` became true before the job went out.
   */
  readonly submit: (
    request: SubmitJobCommandInput & { jobName: string },
    cancelled: () => boolean,
  ) => Promise<{ jobId?: string } | undefined>;
  /** Writes the attempt's `<attempt>.batch.json`. */
  readonly writeRecord: (record: BatchJobRecord) => Promise<void>;
}

/**
 * The record of an attempt run on AWS Batch (`<attempt>.batch.json` beside the attempt's records).
 *
 * @example
 * ```ts
 * const record = JSON.parse(String(await storage.get('F/17/train/3/0.batch.json'))) as BatchJobRecord;
 * record.jobId; // '0123-abcd-...'
 * ```
 */
export interface BatchJobRecord {
  readonly jobId: string;
  readonly jobName: string;
  readonly attempt: number;
  readonly queue: string;
  readonly jobDefinition: string;
  /** The compute environment that ran it (once known; else the queue's environments). */
  readonly computeEnvironment?: string;
  readonly computeEnvironments: readonly string[];
  readonly logGroup?: string;
  readonly logStream?: string;
  readonly status?: string;
  readonly statusReason?: string;
  readonly exitCode?: number | null;
  readonly codePackage: string;
}

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
  readonly stdout = new PassThrough();
  readonly stderr = new PassThrough();
  readonly task: LaunchedTask;
  private resolveDone!: (o: LaunchOutcome) => void;
  private jobId: string | undefined;
  private status: JobStatus | undefined;
  private killedReason: string | undefined;
  private finished = false;
  private readonly logs: LogFollower | undefined;
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
    this.logs = this.group
      ? new LogFollower(
          ctx.api,
          this.group,
          (line) => this.stdout.write(`${line}\n`),
          (m) => this.say(m),
        )
      : undefined;
    this.task = { stdout: this.stdout, stderr: this.stderr, done, kill: (reason) => this.kill(reason) };
    void this.start();
  }

  private say(text: string): void {
    if (!this.stderr.writableEnded) this.stderr.write(`[@batch] ${text}\n`);
  }

  private end(outcome: LaunchOutcome): void {
    if (this.finished) return;
    this.finished = true;
    this.stdout.end();
    this.stderr.end();
    this.resolveDone(outcome);
  }

  private async start(): Promise<void> {
    let request: SubmitJobCommandInput & { jobName: string };
    try {
      request = await this.request();
      const out = await this.ctx.submit(request, () => this.killedReason !== undefined);
      if (!out)
        return this.end({ exitCode: null, signal: null, killedReason: this.killedReason ?? 'killed' });
      if (!out.jobId) throw new Error('SubmitJob returned no job id');
      this.jobId = out.jobId;
    } catch (err) {
      const text = `could not submit the AWS Batch job of ${this.info.pathspec}: ${(err as Error)?.message ?? err}`;
      this.say(text);
      return this.end({ exitCode: null, signal: null, killedReason: text });
    }
    const jobId = this.jobId;
    this.say(
      `${this.info.pathspec}: job ${jobId} (${request.jobName}) submitted to queue ${this.step.queue.queue}`,
    );
    await this.record({ jobName: request.jobName }).catch((err: unknown) =>
      this.say(`could not write the job record: ${(err as Error)?.message ?? err}`),
    );
    if (this.killedReason) await this.terminate(this.killedReason);
    this.ctx.poller.watch(jobId, (job) => this.update(job, request.jobName));
  }

  private record(extra: Partial<BatchJobRecord> & { jobName: string }, job?: JobDetail): Promise<void> {
    const container = job?.container ?? job?.attempts?.at(-1)?.container;
    return this.ctx.writeRecord({
      jobId: this.jobId as string,
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
      ...extra,
    });
  }

  /** Told each description of the job by the poller; true once the job ended. */
  private update(job: JobDetail, jobName: string): boolean {
    if (job.status !== this.status) {
      this.status = job.status;
      if (!FINAL.has(job.status)) this.say(`${this.info.pathspec}: job ${job.jobId} is ${job.status}`);
    }
    const stream = job.container?.logStreamName ?? job.attempts?.at(-1)?.container?.logStreamName;
    if (job.status === 'RUNNING' && stream) this.logs?.poll(stream);
    if (!FINAL.has(job.status)) return false;
    void this.finish(job, jobName, stream);
    return true;
  }

  private async finish(job: JobDetail, jobName: string, stream: string | undefined): Promise<void> {
    if (stream) await this.logs?.drain(stream);
    let exitCode: number | null = job.status === 'SUCCEEDED' ? 0 : null;
    if (job.status === 'FAILED') exitCode = (await this.exitCodeOf(job)) ?? null;
    if (job.status === 'SUCCEEDED') this.say(`${this.info.pathspec}: job ${job.jobId} SUCCEEDED`);
    else {
      this.say(
        `${this.info.pathspec}: job ${job.jobId} FAILED: ${job.statusReason ?? 'no reason given'} ` +
          `(container exit code ${exitCode ?? 'unknown'})`,
      );
    }
    await this.record({ jobName, exitCode }, job).catch((err: unknown) =>
      this.say(`could not write the job record: ${(err as Error)?.message ?? err}`),
    );
    this.end({
      exitCode: job.status === 'SUCCEEDED' ? 0 : (exitCode ?? 1),
      signal: null,
      ...(this.killedReason ? { killedReason: this.killedReason } : {}),
    });
  }

  /** The container exit code: DescribeJobs' `container.exitCode`, else ListJobs for the queue (moto). */
  private async exitCodeOf(job: JobDetail): Promise<number | undefined> {
    const described = job.container?.exitCode ?? job.attempts?.at(-1)?.container?.exitCode;
    if (described !== undefined) return described;
    try {
      let nextToken: string | undefined;
      do {
        const page = await this.ctx.api.listJobs({
          jobQueue: this.step.queue.queue,
          jobStatus: job.status,
          nextToken,
        });
        const hit = page.jobSummaryList?.find((s) => s.jobId === job.jobId);
        if (hit) return hit.container?.exitCode;
        nextToken = page.nextToken;
      } while (nextToken);
    } catch {
      // unknown
    }
    return undefined;
  }

  private async terminate(reason: string): Promise<void> {
    if (!this.jobId) return;
    try {
      const input = { jobId: this.jobId, reason: `stopped by stepflow: ${reason}`.slice(0, 1000) };
      await retryThrottled(() => this.ctx.api.terminateJob(input));
    } catch (err) {
      this.say(`TerminateJob ${this.jobId} failed: ${(err as Error)?.message ?? err}`);
    }
  }

  private async kill(reason: string): Promise<void> {
    if (this.finished) return;
    this.killedReason ??= reason;
    if (this.jobId) await this.terminate(reason);
    await this.task.done;
  }
}
