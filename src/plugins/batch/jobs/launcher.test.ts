import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { SubmitJobCommandInput } from '@aws-sdk/client-batch';
import { FakeBatchApi } from '../../../../test/support/fake-batch-api.js';
import { batchStep, collect, fakeLaunchSpec, testLauncher } from '../../../../test/support/fake-launch.js';
import { MemoryStorage } from '../../../datastore/memory-storage.js';
import type { TaskLaunchSpec } from '../../../decorators/contract.js';
import { BatchConfigError } from '../errors.js';
import { BatchLauncher } from './launcher.js';

const SECRET = 'local-secret-access-key-value';
const LOCAL_ENV = {
  AWS_ACCESS_KEY_ID: 'AKIALOCALKEY0001',
  AWS_SECRET_ACCESS_KEY: SECRET,
  METAFLOW_S3_ENDPOINT_URL: 'http://127.0.0.1:9',
  METAFLOW_DATASTORE_SYSROOT_S3: 's3://bucket/runs',
};

function resolved(stepName: string, options: Record<string, unknown> = {}) {
  return batchStep(stepName, { options });
}

function setup(
  options: { platforms?: string[]; steps?: ReturnType<typeof resolved>[]; storage?: MemoryStorage } = {},
) {
  const {
    api,
    storage,
    notices,
    options: made,
  } = testLauncher({
    api: new FakeBatchApi({ platforms: options.platforms }),
    storage: options.storage,
    steps: options.steps ?? [resolved('train'), resolved('score')],
    env: LOCAL_ENV,
  });
  return { api, storage, notices, make: () => new BatchLauncher(made) };
}

function spec(stepName: string, attempt = 0): TaskLaunchSpec {
  return fakeLaunchSpec(stepName, '2', attempt, { FROM_ENVIRONMENT: 'yes' });
}

