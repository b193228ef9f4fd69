/**
 * A fake AWS Batch + CloudWatch Logs ({@link FakeBatchApi}) for unit tests: jobs move SUBMITTED → RUNNING →
 * SUCCEEDED (or FAILED with an exit code) one step per DescribeJobs, every call is recorded. It also gives
 * what moto cannot: AWS's fields of an OOM kill, a spot reclaim, a time-out or an image pull failure
 * (`reason`, `containerReason`, exit code, mirrored in `attempts[]`), a job held RUNNABLE with a
 * `CAPACITY:*`/`MISCONFIGURATION:*` reason, and a refused SubmitJob. Array jobs as AWS runs them: children
 * `<parent>:<i>` (each with its own plan, moving one step per DescribeJobs of the child), the parent's
 * `arrayProperties.statusSummary` and status (FAILED once every child ended and one failed), ListJobs by
 * `arrayJobId`, TerminateJob of the parent ending its unfinished children.
 *
 * @module
 */
import type { JobDetail, JobStatus, ListJobsCommandInput } from '@aws-sdk/client-batch';
import type { BatchApi } from '../../src/plugins/batch/aws.js';

/**
 * How a fake job ends.
 *
 * @example
 * ```ts
 * api.plan = () => ({ status: 'FAILED', exitCode: 7, reason: 'Essential container exited' });
 * ```
 */
export interface FakeJobPlan {
  readonly status: 'SUCCEEDED' | 'FAILED';
  readonly exitCode?: number;
  readonly reason?: string;
  /** Log lines of the job. */
  readonly lines?: readonly string[];
  /** Leave the exit code out of DescribeJobs (as moto does); ListJobs still has it. */
  readonly exitCodeOnlyInList?: boolean;
  /** `container.reason` of the ended job (and of its attempt), e.g. `OutOfMemoryError: ...`. */
  readonly containerReason?: string;
  /** While RUNNABLE: the job's `statusReason` (e.g. `CAPACITY:INSUFFICIENT_INSTANCE_CAPACITY - ...`). */
  readonly runnableReason?: string;
  /** DescribeJobs answers that keep the job RUNNABLE with {@link runnableReason} (default: until terminated). */
  readonly runnablePolls?: number;
}

const NEXT: Partial<Record<JobStatus, JobStatus>> = { SUBMITTED: 'RUNNABLE', RUNNABLE: 'RUNNING' };

/**
 * A fake Batch API.
 *
 * @example
 * ```ts
 * const api = new FakeBatchApi({ platform: 'EC2' });
 * const { jobId } = await api.submitJob({ jobName: 'j', jobQueue: 'q', jobDefinition: 'd' });
 * ```
 */
export class FakeBatchApi implements BatchApi {
  /** Every call, in order: `[action, input]`. */
  readonly calls: [string, unknown][] = [];
  readonly jobs = new Map<
    string,
    { detail: JobDetail; plan: FakeJobPlan; queue: string; held: number; children?: string[] }
  >();
  readonly definitions = new Map<string, number>();
  /** How the next submitted job ends (default: SUCCEEDED). */
  plan: (input: { jobName?: string; arrayIndex?: number }) => FakeJobPlan = () => ({
    status: 'SUCCEEDED',
    lines: ['hello'],
  });
  /** An error SubmitJob throws instead of submitting (e.g. an `AccessDeniedException`), if any. */
  submitError: ((input: { tags?: Record<string, string> }) => unknown) | undefined;
  private nextId = 1;

  constructor(
    private readonly options: {
      platforms?: readonly string[];
      /** The EC2 instance types of each compute environment (default none). */
      instanceTypes?: readonly (readonly string[])[];
    } = {},
  ) {}

  private call(action: string, input: unknown): void {
    this.calls.push([action, input]);
  }

  /** Number of calls of an action. */
  count(action: string): number {
    return this.calls.filter(([a]) => a === action).length;
  }

  describeJobQueues: BatchApi['describeJobQueues'] = async (input) => {
    this.call('DescribeJobQueues', input);
    const types = this.options.platforms ?? ['EC2'];
    return {
      $metadata: {},
      jobQueues: (input.jobQueues ?? []).map((q) => ({
        jobQueueName: q,
        jobQueueArn: `arn:aws:batch:us-east-1:1:job-queue/${q}`,
        state: 'ENABLED',
        priority: 1,
        computeEnvironmentOrder: types.map((_, i) => ({ order: i, computeEnvironment: `arn:ce/${q}-${i}` })),
      })),
    };
  };

