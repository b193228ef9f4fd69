import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  SPEC_SETTINGS as BASE,
  EXECUTION_ROLE as EXEC,
  JOB_ROLE as ROLE,
} from '../../../../test/support/fake-launch.js';
import type { BatchSettings } from '../settings.js';
import { jobDefinitionFor } from './job-definition.js';
import { definitionName } from './names.js';
import { parseBatchOptions } from './options.js';
import type { BatchPlatform } from './queue-platform.js';
import { resolveBatch } from './resolve.js';

const where = { flowName: 'MyFlow', stepName: 'train' };
const PLACEHOLDERS = {
  command: ['node', '--version'],
  resourceRequirements: [
    { type: 'VCPU', value: '1' },
    { type: 'MEMORY', value: '2048' },
  ],
};

function definition(
  options: Record<string, unknown>,
  platform: BatchPlatform = 'EC2',
  settings: Partial<BatchSettings> = {},
) {
  const resolved = resolveBatch({
    where,
    options: parseBatchOptions(options, where),
    settings: { ...BASE, ...settings },
    nodeVersion: '20.19.0',
  });
  const { jobDefinitionName, ...content } = jobDefinitionFor(resolved, platform);
  assert.match(jobDefinitionName, /^stepflow-[0-9a-f]{16}$/);
  assert.equal(jobDefinitionName, definitionName(content));
  return content;
}

function ec2(containerExtra: Record<string, unknown>) {
  return {
    type: 'container',
    platformCapabilities: ['EC2'],
    containerProperties: { image: 'node:20', ...PLACEHOLDERS, jobRoleArn: ROLE, ...containerExtra },
    retryStrategy: { attempts: 1 },
  };
}

