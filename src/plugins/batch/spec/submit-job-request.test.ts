import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SPEC_SETTINGS as BASE } from '../../../../test/support/fake-launch.js';
import type { BatchSettings } from '../settings.js';
import { jobDefinitionFor } from './job-definition.js';
import { parseBatchOptions } from './options.js';
import type { BatchPlatform } from './queue-platform.js';
import { type ResolveBatchInput, resolveBatch } from './resolve.js';
import { CREDENTIAL_ENV_NAMES, type SubmitJobInput, submitJobRequest } from './submit-job-request.js';

const where = { flowName: 'MyFlow', stepName: 'train' };
const COMMAND = ['node', 'bundle.mjs', 'step', '{"task":1}'];

function resolved(
  options: Record<string, unknown> = {},
  settings: Partial<BatchSettings> = {},
  more: Partial<ResolveBatchInput> = {},
) {
  return resolveBatch({
    where,
    options: parseBatchOptions(options, where),
    settings: { ...BASE, ...settings },
    nodeVersion: '20.19.0',
    ...more,
  });
}

function submit(r = resolved(), platform: BatchPlatform = 'EC2', input: Partial<SubmitJobInput> = {}) {
  return submitJobRequest({
    resolved: r,
    platform,
    runId: '1712',
    taskId: '3',
    attempt: 1,
    user: 'jane.doe',
    command: COMMAND,
    environment: { METAFLOW_RUN_ID: '1712' },
    localEnv: {},
    ...input,
  });
}

describe('submit-job-request', () => {
  it('SubmitJob with defaults: name, queue, definition, overrides, 5-day limit, no AWS retries, no tags', () => {
    const r = resolved();
    assert.deepEqual(submit(r), {
      jobName: 'jane_doe-MyFlow-1712-train-3-1',
      jobQueue: 'q',
      jobDefinition: jobDefinitionFor(r, 'EC2').jobDefinitionName,
      containerOverrides: {
        command: COMMAND,
        environment: [{ name: 'METAFLOW_RUN_ID', value: '1712' }],
        resourceRequirements: [
          { type: 'VCPU', value: '1' },
          { type: 'MEMORY', value: '4096' },
        ],
      },
      timeout: { attemptDurationSeconds: 432000 },
      retryStrategy: { attempts: 1 },
    });
  });

  it('SubmitJob: sizes (merged with @resources), GPUs, the @timeout limit, an explicit definition ARN', () => {
    const r = resolved(
      { cpu: 2, memory: 1024 },
      {},
      {
        resources: { cpu: 1, memory: 8192, gpu: 1 },
        timeout: { seconds: 90.5, source: '@timeout(seconds=90.5)' },
      },
    );
    const request = submit(r, 'EC2', {
      jobDefinition: 'arn:aws:batch:us-east-1:123456789012:job-definition/x:3',
    });
    assert.deepEqual(request.containerOverrides?.resourceRequirements, [
      { type: 'VCPU', value: '2' },
      { type: 'MEMORY', value: '8192' },
      { type: 'GPU', value: '1' },
    ]);
    assert.deepEqual(request.timeout, { attemptDurationSeconds: 91 });
    assert.equal(request.jobDefinition, 'arn:aws:batch:us-east-1:123456789012:job-definition/x:3');
    // A per-attempt limit from the launcher wins over the step's.
    assert.deepEqual(
      submit(r, 'EC2', { timeout: { seconds: 600, source: '@timeout(minutes=10)' } }).timeout,
      {
        attemptDurationSeconds: 600,
      },
    );
    assert.deepEqual(resolved({}, { runtimeLimitSeconds: 3600 }).timeout, {
      seconds: 3600,
      source: 'METAFLOW_DEFAULT_RUNTIME_LIMIT',
    });
  });

  it('SubmitJob on Fargate: sizes rounded to a valid pair, fractional vCPUs allowed', () => {
    const request = submit(resolved({ cpu: 0.25, memory: 600 }), 'FARGATE');
    assert.deepEqual(request.containerOverrides?.resourceRequirements, [
      { type: 'VCPU', value: '0.25' },
      { type: 'MEMORY', value: '1024' },
    ]);
    assert.equal(
      request.jobDefinition,
      jobDefinitionFor(resolved({ cpu: 0.25, memory: 600 }), 'FARGATE').jobDefinitionName,
    );
    assert.notEqual(request.jobDefinition, jobDefinitionFor(resolved(), 'EC2').jobDefinitionName);
  });

  it('SubmitJob: tmpfs as the temp dir sets METAFLOW_TEMPDIR (the task environment wins on a clash)', () => {
    const env = (o: Record<string, unknown>, e: Record<string, string> = {}) =>
      submit(resolved(o), 'EC2', { environment: e }).containerOverrides?.environment;
    assert.deepEqual(env({ useTmpfs: true, tmpfsPath: '/fast' }), [
      { name: 'METAFLOW_TEMPDIR', value: '/fast' },
    ]);
    assert.deepEqual(env({ tmpfsSize: 64 }), [{ name: 'METAFLOW_TEMPDIR', value: '/metaflow_temp' }]);
    assert.deepEqual(env({ useTmpfs: true, tmpfsTempdir: false }), []);
    assert.deepEqual(env({ tmpfsTempdir: true }), []);
    assert.deepEqual(env({ useTmpfs: true }, { METAFLOW_TEMPDIR: '/mine' }), [
      { name: 'METAFLOW_TEMPDIR', value: '/mine' },
    ]);
  });

  it('SubmitJob: AWS credentials never reach the job environment', () => {
    const environment: Record<string, string> = {
      KEEP: 'yes',
      AWS_DEFAULT_REGION: 'us-east-1',
      AWS_PROFILE: 'dev',
    };
    for (const name of CREDENTIAL_ENV_NAMES) environment[name] = `value-of-${name}`;
    environment.aws_secret_access_key = 'lower-case too';
    const request = submit(resolved(), 'EC2', { environment });
    const sent = request.containerOverrides?.environment ?? [];
    assert.deepEqual(
      sent.map((e) => e.name),
      ['KEEP', 'AWS_DEFAULT_REGION', 'AWS_PROFILE'],
    );
    for (const name of ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN']) {
      assert.ok(CREDENTIAL_ENV_NAMES.has(name));
      assert.ok(!JSON.stringify(request).includes(name), name);
    }
  });

  it("SubmitJob tags: the user's always, the system tags with METAFLOW_BATCH_EMIT_TAGS, propagated", () => {
    const userOnly = submit(
      resolved({ awsBatchTags: { team: 'ml' } }, { defaultTags: { team: 'x', cost: 'c1' } }),
    );
    assert.deepEqual(userOnly.tags, { team: 'ml', cost: 'c1' });
    assert.equal(userOnly.propagateTags, true);
    const all = submit(resolved({ awsBatchTags: { app: 'mine' } }, { emitTags: true }), 'EC2', {
      user: 'jane#doe',
    });
    assert.deepEqual(all.tags, {
      app: 'mine',
      'stepflow.flow_name': 'MyFlow',
      'stepflow.run_id': '1712',
      'stepflow.step_name': 'train',
      'stepflow.user': 'janedoe',
    });
    assert.equal(all.propagateTags, true);
    const none = submit(resolved());
    assert.equal(none.tags, undefined);
    assert.equal(none.propagateTags, undefined);
  });

  it('SubmitJob: long or odd names are cleaned, never refused', () => {
    const request = submit(resolved(), 'EC2', { user: 'Jane Doe (admin)', runId: 'r'.repeat(150) });
    assert.match(request.jobName, /^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$/);
    assert.match(request.jobName, /-3-1$/);
  });
});
