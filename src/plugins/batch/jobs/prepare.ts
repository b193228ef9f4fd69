/**
 * What the launcher does once per run before the first job: each queue's platform looked up once
 * (DescribeJobQueues → DescribeComputeEnvironments; unmanaged counts as EC2; a queue mixing Fargate and EC2
 * is an error), every `@batch` step checked for its platform (nothing is submitted when any is invalid),
 * and each job definition looked up by its content-hash name as ACTIVE and registered only when missing.
 * Both look-ups are cached for the run.
 *
 * @module
 */
import type { BatchApi } from '../aws.js';
import { BatchConfigError, BatchLaunchError } from '../errors.js';
import { cpuOfInstanceTypes, type JobCpu, type JobPlatform, jobPlatformFor } from '../spec/job-cpu.js';
import { jobDefinitionFor } from '../spec/job-definition.js';
import {
  type BatchPlatform,
  type PlatformBatch,
  platformOf,
  requireQueue,
  validateForPlatform,
} from '../spec/queue-platform.js';
import type { ResolvedBatch } from '../spec/resolve.js';

/**
 * A queue as the launcher knows it.
 *
 * @example
 * ```ts
 * const info: QueueInfo = { queue: 'q', platform: 'EC2', computeEnvironments: ['arn:aws:batch:...'] };
 * ```
 */
export interface QueueInfo {
  readonly queue: string;
  readonly platform: BatchPlatform;
  /** The compute environments' ARNs, in the queue's order. */
  readonly computeEnvironments: readonly string[];
  /** The CPU its EC2 instance types run (Graviton families → arm64); unset on Fargate or when unknown. */
  readonly cpu?: JobCpu;
}

/**
 * A `@batch` step ready to submit jobs.
 *
 * @example
 * ```ts
 * const step: PreparedStep = (await prep.prepareSteps([resolved])).steps.get('train')!;
 * step.jobDefinition; // 'arn:aws:batch:...:job-definition/stepflow-0123456789abcdef:1'
 * ```
 */
export interface PreparedStep {
  readonly resolved: ResolvedBatch;
  readonly checked: PlatformBatch;
  readonly queue: QueueInfo;
  /** The job definition's ARN (`...:job-definition/stepflow-<hash>:<revision>`). */
  readonly jobDefinition: string;
  /** The platform its jobs run on: the dependency layer is built for it. */
  readonly jobPlatform: JobPlatform;
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/**
 * Per-run caches of queue platforms and job definitions.
 *
 * @example
 * ```ts
 * const prep = new BatchPreparation(api);
 * const steps = await prep.prepareSteps([resolvedTrain, resolvedScore]);
 * ```
 */
export class BatchPreparation {
  private readonly queues = new Map<string, Promise<QueueInfo>>();
  private readonly definitions = new Map<string, Promise<string>>();
  /** Definitions this run registered (names). */
  readonly registered: string[] = [];

  /**
   * @param api the AWS calls
   * @param platformSetting `STEPFLOW_BATCH_PLATFORM` (e.g. `linux-arm64`), which overrides the queue's platform
   */
  constructor(
    private readonly api: BatchApi,
    private readonly platformSetting?: string,
  ) {}

  /** The queue's platform and compute environments (one look-up per queue per run). */
  queueInfo(queue: string, where?: { flowName: string; stepName: string }): Promise<QueueInfo> {
    let info = this.queues.get(queue);
    if (!info) {
      info = this.lookUpQueue(queue, where);
      this.queues.set(queue, info);
    }
    return info;
  }

