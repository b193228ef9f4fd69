/**
 * The table of invalid `@batch` configurations: each must fail before any AWS call, with an error that
 * names the flow and step (and, for option errors, the option and value) and the allowed range.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { EXECUTION_ROLE as EXEC, JOB_ROLE as ROLE } from '../../../../test/support/fake-launch.js';
import type { AttemptTimeout } from '../../../decorators/contract.js';
import { DecoratorOptionError } from '../../../decorators/errors.js';
import type { ParsedResourcesOptions } from '../../resources/index.js';
import { BatchConfigError, BatchRequestError } from '../errors.js';
import type { BatchSettings } from '../settings.js';
import { jobDefinitionFor } from './job-definition.js';
import { parseBatchOptions } from './options.js';
import type { BatchPlatform } from './queue-platform.js';
import { resolveBatch } from './resolve.js';
import { type SubmitJobInput, submitJobRequest } from './submit-job-request.js';

const where = { flowName: 'MyFlow', stepName: 'train' };
const BASE: BatchSettings = {
  queue: 'q',
  iamRole: ROLE,
  runtimeLimitSeconds: 432000,
  defaultTags: {},
  emitTags: false,
};

interface Case {
  readonly name: string;
  readonly options?: Record<string, unknown>;
  readonly settings?: Partial<BatchSettings>;
  readonly resources?: ParsedResourcesOptions;
  readonly timeout?: AttemptTimeout;
  readonly platform?: BatchPlatform;
  readonly submit?: Partial<SubmitJobInput>;
  readonly error: RegExp;
  /** The option the error names (option errors), or the setting (config errors). */
  readonly names?: string;
  readonly kind?: 'option' | 'config' | 'request';
}

const tags = (n: number) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`k${i}`, 'v']));
const fargate = (
  options: Record<string, unknown>,
  error: RegExp,
  names: string,
  extra: Partial<Case> = {},
): Case => ({
  name: `Fargate refuses ${names}`,
  options,
  settings: { executionRole: EXEC },
  platform: 'FARGATE',
  error,
  names,
  ...extra,
});

