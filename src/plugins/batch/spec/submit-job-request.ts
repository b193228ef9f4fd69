/**
 * The SubmitJob request of one task attempt: what a job may override (command, environment,
 * vCPU/memory/GPU), its time limit, no AWS-side retries, and its tags. Local AWS credentials never go
 * in: they are filtered out of the environment, and a request that would still carry one is refused.
 *
 * @module
 */
import type { KeyValuePair, ResourceRequirement, SubmitJobCommandInput } from '@aws-sdk/client-batch';
import type { AttemptTimeout, StepWhere } from '../../../decorators/index.js';
import { BatchRequestError } from '../errors.js';
import { jobDefinitionFor } from './job-definition.js';
import { jobNameFor } from './names.js';
import { type BatchPlatform, validateForPlatform } from './queue-platform.js';
import { checkRequestSize, jsonBytes } from './request-size.js';
import type { ResolvedBatch } from './resolve.js';
import { systemTags } from './tags.js';
import { batchTimeout } from './validate.js';

/**
 * Environment variables that hold AWS credentials (or point the SDK at them): never sent to a job, which
 * gets its credentials from its IAM role.
 */
export const CREDENTIAL_ENV_NAMES: ReadonlySet<string> = new Set([
  'AWS_ACCESS_KEY_ID',
  'AWS_SECRET_ACCESS_KEY',
  'AWS_SESSION_TOKEN',
  'AWS_SECURITY_TOKEN',
  'AWS_CONTAINER_AUTHORIZATION_TOKEN',
  'AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE',
  'AWS_CONTAINER_CREDENTIALS_FULL_URI',
  'AWS_CONTAINER_CREDENTIALS_RELATIVE_URI',
]);

/** Local variables whose values must not appear anywhere in a job's command or environment. */
const SECRET_VALUES = [
  'AWS_SECRET_ACCESS_KEY',
  'AWS_SESSION_TOKEN',
  'AWS_SECURITY_TOKEN',
  'AWS_ACCESS_KEY_ID',
];

/** The inputs of {@link submitJobRequest}; the launcher supplies the command and the environment. */
export interface SubmitJobInput {
  readonly resolved: ResolvedBatch;
  readonly platform: BatchPlatform;
  readonly runId: string;
  readonly taskId: string;
  readonly attempt: number;
  /** Who runs the flow (job name and the `stepflow.user` system tag). */
  readonly user: string;
  /** The container command (no empty strings). */
  readonly command: readonly string[];
  /** The task's environment (credentials are filtered out; `AWS_BATCH*` names are refused). */
  readonly environment: Readonly<Record<string, string>>;
  /** Name or ARN of the job definition; default the name `jobDefinitionFor(resolved, platform)` gives. */
  readonly jobDefinition?: string;
  /** This attempt's time limit (the `attemptTimeout` hooks); default `resolved.timeout`. */
  readonly timeout?: AttemptTimeout;
  /** The launching environment, to refuse requests that carry its credential values (default `process.env`). */
  readonly localEnv?: Readonly<Record<string, string | undefined>>;
}

function refuse(where: StepWhere, text: string): BatchRequestError {
  return new BatchRequestError(`@batch on step ${where.flowName}.${where.stepName}: ${text}`, {
    request: 'SubmitJob',
    flow: where.flowName,
    step: where.stepName,
  });
}

function environmentOf(input: SubmitJobInput, where: StepWhere): KeyValuePair[] {
  const r = input.resolved;
  const env: Record<string, string> = {};
  if (r.tmpfs && r.tmpfsTempdir) env.METAFLOW_TEMPDIR = r.tmpfs.containerPath;
  for (const [name, value] of Object.entries(input.environment)) {
    if (CREDENTIAL_ENV_NAMES.has(name.toUpperCase())) continue;
    if (name === '' || /^AWS_BATCH/i.test(name)) {
      throw refuse(
        where,
        `environment variable "${name}" cannot be set: names starting with AWS_BATCH are reserved by AWS Batch. Rename it.`,
      );
    }
    env[name] = value;
  }
  return Object.entries(env).map(([name, value]) => ({ name, value }));
}