describe('BatchLauncher (fake Batch API)', () => {
  it('refuses a datastore that is not S3, naming --datastore s3 and METAFLOW_DEFAULT_DATASTORE', async () => {
    const { make, api } = setup({ storage: new MemoryStorage() });
    await assert.rejects(make().prepare(), (err: Error) => {
      assert.ok(err instanceof BatchConfigError);
      assert.match(err.message, /--datastore s3/);
      assert.match(err.message, /METAFLOW_DEFAULT_DATASTORE/);
      return true;
    });
    assert.equal(api.calls.length, 0);
  });

  it('looks each queue up once and registers each definition once; a second run registers nothing', async () => {
    const { make, api, notices } = setup();
    const first = make();
    await first.prepare();
    assert.equal(api.count('DescribeJobQueues'), 1);
    assert.equal(api.count('DescribeComputeEnvironments'), 1);
    assert.equal(api.count('DescribeJobDefinitions'), 1, 'two steps, one identical definition');
    assert.equal(api.count('RegisterJobDefinition'), 1);
    assert.equal(first.registered.length, 1);
    const second = make();
    await second.prepare();
    assert.equal(api.count('RegisterJobDefinition'), 1);
    assert.deepEqual(second.registered, []);
    assert.ok(notices.some((n) => /job definitions: 0 registered, 1 reused/.test(n)));
  });

  it('checks every step for the platform before registering anything', async () => {
    const exec = { executionRole: 'arn:aws:iam::123456789012:role/exec' };
    const steps = [resolved('ok', exec), resolved('bad', { ...exec, sharedMemory: 64 })];
    const fargate = setup({ platforms: ['FARGATE'], steps });
    await assert.rejects(fargate.make().prepare(), /sharedMemory/);
    assert.equal(fargate.api.count('RegisterJobDefinition'), 0);
    const mixed = setup({ platforms: ['EC2', 'FARGATE_SPOT'] });
    await assert.rejects(mixed.make().prepare(), /mixes Fargate and EC2/);
    const unmanaged = setup({ platforms: ['UNMANAGED'] });
    await unmanaged.make().prepare();
    assert.equal(unmanaged.api.count('RegisterJobDefinition'), 1);
  });

  it('runs a job: bootstrap command, no local credentials, state lines, log lines, record', async () => {
    const { make, api, storage } = setup();
    api.plan = () => ({ status: 'SUCCEEDED', lines: ['one', 'two', 'three'] });
    const launcher = make();
    const task = launcher.launch(spec('train'));
    const [stdout, stderr, outcome] = await Promise.all([
      collect(task.stdout),
      collect(task.stderr),
      task.done,
    ]);
    assert.deepEqual(outcome, { exitCode: 0, signal: null });
    assert.equal(stdout, 'one\ntwo\nthree\n');
    assert.match(stderr, /\[@batch\] job job-1 .*submitted to queue q/);
    assert.match(stderr, /\[@batch\] job job-1 is RUNNABLE/);
    assert.match(stderr, /\[@batch\] job job-1 is RUNNING/);
    const submit = api.calls.find(([a]) => a === 'SubmitJob')?.[1] as SubmitJobCommandInput;
    const command = submit.containerOverrides?.command ?? [];
    assert.deepEqual(command.slice(0, 2), ['node', '-e']);
    assert.equal(command[3], 'step');
    assert.equal(JSON.parse(command[4] ?? '{}').stepName, 'train');
    const env = Object.fromEntries(
      (submit.containerOverrides?.environment ?? []).map((e) => [e.name, e.value]),
    );
    assert.equal(env.FROM_ENVIRONMENT, 'yes');
    assert.equal(env.METAFLOW_S3_ENDPOINT_URL, 'http://127.0.0.1:9');
    assert.equal(env.METAFLOW_DATASTORE_SYSROOT_S3, 's3://bucket/runs');
    assert.equal(env.METAFLOW_DATATOOLS_S3ROOT, 's3://bucket/runs/data', 'new S3({ run }) works in the job');
    assert.equal(env.STEPFLOW_CODE_PACKAGE_URL, 's3://bucket/runs/F/data/bb/pkg');
    assert.equal(env.STEPFLOW_CODE_PACKAGE_SHA, 'b'.repeat(64));
    assert.equal(env.AWS_SECRET_ACCESS_KEY, undefined);
    assert.equal(env.AWS_ACCESS_KEY_ID, undefined);
    assert.ok(!JSON.stringify(submit).includes(SECRET), 'no local credential anywhere in the request');
    const record = JSON.parse(String(await storage.get('F/1/train/2/0.batch.json')));
    assert.equal(record.jobId, 'job-1');
    assert.equal(record.queue, 'q');
    assert.equal(record.logStream, 'stream/job-1');
    assert.equal(record.status, 'SUCCEEDED');
    launcher.close();
  });

  it("prints the task's own logs from the datastore, never CloudWatch, and sets storesOwnLogs", async () => {
    const { make, api, storage } = setup();
    api.plan = () => {
      // What the container's bootstrap saves: both logs, then the marker.
      void storage.put('F/1/train/2/0.stdout.log', Buffer.from('own one\nown two\n'));
      void storage.put('F/1/train/2/0.stderr.log', Buffer.from('own warning\n'));
      void storage.put('F/1/train/2/0.logs.json', Buffer.from('{"stdout":16,"stderr":12,"exitCode":0}'));
      return { status: 'SUCCEEDED', lines: ['from cloudwatch'] };
    };
    const launcher = make();
    const task = launcher.launch(spec('train'));
    assert.equal(task.storesOwnLogs, true);
    const [stdout, stderr] = await Promise.all([collect(task.stdout), collect(task.stderr), task.done]);
    assert.equal(stdout, 'own one\nown two\n');
    assert.match(stderr, /^own warning$/m);
    assert.equal(api.count('GetLogEvents'), 0);
    const submit = api.calls.find(([a]) => a === 'SubmitJob')?.[1] as SubmitJobCommandInput;
    const env = submit.containerOverrides?.environment ?? [];
    assert.equal(
      env.find((e) => e.name === 'STEPFLOW_TASK_LOGS_URL')?.value,
      's3://bucket/runs/F/1/train/2/0.',
    );
    launcher.close();
  });

  it('falls back to CloudWatch when the logs are cut short (no marker), says so, keeps what the task stored', async () => {
    const { make, api, storage } = setup();
    api.plan = () => {
      void storage.put('F/1/train/2/0.stdout.log', Buffer.from('partial\n'));
      return { status: 'FAILED', exitCode: 137, reason: 'OutOfMemoryError', lines: ['partial', 'cw line'] };
    };
    const launcher = make();
    const task = launcher.launch(spec('train'));
    const [stdout, stderr] = await Promise.all([collect(task.stdout), collect(task.stderr), task.done]);
    assert.match(
      stderr,
      /the task's own logs are cut short; showing CloudWatch Logs stream stream\/job-1 of group \/aws\/batch\/job/,
    );
    assert.equal(stdout, 'partial\npartial\ncw line\n');
    assert.equal(String(await storage.get('F/1/train/2/0.stdout.log')), 'partial\n', 'not overwritten');
    launcher.close();
  });

  it('stores the CloudWatch lines as the attempt stdout when the task stored no log', async () => {
    const { make, api, storage } = setup();
    api.plan = () => ({
      status: 'FAILED',
      exitCode: 2,
      reason: 'Essential container exited',
      lines: ['boot failed'],
    });
    const launcher = make();
    const task = launcher.launch(spec('train'));
    const [stdout, stderr] = await Promise.all([collect(task.stdout), collect(task.stderr), task.done]);
    assert.match(stderr, /the task's own logs are missing; showing CloudWatch Logs stream/);
    assert.equal(stdout, 'boot failed\n');
    assert.equal(String(await storage.get('F/1/train/2/0.stdout.log')), 'boot failed\n');
    launcher.close();
  });

  it('a FAILED job gives its reason and the exit code (from ListJobs when DescribeJobs has none)', async () => {
    const { make, api } = setup();
    api.plan = () => ({
      status: 'FAILED',
      exitCode: 7,
      reason: 'Essential container exited',
      exitCodeOnlyInList: true,
    });
    const launcher = make();
    const task = launcher.launch(spec('train'));
    const [, stderr, outcome] = await Promise.all([collect(task.stdout), collect(task.stderr), task.done]);
    assert.equal(outcome.exitCode, 7);
    assert.match(stderr, /\[@batch\] job job-1 FAILED: user code failed \(exit code 7\)/);
    assert.equal(api.count('ListJobs'), 1);
    launcher.close();
  });

  it('a join after a very wide foreach sends its inputs (and their data) through the datastore, keeping SubmitJob small', async () => {
    const { make, api, storage } = setup();
    const launcher = make();
    const inputs = Array.from({ length: 5000 }, (_, i) => `square_it/${i + 2}`);
    const inputData = inputs.map(() => ({
      attempt: 0,
      refs: { x: { sha: 'a'.repeat(64), size: 2, encoding: 'v8', type: 'number' } },
    }));
    const wide = spec('train');
    const task = launcher.launch({ ...wide, task: { ...wide.task, inputs, inputData } });
    await Promise.all([collect(task.stdout), collect(task.stderr), task.done]);
    const submit = api.calls.find(([a]) => a === 'SubmitJob')?.[1] as SubmitJobCommandInput;
    assert.ok(JSON.stringify(submit).length < 30 * 1024, 'SubmitJob stays under 30 KiB');
    const sent = JSON.parse(submit.containerOverrides?.command?.[4] ?? '{}');
    assert.deepEqual(sent.inputs, []);
    assert.equal(sent.inputsKey, 'F/1/train/2/0.inputs.json');
    assert.equal(sent.inputData, undefined);
    assert.deepEqual(JSON.parse(String(await storage.get(sent.inputsKey))), { inputs, inputData });
    launcher.close();
  });

  it('kill terminates the job with a reason naming stepflow, then waits for its end', async () => {
    const { make, api } = setup();
    const launcher = make();
    const task = launcher.launch(spec('train'));
    void collect(task.stdout);
    void collect(task.stderr);
    while (api.count('SubmitJob') === 0) await new Promise((r) => setTimeout(r, 2));
    await task.kill('interrupted (Ctrl-C)');
    const outcome = await task.done;
    assert.equal(outcome.killedReason, 'interrupted (Ctrl-C)');
    const terminate = api.calls.find(([a]) => a === 'TerminateJob')?.[1] as { reason: string };
    assert.match(terminate.reason, /stepflow.*interrupted/);
    launcher.close();
  });
});