  describeComputeEnvironments: BatchApi['describeComputeEnvironments'] = async (input) => {
    this.call('DescribeComputeEnvironments', input);
    const types = this.options.platforms ?? ['EC2'];
    return {
      $metadata: {},
      computeEnvironments: (input.computeEnvironments ?? []).map((arn, i) => ({
        computeEnvironmentName: arn,
        computeEnvironmentArn: arn,
        ...(types[i] === 'UNMANAGED'
          ? { type: 'UNMANAGED' }
          : {
              type: 'MANAGED',
              computeResources: {
                type: types[i],
                ...(this.options.instanceTypes?.[i]
                  ? { instanceTypes: [...(this.options.instanceTypes[i] ?? [])] }
                  : {}),
              },
            }),
      })) as never,
    };
  };

  describeJobDefinitions: BatchApi['describeJobDefinitions'] = async (input) => {
    this.call('DescribeJobDefinitions', input);
    const revision = this.definitions.get(input.jobDefinitionName ?? '');
    return {
      $metadata: {},
      jobDefinitions: revision
        ? [
            {
              jobDefinitionName: input.jobDefinitionName,
              revision,
              status: 'ACTIVE',
              type: 'container',
              jobDefinitionArn: `arn:jd/${input.jobDefinitionName}:${revision}`,
            },
          ]
        : [],
    } as never;
  };

  registerJobDefinition: BatchApi['registerJobDefinition'] = async (input) => {
    this.call('RegisterJobDefinition', input);
    const name = input.jobDefinitionName ?? '';
    const revision = (this.definitions.get(name) ?? 0) + 1;
    this.definitions.set(name, revision);
    const arn = `arn:jd/${input.jobDefinitionName}:${revision}`;
    return { $metadata: {}, jobDefinitionName: input.jobDefinitionName, jobDefinitionArn: arn, revision };
  };

  submitJob: BatchApi['submitJob'] = async (input) => {
    this.call('SubmitJob', input);
    const refused = this.submitError?.(input);
    if (refused) throw refused;
    const jobId = `job-${this.nextId++}`;
    const size = input.arrayProperties?.size;
    if (size !== undefined) {
      if (size < 2 || size > 10_000) throw new Error(`array size ${size} is not in 2..10000`);
      const children = Array.from({ length: size }, (_, i) => `${jobId}:${i}`);
      children.forEach((id, i) => {
        this.jobs.set(id, {
          detail: {
            jobId: id,
            jobName: input.jobName,
            status: 'SUBMITTED',
            createdAt: this.nextId,
            container: { environment: input.containerOverrides?.environment ?? [] },
          } as JobDetail,
          plan: this.plan({ jobName: input.jobName, arrayIndex: i }),
          queue: '',
          held: 0,
        });
      });
      this.jobs.set(jobId, {
        detail: {
          jobId,
          jobName: input.jobName,
          status: 'PENDING',
          createdAt: this.nextId,
          container: { environment: input.containerOverrides?.environment ?? [] },
        } as JobDetail,
        plan: { status: 'SUCCEEDED' },
        queue: input.jobQueue ?? '',
        held: 0,
        children,
      });
      return { $metadata: {}, jobId, jobName: input.jobName, jobArn: `arn:job/${jobId}` };
    }
    const plan = this.plan(input);
    this.jobs.set(jobId, {
      detail: {
        jobId,
        jobName: input.jobName,
        jobQueue: input.jobQueue,
        jobDefinition: input.jobDefinition,
        status: 'SUBMITTED',
        startedAt: 0,
        createdAt: this.nextId,
        container: { environment: input.containerOverrides?.environment ?? [] },
      } as JobDetail,
      plan,
      queue: input.jobQueue ?? '',
      held: 0,
    });
    return { $metadata: {}, jobId, jobName: input.jobName, jobArn: `arn:job/${jobId}` };
  };

  describeJobs: BatchApi['describeJobs'] = async (input) => {
    this.call('DescribeJobs', input);
    if ((input.jobs ?? []).length > 100) throw new Error('DescribeJobs takes at most 100 jobs');
    const out: JobDetail[] = [];
    for (const id of input.jobs ?? []) {
      const job = this.jobs.get(id);
      if (!job) continue;
      if (job.children) {
        out.push(this.parentDetail(job.detail, job.children));
        continue;
      }
      const d = job.detail as {
        status?: JobStatus;
        statusReason?: string;
        container?: { environment?: unknown; logStreamName?: string };
      };
      const environment = d.container?.environment ?? [];
      const status = d.status as JobStatus;
      const { plan } = job;
      const hold =
        status === 'RUNNABLE' && plan.runnableReason && job.held < (plan.runnablePolls ?? Infinity);
      if (hold) {
        job.held++;
        d.statusReason = plan.runnableReason;
      } else if (NEXT[status]) {
        d.status = NEXT[status];
        delete d.statusReason;
        if (d.status === 'RUNNABLE' && plan.runnableReason && (plan.runnablePolls ?? Infinity) > 0) {
          job.held++;
          d.statusReason = plan.runnableReason;
        }
      } else if (status === 'RUNNING') {
        d.status = plan.status;
        if (plan.reason) d.statusReason = plan.reason;
        const code =
          plan.exitCodeOnlyInList || (plan.exitCode === undefined && plan.status === 'FAILED')
            ? {}
            : { exitCode: plan.exitCode ?? 0 };
        const container = {
          environment,
          logStreamName: `stream/${id}`,
          ...code,
          ...(plan.containerReason ? { reason: plan.containerReason } : {}),
        };
        d.container = container;
        (d as JobDetail).attempts = [
          { container: { ...container }, ...(plan.reason ? { statusReason: plan.reason } : {}) },
        ];
      }
      if (d.status === 'RUNNING') d.container = { environment, logStreamName: `stream/${id}` };
      out.push({ ...job.detail });
    }
    return { $metadata: {}, jobs: out };
  };