describe('job-definition', () => {
  it('EC2 definition with defaults: image, job role, placeholders, no AWS retries', () => {
    assert.deepEqual(definition({}), ec2({}));
  });

  it('EC2 definition: each option lands where AWS expects it', () => {
    const cases: Array<[Record<string, unknown>, Record<string, unknown>]> = [
      [{ image: 'ghcr.io/org/app:1' }, { image: 'ghcr.io/org/app:1' }],
      [
        { iamRole: 'arn:aws:iam::123456789012:role/other' },
        { jobRoleArn: 'arn:aws:iam::123456789012:role/other' },
      ],
      [{ sharedMemory: 256 }, { linuxParameters: { sharedMemorySize: 256 } }],
      [{ maxSwap: 1024, swappiness: 100 }, { linuxParameters: { maxSwap: 1024, swappiness: 100 } }],
      [{ maxSwap: 0 }, { linuxParameters: { maxSwap: 0 } }],
      [
        { useTmpfs: true },
        {
          linuxParameters: {
            tmpfs: [{ containerPath: '/metaflow_temp', size: 2048, mountOptions: ['defaults'] }],
          },
        },
      ],
      [
        { tmpfsSize: 100, tmpfsPath: '/scratch', memory: 8192 },
        {
          linuxParameters: { tmpfs: [{ containerPath: '/scratch', size: 100, mountOptions: ['defaults'] }] },
        },
      ],
      [
        { inferentia: 2 },
        {
          linuxParameters: {
            devices: [
              { hostPath: '/dev/neuron0', containerPath: '/dev/neuron0', permissions: ['READ', 'WRITE'] },
              { hostPath: '/dev/neuron1', containerPath: '/dev/neuron1', permissions: ['READ', 'WRITE'] },
            ],
          },
        },
      ],
      [
        { trainium: 1, efa: 2 },
        {
          linuxParameters: {
            devices: [
              { hostPath: '/dev/neuron0', containerPath: '/dev/neuron0', permissions: ['READ', 'WRITE'] },
              {
                hostPath: '/dev/infiniband/uverbs0',
                containerPath: '/dev/infiniband/uverbs0',
                permissions: ['READ', 'WRITE', 'MKNOD'],
              },
              {
                hostPath: '/dev/infiniband/uverbs1',
                containerPath: '/dev/infiniband/uverbs1',
                permissions: ['READ', 'WRITE', 'MKNOD'],
              },
            ],
          },
        },
      ],
      [{ inferentia: 0, efa: 0 }, {}],
      [
        { hostVolumes: ['/data', '/opt/x:/x'], efsVolumes: 'fs-12345678' },
        {
          volumes: [
            { name: 'host-0', host: { sourcePath: '/data' } },
            { name: 'host-1', host: { sourcePath: '/opt/x' } },
            {
              name: 'efs-0',
              efsVolumeConfiguration: { fileSystemId: 'fs-12345678', transitEncryption: 'ENABLED' },
            },
          ],
          mountPoints: [
            { sourceVolume: 'host-0', containerPath: '/data' },
            { sourceVolume: 'host-1', containerPath: '/x' },
            { sourceVolume: 'efs-0', containerPath: '/mnt/fs-12345678' },
          ],
        },
      ],
      [
        { logDriver: 'awslogs', logOptions: ['awslogs-group:/aws/batch/job', 'awslogs-stream-prefix:sf'] },
        {
          logConfiguration: {
            logDriver: 'awslogs',
            options: { 'awslogs-group': '/aws/batch/job', 'awslogs-stream-prefix': 'sf' },
          },
        },
      ],
      [{ logDriver: 'json-file' }, { logConfiguration: { logDriver: 'json-file', options: {} } }],
      [{ privileged: true }, { privileged: true }],
      [{ privileged: false }, {}],
    ];
    for (const [options, extra] of cases)
      assert.deepEqual(definition(options), ec2(extra), JSON.stringify(options));
  });

  it('EC2 definition: sizes, time limits, tags and the queue do not change it (they go in SubmitJob)', () => {
    const base = definition({});
    for (const options of [
      { cpu: 8, memory: 16384, gpu: 2 },
      { queue: 'other' },
      { awsBatchTags: { a: 'b' } },
    ]) {
      assert.deepEqual(definition(options), base, JSON.stringify(options));
    }
    const name = (o: Record<string, unknown>) =>
      jobDefinitionFor(resolveBatch({ where, options: parseBatchOptions(o, where), settings: BASE }), 'EC2')
        .jobDefinitionName;
    assert.equal(name({ cpu: 4 }), name({ memory: 100 }));
    assert.notEqual(name({}), name({ image: 'node:22-slim' }));
    assert.notEqual(name({ useTmpfs: true, memory: 4096 }), name({ useTmpfs: true, memory: 8192 }));
  });

  it('Fargate definition: execution role, platform, network, platform version, ephemeral storage', () => {
    const fargate = (extra: Record<string, unknown>) => ({
      type: 'container',
      platformCapabilities: ['FARGATE'],
      containerProperties: {
        image: 'node:20',
        ...PLACEHOLDERS,
        jobRoleArn: ROLE,
        executionRoleArn: EXEC,
        networkConfiguration: { assignPublicIp: 'ENABLED' },
        fargatePlatformConfiguration: { platformVersion: 'LATEST' },
        runtimePlatform: { operatingSystemFamily: 'LINUX', cpuArchitecture: 'X86_64' },
        ...extra,
      },
      retryStrategy: { attempts: 1 },
    });
    assert.deepEqual(definition({}, 'FARGATE'), fargate({}));
    assert.deepEqual(
      definition({ ephemeralStorage: 100 }, 'FARGATE'),
      fargate({ ephemeralStorage: { sizeInGiB: 100 } }),
    );
    assert.deepEqual(
      definition(
        { logDriver: 'awslogs', logOptions: { 'awslogs-group': 'g' }, efsVolumes: 'fs-1:/efs' },
        'FARGATE',
      ),
      fargate({
        volumes: [
          { name: 'efs-0', efsVolumeConfiguration: { fileSystemId: 'fs-1', transitEncryption: 'ENABLED' } },
        ],
        mountPoints: [{ sourceVolume: 'efs-0', containerPath: '/efs' }],
        logConfiguration: { logDriver: 'awslogs', options: { 'awslogs-group': 'g' } },
      }),
    );
    assert.deepEqual(
      definition({ executionRole: 'arn:aws:iam::123456789012:role/e2' }, 'FARGATE', {
        executionRole: undefined,
      }).containerProperties?.executionRoleArn,
      'arn:aws:iam::123456789012:role/e2',
    );
    // Without a job role, the definition has none (AWS allows it; the launcher prints the notice).
    const noRole = definition({}, 'EC2', { iamRole: undefined });
    assert.equal(noRole.containerProperties?.jobRoleArn, undefined);
  });

  it('registry and image settings reach the definition', () => {
    assert.equal(
      definition({}, 'EC2', { registry: 'reg.example.com' }).containerProperties?.image,
      'reg.example.com/node:20',
    );
    assert.equal(
      definition({}, 'EC2', { image: 'org/app:2', registry: 'reg.io/' }).containerProperties?.image,
      'reg.io/org/app:2',
    );
    assert.equal(
      definition({ image: 'docker.io/org/app' }, 'EC2', { registry: 'reg.io' }).containerProperties?.image,
      'docker.io/org/app',
    );
  });
});