  private async lookUpQueue(
    queue: string,
    where?: { flowName: string; stepName: string },
  ): Promise<QueueInfo> {
    const at = where ? ` (step ${where.flowName}.${where.stepName})` : '';
    const out = await this.api.describeJobQueues({ jobQueues: [queue] }).catch((cause: unknown) => {
      throw new BatchLaunchError(`DescribeJobQueues for queue "${queue}"${at} failed: ${message(cause)}`, {
        action: 'DescribeJobQueues',
        flow: where?.flowName,
        step: where?.stepName,
        cause,
      });
    });
    const found = out.jobQueues?.find((q) => q.jobQueueName === queue || q.jobQueueArn === queue);
    if (!found) {
      throw new BatchConfigError(
        `@batch${at}: job queue "${queue}" does not exist in this account and region. Check ` +
          'METAFLOW_BATCH_JOB_QUEUE or the queue option (and AWS_REGION).',
        {
          setting: 'METAFLOW_BATCH_JOB_QUEUE',
          option: 'queue',
          flow: where?.flowName,
          step: where?.stepName,
        },
      );
    }
    const order = [...(found.computeEnvironmentOrder ?? [])].sort((a, b) => (a.order ?? 0) - (b.order ?? 0));
    const arns = order.map((o) => o.computeEnvironment).filter((a): a is string => !!a);
    const platforms = new Set<BatchPlatform>();
    const instanceTypes: string[] = [];
    if (arns.length > 0) {
      const ces = await this.api
        .describeComputeEnvironments({ computeEnvironments: arns })
        .catch((cause: unknown) => {
          throw new BatchLaunchError(
            `DescribeComputeEnvironments for queue "${queue}" failed: ${message(cause)}`,
            {
              action: 'DescribeComputeEnvironments',
              cause,
            },
          );
        });
      for (const ce of ces.computeEnvironments ?? []) {
        platforms.add(platformOf(ce.computeResources?.type));
        if (platformOf(ce.computeResources?.type) === 'EC2') {
          instanceTypes.push(...(ce.computeResources?.instanceTypes ?? []));
        }
      }
    }
    const cpu = cpuOfInstanceTypes(instanceTypes);
    if (cpu === 'mixed') {
      throw new BatchConfigError(
        `@batch${at}: job queue "${queue}" mixes arm64 (Graviton) and x86_64 instance types ` +
          `(${[...new Set(instanceTypes)].join(', ')}), so the platform of a job's native dependencies cannot be ` +
          'known before it runs. Use a queue whose compute environments are all arm64 or all x86_64.',
        {
          setting: 'METAFLOW_BATCH_JOB_QUEUE',
          option: 'queue',
          flow: where?.flowName,
          step: where?.stepName,
        },
      );
    }
    if (platforms.size > 1) {
      throw new BatchConfigError(
        `@batch${at}: job queue "${queue}" mixes Fargate and EC2 compute environments, so a job's limits ` +
          'cannot be known before it runs. Use a queue whose environments are all Fargate or all EC2.',
        {
          setting: 'METAFLOW_BATCH_JOB_QUEUE',
          option: 'queue',
          flow: where?.flowName,
          step: where?.stepName,
        },
      );
    }
    return {
      queue,
      platform: platforms.values().next().value ?? 'EC2',
      computeEnvironments: arns,
      ...(cpu ? { cpu } : {}),
    };
  }

  /** The ARN of an ACTIVE definition with this content, registering it only when none exists (cached). */
  definition(request: ReturnType<typeof jobDefinitionFor>): Promise<string> {
    let arn = this.definitions.get(request.jobDefinitionName);
    if (!arn) {
      arn = this.ensureDefinition(request);
      this.definitions.set(request.jobDefinitionName, arn);
    }
    return arn;
  }

  private async ensureDefinition(request: ReturnType<typeof jobDefinitionFor>): Promise<string> {
    const name = request.jobDefinitionName;
    try {
      const found = await this.api.describeJobDefinitions({ jobDefinitionName: name, status: 'ACTIVE' });
      const active = (found.jobDefinitions ?? [])
        .filter((d) => d.status === undefined || d.status === 'ACTIVE')
        .sort((a, b) => (b.revision ?? 0) - (a.revision ?? 0))[0];
      if (active?.jobDefinitionArn) return active.jobDefinitionArn;
      const out = await this.api.registerJobDefinition(request);
      this.registered.push(name);
      if (!out.jobDefinitionArn) throw new Error('RegisterJobDefinition returned no ARN');
      return out.jobDefinitionArn;
    } catch (cause) {
      throw new BatchLaunchError(`could not look up or register job definition ${name}: ${message(cause)}`, {
        action: 'RegisterJobDefinition',
        cause,
      });
    }
  }