  /** An array parent as DescribeJobs shows it: counts of its children by state, ended once they all are. */
  private parentDetail(detail: JobDetail, children: readonly string[]): JobDetail {
    const summary: Record<string, number> = {};
    for (const id of children) {
      const status = this.jobs.get(id)?.detail.status ?? 'SUBMITTED';
      summary[status] = (summary[status] ?? 0) + 1;
    }
    const ended = (summary.SUCCEEDED ?? 0) + (summary.FAILED ?? 0);
    const status: JobStatus =
      ended < children.length
        ? ended > 0 || summary.RUNNING
          ? 'RUNNING'
          : 'PENDING'
        : summary.FAILED
          ? 'FAILED'
          : 'SUCCEEDED';
    return { ...detail, status, arrayProperties: { size: children.length, statusSummary: summary } };
  }

  listJobs: BatchApi['listJobs'] = async (input) => {
    this.call('ListJobs', input);
    const parent = input.arrayJobId ? this.jobs.get(input.arrayJobId) : undefined;
    const pool = parent
      ? (parent.children ?? []).map((id) => this.jobs.get(id)).filter((j) => j !== undefined)
      : [...this.jobs.values()].filter((j) => j.queue === input.jobQueue);
    const max = input.maxResults ?? Number.POSITIVE_INFINITY;
    const start = input.nextToken ? Number(input.nextToken) : 0;
    const hits = pool.filter((j) => matchesList(j.detail, input));
    const page = hits.slice(start, start + max);
    return {
      $metadata: {},
      ...(start + max < hits.length ? { nextToken: String(start + max) } : {}),
      jobSummaryList: page.map((j) => ({
        jobId: j.detail.jobId,
        jobName: j.detail.jobName,
        createdAt: j.detail.createdAt,
        status: j.detail.status,
        container: { exitCode: j.plan.exitCode },
      })) as never,
    };
  };

  terminateJob: BatchApi['terminateJob'] = async (input) => {
    this.call('TerminateJob', input);
    const job = this.jobs.get(input.jobId ?? '');
    for (const id of job?.children ?? []) {
      const child = this.jobs.get(id);
      const status = child?.detail.status;
      if (!child || status === 'SUCCEEDED' || status === 'FAILED') continue;
      child.plan = { status: 'FAILED', reason: input.reason, exitCode: 143 };
      (child.detail as { status?: JobStatus }).status = 'RUNNING';
    }
    if (job && !job.children) {
      job.plan = { status: 'FAILED', reason: input.reason, exitCode: 143 };
      (job.detail as { status?: JobStatus }).status = 'RUNNING';
    }
    return { $metadata: {} };
  };

  getLogEvents: BatchApi['getLogEvents'] = async (input) => {
    this.call('GetLogEvents', input);
    const id = (input.logStreamName ?? '').replace('stream/', '');
    const lines = this.jobs.get(id)?.plan.lines ?? [];
    const start = input.nextToken ? Number(input.nextToken) : 0;
    const page = lines.slice(start, start + 2);
    return {
      $metadata: {},
      events: page.map((message, i) => ({ message, timestamp: start + i })),
      nextForwardToken: String(start + page.length),
    };
  };

  close(): void {}
}

/** ListJobs' selection, as AWS does it: a `JOB_NAME` filter (`prefix*` or exact) replaces `jobStatus`. */
function matchesList(job: JobDetail, input: ListJobsCommandInput): boolean {
  const names = input.filters?.find((f) => f.name === 'JOB_NAME')?.values;
  if (!names) return job.status === (input.jobStatus ?? 'RUNNING');
  const name = job.jobName ?? '';
  return names.some((v) => (v.endsWith('*') ? name.startsWith(v.slice(0, -1)) : name === v));
}