const CASES: readonly Case[] = [
  {
    name: 'cpu 0',
    options: { cpu: 0 },
    error: /option "cpu" must be a number of vCPUs greater than 0 \(got 0\)/,
    names: 'cpu',
  },
  { name: 'cpu negative', options: { cpu: -2 }, error: /option "cpu" must be .* \(got -2\)/, names: 'cpu' },
  {
    name: 'cpu as text',
    options: { cpu: 'four' },
    error: /option "cpu" must be .* \(got "four"\)/,
    names: 'cpu',
  },
  {
    name: 'memory below AWS minimum',
    options: { memory: 2 },
    error: /option "memory" must be a whole number of MiB, at least 4 \(AWS's minimum\) \(got 2\)/,
    names: 'memory',
  },
  {
    name: 'memory fractional',
    options: { memory: 1.5 },
    error: /option "memory" must be a whole number of MiB greater than 0 \(got 1\.5\)/,
    names: 'memory',
  },
  {
    name: 'gpu negative',
    options: { gpu: -1 },
    error: /option "gpu" must be a whole number of GPUs, 0 or more \(got -1\)/,
    names: 'gpu',
  },
  {
    name: 'gpu fractional',
    options: { gpu: 0.5 },
    error: /option "gpu" must be a whole number/,
    names: 'gpu',
  },
  {
    name: 'sharedMemory 0',
    options: { sharedMemory: 0 },
    error: /option "sharedMemory" must be a whole number of MiB greater than 0 \(got 0\)/,
    names: 'sharedMemory',
  },
  {
    name: 'maxSwap negative',
    options: { maxSwap: -1 },
    error: /option "maxSwap" must be a whole number of MiB, 0 or more \(got -1\)/,
    names: 'maxSwap',
  },
  {
    name: 'swappiness above 100',
    options: { maxSwap: 0, swappiness: 101 },
    error: /option "swappiness" must be a whole number from 0 to 100 \(got 101\)/,
    names: 'swappiness',
  },
  {
    name: 'swappiness negative',
    options: { maxSwap: 0, swappiness: -1 },
    error: /from 0 to 100 \(got -1\)/,
    names: 'swappiness',
  },
  {
    name: 'swappiness without maxSwap',
    options: { swappiness: 60 },
    error:
      /option "swappiness" needs "maxSwap": AWS ignores swappiness unless maxSwap is set \(got 60\)\. Add maxSwap/,
    names: 'swappiness',
  },
  {
    name: 'tmpfsPath relative',
    options: { useTmpfs: true, tmpfsPath: 'tmp' },
    error: /option "tmpfsPath" must be an absolute path other than "\/".* \(got "tmp"\)/,
    names: 'tmpfsPath',
  },
  {
    name: 'tmpfsPath root',
    options: { useTmpfs: true, tmpfsPath: '/' },
    error: /option "tmpfsPath" must be an absolute path/,
    names: 'tmpfsPath',
  },
  {
    name: 'tmpfsPath with ..',
    options: { tmpfsSize: 10, tmpfsPath: '/a/../etc' },
    error: /option "tmpfsPath" must be an absolute path/,
    names: 'tmpfsPath',
  },
  {
    name: 'tmpfsSize 0',
    options: { tmpfsSize: 0 },
    error: /option "tmpfsSize" must be a whole number of MiB greater than 0 \(got 0\)/,
    names: 'tmpfsSize',
  },
  {
    name: 'tmpfsSize over memory',
    options: { tmpfsSize: 5000 },
    error: /option "tmpfsSize" must be at most the step's memory \(4096 MiB\).* \(got 5000\)/,
    names: 'tmpfsSize',
  },
  {
    name: 'inferentia and trainium',
    options: { inferentia: 1, trainium: 1 },
    error: /options "inferentia" and "trainium" are the same setting \(trainium is an alias\): give only one/,
    names: 'trainium',
  },
  {
    name: 'ephemeralStorage below 21',
    options: { ephemeralStorage: 20 },
    error: /option "ephemeralStorage" must be a whole number of GiB from 21 to 200 \(got 20\)/,
    names: 'ephemeralStorage',
  },
  {
    name: 'ephemeralStorage above 200',
    options: { ephemeralStorage: 201 },
    error: /from 21 to 200 \(got 201\)/,
    names: 'ephemeralStorage',
  },
  {
    name: 'ephemeralStorage on EC2',
    options: { ephemeralStorage: 30 },
    platform: 'EC2',
    error: /option "ephemeralStorage" is only available on Fargate, and queue "q" runs on EC2 \(got 30\)/,
    names: 'ephemeralStorage',
  },
  {
    name: 'unknown log driver',
    options: { logDriver: 'stdout' },
    error: /option "logDriver" must be one of awslogs, awsfirelens, .*syslog \(got "stdout"\)/,
    names: 'logDriver',
  },
  {
    name: 'logOptions without logDriver',
    options: { logOptions: ['a:b'] },
    error: /option "logOptions" needs "logDriver".*Add logDriver/,
    names: 'logOptions',
  },
  {
    name: 'logOptions entry without colon',
    options: { logDriver: 'awslogs', logOptions: ['nocolon'] },
    error: /each entry of option "logOptions" must be "key:value".* \(got "nocolon"\)/,
    names: 'logOptions',
  },
  {
    name: 'hostVolumes relative',
    options: { hostVolumes: 'data' },
    error: /each entry of option "hostVolumes" must be "\/host\/path".* \(got "data"\)/,
    names: 'hostVolumes',
  },
  {
    name: 'hostVolumes relative target',
    options: { hostVolumes: ['/a:b'] },
    error: /option "hostVolumes".* \(got "\/a:b"\)/,
    names: 'hostVolumes',
  },
  {
    name: 'efsVolumes bad id',
    options: { efsVolumes: 'vol-1' },
    error:
      /each entry of option "efsVolumes" must be an EFS file system id \("fs-12345678"\).* \(got "vol-1"\)/,
    names: 'efsVolumes',
  },
  {
    name: 'mount path used twice',
    options: { useTmpfs: true, hostVolumes: '/x:/metaflow_temp' },
    error: /the container path "\/metaflow_temp" is mounted twice \(by tmpfsPath and hostVolumes\)/,
    names: 'hostVolumes',
  },
  {
    name: 'image with a space',
    options: { image: 'my image' },
    error: /option "image" must be an image reference of at most 255 characters.* \(got "my image"\)/,
    names: 'image',
  },
  {
    name: 'image too long',
    options: { image: `a${'b'.repeat(255)}` },
    error: /option "image" must be an image reference of at most 255/,
    names: 'image',
  },
  {
    name: 'image from the setting',
    settings: { image: 'bad image' },
    error: /option "image" \(from METAFLOW_BATCH_CONTAINER_IMAGE\) must be/,
    names: 'image',
  },
  {
    name: 'registry from the setting',
    settings: { registry: 'bad registry' },
    error: /option "image" \(from METAFLOW_BATCH_CONTAINER_REGISTRY\) must be/,
    names: 'image',
  },
  {
    name: 'iamRole not an ARN',
    options: { iamRole: 'my-role' },
    error:
      /option "iamRole" must be an IAM role ARN, e\.g\. "arn:aws:iam::123456789012:role\/batch-job" \(got "my-role"\)/,
    names: 'iamRole',
  },
  {
    name: 'executionRole from the setting',
    settings: { executionRole: 'exec' },
    error: /option "executionRole" \(from METAFLOW_ECS_FARGATE_EXECUTION_ROLE\) must be an IAM role ARN/,
    names: 'executionRole',
  },
  {
    name: 'queue name characters',
    options: { queue: 'my queue!' },
    error:
      /option "queue" must be a job queue name \(up to 128 letters, digits, - and _\) or a job queue ARN \(got "my queue!"\)/,
    names: 'queue',
  },
  {
    name: 'tag key aws:',
    options: { awsBatchTags: { 'aws:cost': 'x' } },
    error: /tag "aws:cost" must not start its key or value with 'aws:' \(reserved by AWS\)/,
    names: 'awsBatchTags',
  },
  {
    name: 'tag value AWS:',
    options: { awsBatchTags: { team: 'AWS:x' } },
    error: /tag "team" must not start its key or value with 'aws:'/,
    names: 'awsBatchTags',
  },
  {
    name: 'tag key too long',
    options: { awsBatchTags: { ['k'.repeat(129)]: 'v' } },
    error: /must have a key of 1 to 128 characters/,
    names: 'awsBatchTags',
  },
  {
    name: 'empty tag key',
    options: { awsBatchTags: { '': 'v' } },
    error: /tag "" must have a key of 1 to 128 characters/,
    names: 'awsBatchTags',
  },
  {
    name: 'tag value too long',
    options: { awsBatchTags: { team: 'v'.repeat(257) } },
    error: /tag "team" must have a value of at most 256 characters/,
    names: 'awsBatchTags',
  },
  {
    name: 'tag character anywhere',
    options: { awsBatchTags: { team: 'ml#1' } },
    error:
      /tag "team" may only hold letters, digits, spaces and _ \. : \/ = \+ - @ \(got \{"team":"ml#1"\}\)/,
    names: 'awsBatchTags',
  },
  {
    name: '51 tags',
    options: { awsBatchTags: tags(51) },
    error: /a job may have at most 50 tags \(got "51 tags"\)/,
    names: 'awsBatchTags',
  },
  {
    name: '46 tags and the system tags',
    options: { awsBatchTags: tags(46) },
    settings: { emitTags: true },
    error: /at most 50 tags, 5 of them the system tags of METAFLOW_BATCH_EMIT_TAGS/,
    names: 'awsBatchTags',
  },
  {
    name: 'bad default tag',
    settings: { defaultTags: { 'aws:x': '1' } },
    error: /tag "aws:x" \(from METAFLOW_BATCH_DEFAULT_TAGS\) must not start/,
    names: 'awsBatchTags',
  },
  {
    name: '@timeout under 60 s',
    timeout: { seconds: 30, source: '@timeout(seconds=30)' },
    error:
      /the time limit @timeout\(seconds=30\) is 30 seconds; AWS Batch needs at least 60 seconds \(got 30\)\. Raise the limit/,
    names: 'timeout',
  },
  {
    name: 'default runtime limit under 60 s',
    settings: { runtimeLimitSeconds: 30 },
    error: /METAFLOW_DEFAULT_RUNTIME_LIMIT is 30 seconds; AWS Batch needs at least 60/,
    names: 'METAFLOW_DEFAULT_RUNTIME_LIMIT',
    kind: 'config',
  },
  {
    name: 'no queue at launch',
    settings: { queue: undefined },
    platform: 'EC2',
    error: /no job queue\. Set METAFLOW_BATCH_JOB_QUEUE .* or give @batch\(\{ queue: "\.\.\." \}\)/,
    names: 'METAFLOW_BATCH_JOB_QUEUE',
    kind: 'config',
  },
  {
    name: 'fractional cpu on EC2',
    options: { cpu: 0.5 },
    platform: 'EC2',
    error: /option "cpu" must be a whole number of vCPUs, at least 1, on EC2 \(queue "q"\) \(got 0\.5\)/,
    names: 'cpu',
  },
  fargate(
    { sharedMemory: 64 },
    /option "sharedMemory" cannot be used on Fargate \(queue "q" runs on Fargate\): Fargate jobs have no Linux parameters \(got 64\)\. Remove sharedMemory/,
    'sharedMemory',
  ),
  fargate({ maxSwap: 0 }, /option "maxSwap" cannot be used on Fargate/, 'maxSwap'),
  fargate({ maxSwap: 0, swappiness: 5 }, /option "maxSwap" cannot be used on Fargate/, 'maxSwap', {
    name: 'Fargate refuses swap',
  }),
  fargate(
    { useTmpfs: true },
    /option "useTmpfs" cannot be used on Fargate.*tmpfs is given by useTmpfs or tmpfsSize/,
    'useTmpfs',
  ),
  fargate({ tmpfsSize: 100 }, /option "useTmpfs" cannot be used on Fargate/, 'useTmpfs', {
    name: 'Fargate refuses tmpfsSize',
  }),
  fargate({ trainium: 1 }, /option "inferentia" cannot be used on Fargate.*no devices/, 'inferentia'),
  fargate({ efa: 1 }, /option "efa" cannot be used on Fargate/, 'efa'),
  fargate(
    { gpu: 1 },
    /option "gpu" cannot be used on Fargate \(queue "q" runs on Fargate\): Fargate has no GPUs/,
    'gpu',
  ),
  fargate({}, /option "gpu" cannot be used on Fargate/, 'gpu', {
    name: 'Fargate refuses a GPU from @resources',
    resources: { cpu: 1, memory: 4096, gpu: 1 },
  }),
  fargate(
    { hostVolumes: '/data' },
    /option "hostVolumes" cannot be used on Fargate \(queue "q" runs on Fargate\): Fargate tasks see no host paths \(got "\/data"\)/,
    'hostVolumes',
  ),
  fargate({ privileged: true }, /option "privileged" cannot be used on Fargate/, 'privileged'),
  fargate(
    { logDriver: 'json-file' },
    /option "logDriver" cannot be used on Fargate.*only the awslogs and splunk log drivers/,
    'logDriver',
  ),
  fargate(
    { cpu: 32 },
    /Fargate offers at most 16 vCPUs \(valid: 0\.25, 0\.5, 1, 2, 4, 8, 16\) \(got 32\)/,
    'cpu',
    { name: 'Fargate cpu too large' },
  ),
  fargate(
    { memory: 200_000 },
    /Fargate offers at most 122880 MiB \(with 16 vCPUs\) \(got 200000\)/,
    'memory',
    { name: 'Fargate memory too large' },
  ),
  {
    name: 'Fargate without execution role',
    platform: 'FARGATE',
    error:
      /queue "q" runs on Fargate, which needs a task execution role\. Set METAFLOW_ECS_FARGATE_EXECUTION_ROLE/,
    names: 'METAFLOW_ECS_FARGATE_EXECUTION_ROLE',
    kind: 'config',
  },
  {
    name: 'reserved env name',
    platform: 'EC2',
    submit: { environment: { AWS_BATCH_JOB_ID: 'x' } },
    error:
      /environment variable "AWS_BATCH_JOB_ID" cannot be set: names starting with AWS_BATCH are reserved/,
    kind: 'request',
  },
  {
    name: 'empty command argument',
    platform: 'EC2',
    submit: { command: ['node', ''] },
    error: /the container command must be a non-empty list of non-empty strings/,
    kind: 'request',
  },
  {
    name: 'local secret in the environment',
    platform: 'EC2',
    submit: {
      environment: { TOKEN: 'pre-wJalrXUtnFEMI/K7MDENG' },
      localEnv: { AWS_SECRET_ACCESS_KEY: 'wJalrXUtnFEMI/K7MDENG' },
    },
    error:
      /environment variable TOKEN holds the value of the local AWS_SECRET_ACCESS_KEY; local AWS credentials never go into a job/,
    kind: 'request',
  },
  {
    name: 'local secret in the command',
    platform: 'EC2',
    submit: {
      command: ['node', '--token=FQoGZXIvYXdzEKL'],
      localEnv: { AWS_SESSION_TOKEN: 'FQoGZXIvYXdzEKL' },
    },
    error: /command argument 1 holds the value of the local AWS_SESSION_TOKEN/,
    kind: 'request',
  },
  {
    name: 'per-attempt timeout under 60 s',
    platform: 'EC2',
    submit: { timeout: { seconds: 10, source: '@timeout(seconds=10)' } },
    error: /AWS Batch needs at least 60 seconds/,
    names: 'timeout',
  },
  {
    name: 'SubmitJob over 30 KiB',
    platform: 'EC2',
    submit: { environment: { BIG: 'x'.repeat(31_000) } },
    error:
      /the SubmitJob request would be \d+ bytes; AWS accepts at most 30720 \(30 KiB\)\. Largest parts: environment variable BIG \(310\d\d bytes\)/,
    kind: 'request',
  },
  {
    name: 'RegisterJobDefinition over 24 KiB',
    platform: 'EC2',
    options: { hostVolumes: Array.from({ length: 300 }, (_, i) => `/host/path/number/${i}`) },
    error: /the RegisterJobDefinition request would be \d+ bytes; AWS accepts at most 24576 \(24 KiB\)/,
    kind: 'request',
  },
  {
    name: 'unknown option',
    options: { disk: 100 },
    error: /unknown option "disk"\. Valid options: cpu, gpu, memory/,
    names: 'disk',
  },
];

function run(c: Case): unknown {
  const options = parseBatchOptions(c.options ?? {}, where);
  const resolved = resolveBatch({
    where,
    options,
    resources: c.resources,
    settings: { ...BASE, ...c.settings },
    timeout: c.timeout,
    nodeVersion: '20.19.0',
  });
  if (!c.platform) return resolved;
  const definition = jobDefinitionFor(resolved, c.platform);
  if (!c.submit) return definition;
  return submitJobRequest({
    resolved,
    platform: c.platform,
    runId: '1',
    taskId: '2',
    attempt: 0,
    user: 'jane',
    command: ['node', 'task.mjs'],
    environment: {},
    localEnv: {},
    ...c.submit,
  });
}

describe('invalid', () => {
  it(`invalid @batch configurations: ${CASES.length} cases, each with its message`, () => {
    assert.ok(CASES.length >= 30);
    const names = new Set<string>();
    for (const c of CASES) {
      assert.ok(!names.has(c.name), `duplicate case name ${c.name}`);
      names.add(c.name);
      assert.throws(
        () => run(c),
        (err: unknown) => {
          assert.ok(err instanceof Error, c.name);
          assert.match(err.message, /^@batch on step MyFlow\.train: /, c.name);
          assert.match(err.message, c.error, c.name);
          const kind = c.kind ?? 'option';
          if (kind === 'option') {
            assert.ok(err instanceof DecoratorOptionError, `${c.name}: ${err.name}`);
            assert.equal(err.option, c.names, c.name);
            assert.equal(err.flow, 'MyFlow');
            assert.equal(err.step, 'train');
          } else if (kind === 'config') {
            assert.ok(err instanceof BatchConfigError, `${c.name}: ${err.name}`);
            assert.equal(err.setting, c.names, c.name);
          } else {
            assert.ok(err instanceof BatchRequestError, `${c.name}: ${err.name}`);
          }
          return true;
        },
        c.name,
      );
    }
  });

  it('the same options without the fault are valid (the table tests what it claims)', () => {
    assert.doesNotThrow(() =>
      run({
        name: 'ok',
        options: { maxSwap: 0, swappiness: 100, tmpfsSize: 4096 },
        platform: 'EC2',
        submit: {},
        error: /x/,
      }),
    );
    assert.doesNotThrow(() =>
      run({
        name: 'ok',
        options: { awsBatchTags: tags(45) },
        settings: { emitTags: true },
        platform: 'EC2',
        submit: {},
        error: /x/,
      }),
    );
    assert.doesNotThrow(() =>
      run({
        name: 'ok',
        options: { ephemeralStorage: 21 },
        settings: { executionRole: EXEC },
        platform: 'FARGATE',
        error: /x/,
      }),
    );
    assert.doesNotThrow(() =>
      run({ name: 'ok', timeout: { seconds: 59.5, source: '@timeout(seconds=59.5)' }, error: /x/ }),
    );
  });
});