  /**
   * Prepares every `@batch` step of a run: queues looked up, each step validated for its platform (all
   * before any definition is registered), then the definitions ensured. Returns the steps by name and
   * the notices to print (Fargate rounding, no IAM role, ...).
   */
  async prepareSteps(
    steps: readonly ResolvedBatch[],
  ): Promise<{ steps: Map<string, PreparedStep>; notices: string[] }> {
    const queues = new Map<string, QueueInfo>();
    for (const r of steps) requireQueue(r);
    for (const r of steps) {
      const queue = requireQueue(r);
      if (!queues.has(queue)) queues.set(queue, await this.queueInfo(queue, r));
    }
    const checked = steps.map((r) => {
      const queue = queues.get(requireQueue(r)) as QueueInfo;
      const { platform: jobPlatform, notice } = jobPlatformFor(queue, this.platformSetting);
      return {
        r,
        queue,
        jobPlatform,
        checked: validateForPlatform(r, queue.platform),
        request: jobDefinitionFor(r, queue.platform, jobPlatform.cpu),
        notice,
      };
    });
    const notices = mergeStepNotices([
      ...checked.flatMap((c) => c.checked.notices),
      ...checked.flatMap((c) => (c.notice ? [c.notice] : [])),
    ]);
    const before = this.registered.length;
    const prepared = new Map<string, PreparedStep>();
    for (const c of checked) {
      prepared.set(c.r.stepName, {
        resolved: c.r,
        checked: c.checked,
        queue: c.queue,
        jobDefinition: await this.definition(c.request),
        jobPlatform: c.jobPlatform,
      });
    }
    const names = new Set(checked.map((c) => c.request.jobDefinitionName));
    const registered = this.registered.length - before;
    notices.push(
      `@batch: job definitions: ${registered} registered, ${names.size - registered} reused ` +
        `(${[...names].join(', ')}); queues: ${[...queues.values()].map((q) => `${q.queue} (${q.platform})`).join(', ')}; ` +
        `job platforms: ${[...new Set(checked.map((c) => `linux-${c.jobPlatform.cpu}`))].join(', ')}.`,
    );
    return { steps: prepared, notices };
  }
}

/**
 * Says once what several steps are told alike: `@batch on step F.a: X` and `@batch on step F.b: X` become
 * `@batch on steps a, b of F: X` (a run with `--with batch` would otherwise repeat X for every step).
 *
 * @example
 * ```ts
 * mergeStepNotices(['@batch on step F.a: no IAM role.', '@batch on step F.b: no IAM role.']);
 * // ['@batch on steps a, b of F: no IAM role.']
 * ```
 */
export function mergeStepNotices(notices: readonly string[]): string[] {
  const groups = new Map<string, { flow: string; steps: string[] }>();
  const out: (string | { key: string })[] = [];
  for (const notice of notices) {
    const m = /^@batch on step ([^.\s]+)\.(\S+): ([\s\S]*)$/.exec(notice);
    if (!m) {
      if (!out.includes(notice)) out.push(notice);
      continue;
    }
    const [, flow, step, tail] = m;
    const key = `${flow}\0${tail}`;
    const group = groups.get(key);
    if (group) {
      if (!group.steps.includes(step)) group.steps.push(step);
    } else {
      groups.set(key, { flow, steps: [step] });
      out.push({ key });
    }
  }
  return out.map((o) => {
    if (typeof o === 'string') return o;
    const { flow, steps } = groups.get(o.key) as { flow: string; steps: string[] };
    const tail = o.key.slice(o.key.indexOf('\0') + 1);
    return steps.length === 1
      ? `@batch on step ${flow}.${steps[0]}: ${tail}`
      : `@batch on steps ${steps.join(', ')} of ${flow}: ${tail}`;
  });
}