function refuseLocalSecrets(input: SubmitJobInput, where: StepWhere, env: readonly KeyValuePair[]): void {
  const local = input.localEnv ?? process.env;
  const places: [string, string][] = [
    ...input.command.map((arg, i): [string, string] => [`command argument ${i}`, arg]),
    ...env.map((e): [string, string] => [`environment variable ${e.name}`, e.value ?? '']),
  ];
  for (const name of SECRET_VALUES) {
    const secret = local[name];
    if (!secret || secret.length < 8) continue;
    const hit = places.find(([, text]) => text.includes(secret));
    if (hit) {
      throw refuse(
        where,
        `${hit[0]} holds the value of the local ${name}; local AWS credentials never go into a job (it uses ` +
          'its IAM role). Remove it.',
      );
    }
  }
}

function resources(cpu: number, memory: number, gpu: number): ResourceRequirement[] {
  return [
    { type: 'VCPU', value: String(cpu) },
    { type: 'MEMORY', value: String(memory) },
    ...(gpu > 0 ? [{ type: 'GPU' as const, value: String(gpu) }] : []),
  ];
}

/**
 * The SubmitJob request of one attempt. Validates the step for the platform, cleans the job name,
 * filters credentials out of the environment, adds `METAFLOW_TEMPDIR` when a tmpfs is the temp dir,
 * sets `retryStrategy.attempts` 1 (the runtime retries, never AWS), the time limit, and tags (the user's,
 * plus the system tags with `METAFLOW_BATCH_EMIT_TAGS`, propagated to the ECS task); checks the 30 KiB
 * limit.
 *
 * @example
 * ```ts
 * const request = submitJobRequest({ resolved, platform: 'EC2', runId: '17', taskId: '3', attempt: 0,
 *   user: 'jane', command: ['node', 'bundle.mjs', 'step', '{...}'], environment: { METAFLOW_RUN_ID: '17' } });
 * request.containerOverrides?.resourceRequirements; // [{ type: 'VCPU', value: '1' }, { type: 'MEMORY', value: '4096' }]
 * ```
 */
export function submitJobRequest(
  input: SubmitJobInput,
): SubmitJobCommandInput & { jobName: string; jobQueue: string; jobDefinition: string } {
  const p = validateForPlatform(input.resolved, input.platform);
  const where = { flowName: p.flowName, stepName: p.stepName };
  if (input.command.length === 0 || input.command.some((arg) => arg === '')) {
    throw refuse(where, 'the container command must be a non-empty list of non-empty strings.');
  }
  const environment = environmentOf(input, where);
  refuseLocalSecrets(input, where, environment);
  const timeout = input.timeout ? batchTimeout(where, input.timeout, p.runtimeLimitSeconds) : p.timeout;
  const tags = {
    ...(p.emitSystemTags
      ? systemTags({ flowName: p.flowName, runId: input.runId, stepName: p.stepName, user: input.user })
      : {}),
    ...p.tags,
  };
  const hasTags = Object.keys(tags).length > 0;
  const request = {
    jobName: jobNameFor({
      ...where,
      runId: input.runId,
      taskId: input.taskId,
      attempt: input.attempt,
      user: input.user,
    }),
    jobQueue: p.queue,
    jobDefinition: input.jobDefinition ?? jobDefinitionFor(input.resolved, input.platform).jobDefinitionName,
    containerOverrides: {
      command: [...input.command],
      environment,
      resourceRequirements: resources(p.cpu, p.memory, p.gpu),
    },
    timeout: { attemptDurationSeconds: timeout.seconds },
    retryStrategy: { attempts: 1 },
    ...(hasTags ? { tags, propagateTags: true } : {}),
  };
  const parts: Record<string, number> = { command: jsonBytes(input.command) };
  for (const e of environment) parts[`environment variable ${e.name}`] = jsonBytes(e);
  checkRequestSize('SubmitJob', request, where, parts);
  return request;
}
