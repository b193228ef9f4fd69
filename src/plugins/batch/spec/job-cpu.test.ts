import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FakeBatchApi } from '../../../../test/support/fake-batch-api.js';
import { batchStep } from '../../../../test/support/fake-launch.js';
import { BatchConfigError } from '../errors.js';
import { BatchPreparation } from '../jobs/prepare.js';
import { cpuOfInstanceType, cpuOfInstanceTypes, jobPlatformFor, parseJobPlatform } from './job-cpu.js';
import { jobDefinitionFor } from './job-definition.js';

function resolved(stepName: string, options: Record<string, unknown> = {}, settings: object = {}) {
  return batchStep(stepName, { options, settings: { imageNodePath: ['/app/node_modules'], ...settings } });
}

describe('job platform from the queue', () => {
  it('maps Graviton families (and a1) to arm64, every other type and optimal to x64', () => {
    for (const t of [
      'm7g',
      'm7g.large',
      'c7gn.2xlarge',
      'r8g',
      'a1.medium',
      'x2gd',
      'im4gn',
      'g5g',
      't4g.nano',
      'is4gen',
      'default_arm64',
    ]) {
      assert.equal(cpuOfInstanceType(t), 'arm64', t);
    }
    for (const t of [
      'optimal',
      'm5.large',
      'c7i',
      'm7a',
      'g5.xlarge',
      'g4dn',
      'p4d.24xlarge',
      'r6idn',
      'inf2',
      'default_x86_64',
    ]) {
      assert.equal(cpuOfInstanceType(t), 'x64', t);
    }
    assert.equal(cpuOfInstanceTypes([]), undefined);
    assert.equal(cpuOfInstanceTypes(['m7g', 'c7g.large']), 'arm64');
    assert.equal(cpuOfInstanceTypes(['m7g', 'optimal']), 'mixed');
  });

  it('STEPFLOW_BATCH_PLATFORM overrides the queue (with a notice when they differ); bad values are refused', () => {
    assert.deepEqual(jobPlatformFor({ queue: 'q', cpu: 'arm64' }, undefined).platform.cpu, 'arm64');
    assert.deepEqual(jobPlatformFor({ queue: 'q' }, undefined).platform.cpu, 'x64');
    const forced = jobPlatformFor({ queue: 'q', cpu: 'x64' }, 'linux-arm64');
    assert.equal(forced.platform.cpu, 'arm64');
    assert.match(forced.notice ?? '', /STEPFLOW_BATCH_PLATFORM=linux-arm64 overrides job queue "q"/);
    assert.equal(parseJobPlatform('linux/amd64').cpu, 'x64');
    assert.equal(parseJobPlatform('aarch64').cpu, 'arm64');
    assert.throws(
      () => parseJobPlatform('darwin-arm64'),
      (err: Error) =>
        err instanceof BatchConfigError &&
        /STEPFLOW_BATCH_PLATFORM="darwin-arm64".*linux-x64 or linux-arm64/.test(err.message),
    );
  });

  it('prepareSteps: a Graviton queue gives arm64 steps; a queue mixing arm64 and x86_64 is an error naming it', async () => {
    const arm = new BatchPreparation(new FakeBatchApi({ instanceTypes: [['m7g', 'c7gn.xlarge']] }));
    const { steps, notices } = await arm.prepareSteps([resolved('train')]);
    assert.equal(steps.get('train')?.jobPlatform.cpu, 'arm64');
    assert.match(notices.at(-1) ?? '', /job platforms: linux-arm64/);
    const mixed = new FakeBatchApi({ platforms: ['EC2', 'SPOT'], instanceTypes: [['m7g'], ['optimal']] });
    await assert.rejects(new BatchPreparation(mixed).prepareSteps([resolved('train')]), (err: Error) => {
      assert.ok(err instanceof BatchConfigError);
      assert.match(
        err.message,
        /job queue "q" mixes arm64 \(Graviton\) and x86_64 instance types \(m7g, optimal\)/,
      );
      return true;
    });
    assert.equal(mixed.count('RegisterJobDefinition'), 0, 'nothing registered');
    const forced = new BatchPreparation(new FakeBatchApi({ instanceTypes: [['optimal']] }), 'linux-arm64');
    assert.equal(
      (await forced.prepareSteps([resolved('train')])).steps.get('train')?.jobPlatform.cpu,
      'arm64',
    );
  });

  it('a Fargate job definition names its CPU architecture (runtimePlatform), x64 unless the setting says arm64', async () => {
    const r = resolved('train', {
      cpu: 1,
      memory: 2048,
      executionRole: 'arn:aws:iam::123456789012:role/exec',
    });
    assert.deepEqual(jobDefinitionFor(r, 'FARGATE').containerProperties?.runtimePlatform, {
      operatingSystemFamily: 'LINUX',
      cpuArchitecture: 'X86_64',
    });
    const prep = new BatchPreparation(new FakeBatchApi({ platforms: ['FARGATE'] }), 'linux-arm64');
    const { steps } = await prep.prepareSteps([r]);
    assert.equal(steps.get('train')?.jobPlatform.cpu, 'arm64');
    const api = new FakeBatchApi({ platforms: ['FARGATE'] });
    await new BatchPreparation(api, 'linux-arm64').prepareSteps([r]);
    const registered = api.calls.find(([a]) => a === 'RegisterJobDefinition')?.[1] as {
      containerProperties: { runtimePlatform: unknown };
    };
    assert.deepEqual(registered.containerProperties.runtimePlatform, {
      operatingSystemFamily: 'LINUX',
      cpuArchitecture: 'ARM64',
    });
    assert.equal(jobDefinitionFor(resolved('train'), 'EC2').containerProperties?.runtimePlatform, undefined);
  });
});
