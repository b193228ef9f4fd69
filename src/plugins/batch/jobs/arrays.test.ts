import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { SubmitJobCommandInput } from '@aws-sdk/client-batch';
import type { FakeBatchApi } from '../../../../test/support/fake-batch-api.js';
import {
  batchStep,
  collect,
  fakeLaunchSpec,
  type S3Memory,
  testLauncher,
} from '../../../../test/support/fake-launch.js';
import type { TaskLaunchSpec } from '../../../decorators/contract.js';
import { ARRAY_MANIFEST_ENV } from '../bootstrap/array-child.js';
import { BatchConfigError } from '../errors.js';
import { ArrayGrouper } from './array-group.js';
import { arrayRequest, type JobRequest, manifestChunks, manifestEntry } from './array-manifest.js';
import type { BatchJobRecord } from './batch-job.js';
import type { BatchLauncher } from './launcher.js';

function setup(env: Record<string, string> = {}) {
  return testLauncher({
    steps: [batchStep('train'), batchStep('score')],
    env,
    terminateRetry: { attempts: 2, delayMs: 1 },
  });
}

function launchAll(launcher: BatchLauncher, specs: readonly TaskLaunchSpec[]) {
  return specs.map((s) => {
    const task = launcher.launch(s);
    void collect(task.stdout);
    void collect(task.stderr);
    return task;
  });
}

const specs = (step: string, n: number, attempt = 0) =>
  Array.from({ length: n }, (_, i) => fakeLaunchSpec(step, String(10 + i), attempt));

function submitted(api: FakeBatchApi): SubmitJobCommandInput[] {
  return api.calls.filter(([a]) => a === 'SubmitJob').map(([, input]) => input as SubmitJobCommandInput);
}

async function record(storage: S3Memory, taskId: string, attempt = 0): Promise<BatchJobRecord> {
  const raw = await storage.get(`F/1/train/${taskId}/${attempt}.batch.json`);
  assert.ok(raw, `record of task ${taskId}`);
  return JSON.parse(raw.toString('utf8')) as BatchJobRecord;
}

describe('@batch array jobs: grouping and submission (fake Batch API)', () => {
  it('attempts of one step launched in the same tick are ONE array job; each child has its own record', async () => {
    const { api, storage, launcher } = setup();
    const tasks = launchAll(launcher, specs('train', 5));
    const outcomes = await Promise.all(tasks.map((t) => t.done));
    assert.deepEqual(
      outcomes.map((o) => o.exitCode),
      [0, 0, 0, 0, 0],
    );
    const sent = submitted(api);
    assert.equal(sent.length, 1);
    assert.deepEqual(sent[0]?.arrayProperties, { size: 5 });
    assert.deepEqual(sent[0]?.containerOverrides?.command?.slice(3), ['array']);
    const manifestUrl = sent[0]?.containerOverrides?.environment?.find((e) => e.name === ARRAY_MANIFEST_ENV);
    assert.equal(manifestUrl?.value, 's3://bucket/runs/F/1/_arrays/train/a1-0/');
    const chunk = JSON.parse(String(await storage.get('F/1/_arrays/train/a1-0/0.json')));
    assert.equal(chunk.version, 1);
    assert.equal(chunk.first, 0);
    assert.deepEqual(
      chunk.children.map((c: { task: { taskId: string } }) => c.task.taskId),
      ['10', '11', '12', '13', '14'],
    );
    assert.equal(chunk.children[2].env.STEPFLOW_TASK_LOGS_URL, 's3://bucket/runs/F/1/train/12/0.');
    for (let i = 0; i < 5; i++) {
      const r = await record(storage, String(10 + i));
      assert.deepEqual([r.jobId, r.arrayJobId, r.index, r.status], [`job-1:${i}`, 'job-1', i, 'SUCCEEDED']);
    }
    launcher.close();
  });

  it('a single ready attempt stays a plain job; STEPFLOW_BATCH_ARRAYS=0 makes every attempt a plain job', async () => {
    const one = setup();
    await Promise.all(launchAll(one.launcher, specs('train', 1)).map((t) => t.done));
    assert.equal(submitted(one.api)[0]?.arrayProperties, undefined);
    assert.equal((await record(one.storage, '10')).arrayJobId, undefined);
    one.launcher.close();
    const off = setup({ STEPFLOW_BATCH_ARRAYS: '0' });
    await Promise.all(launchAll(off.launcher, specs('train', 3)).map((t) => t.done));
    const sent = submitted(off.api);
    assert.equal(sent.length, 3);
    assert.ok(sent.every((s) => s.arrayProperties === undefined));
    assert.deepEqual(
      sent.map((s) => s.containerOverrides?.command?.[3]),
      ['step', 'step', 'step'],
    );
    off.launcher.close();
  });

  it('groups wider than STEPFLOW_BATCH_ARRAY_MAX are split; steps never share an array; a bad cap is refused', async () => {
    const { api, launcher } = setup({ STEPFLOW_BATCH_ARRAY_MAX: '3' });
    const tasks = launchAll(launcher, [...specs('train', 7), ...specs('score', 2)]);
    await Promise.all(tasks.map((t) => t.done));
    const sizes = submitted(api).map((s) => s.arrayProperties?.size ?? 1);
    assert.deepEqual(sizes.sort(), [1, 2, 3, 3]);
    launcher.close();
    assert.throws(() => setup({ STEPFLOW_BATCH_ARRAY_MAX: '1' }), BatchConfigError);
  });

  it('failed children come back through launch(): retried in one window as a smaller array, never the whole array', async () => {
    const { api, storage, launcher } = setup();
    api.plan = ({ arrayIndex }) =>
      arrayIndex === 1 || arrayIndex === 3 ? { status: 'FAILED', exitCode: 3 } : { status: 'SUCCEEDED' };
    const first = await Promise.all(launchAll(launcher, specs('train', 5)).map((t) => t.done));
    assert.deepEqual(
      first.map((o) => o.exitCode),
      [0, 3, 0, 3, 0],
    );
    assert.equal((await record(storage, '11')).failure, 'user-code');
    api.plan = () => ({ status: 'SUCCEEDED' });
    const retried = [fakeLaunchSpec('train', '11', 1), fakeLaunchSpec('train', '13', 1)];
    const again = await Promise.all(launchAll(launcher, retried).map((t) => t.done));
    assert.deepEqual(
      again.map((o) => o.exitCode),
      [0, 0],
    );
    const sent = submitted(api);
    assert.deepEqual(
      sent.map((s) => s.arrayProperties?.size),
      [5, 2],
    );
    assert.match(sent[1]?.jobName ?? '', /-a2-1$/);
    assert.equal((await record(storage, '13', 1)).jobId, 'job-2:1');
    launcher.close();
  });

  it('an array SubmitJob answered 5xx after AWS made the array is adopted by its token, not sent again', async () => {
    const { api, storage, launcher } = setup();
    const submit = api.submitJob;
    let failed = 0;
    api.submitJob = async (input) => {
      const out = await submit(input);
      if (failed++ > 0) return out;
      throw Object.assign(new Error('internal error'), {
        name: 'ServerException',
        $metadata: { httpStatusCode: 500 },
      });
    };
    const outcomes = await Promise.all(launchAll(launcher, specs('train', 3)).map((t) => t.done));
    assert.deepEqual(
      outcomes.map((o) => o.exitCode),
      [0, 0, 0],
    );
    assert.equal(api.count('SubmitJob'), 1, 'the array AWS made is adopted');
    assert.equal((await record(storage, '12')).jobId, 'job-1:2');
    launcher.close();
  });

  it('killing the children of an array terminates each by id and waits for AWS to end them', async () => {
    const { api, launcher } = setup();
    api.plan = () => ({ status: 'SUCCEEDED', runnableReason: 'waiting', runnablePolls: 1000 });
    const tasks = launchAll(launcher, specs('train', 3));
    while (api.count('DescribeJobs') < 2) await new Promise((r) => setTimeout(r, 5));
    await Promise.all(tasks.map((t) => t.kill('SIGINT received')));
    const outcomes = await Promise.all(tasks.map((t) => t.done));
    assert.ok(outcomes.every((o) => o.killedReason === 'SIGINT received'));
    const terminated = api.calls
      .filter(([a]) => a === 'TerminateJob')
      .map(([, i]) => (i as { jobId: string }).jobId);
    // Each child by id, then the parent once every child was stopped.
    assert.deepEqual(terminated.sort(), ['job-1', 'job-1:0', 'job-1:1', 'job-1:2']);
    for (const id of terminated.slice(1)) assert.equal(api.jobs.get(id)?.detail.status, 'FAILED');
    launcher.close();
  });
});

describe('@batch array jobs: grouping window and manifest', () => {
  const request = (taskId: string, attempt = 0): JobRequest => ({
    jobName: `jane-F-1-train-${taskId}-${attempt}`,
    jobQueue: 'q',
    jobDefinition: 'd',
    containerOverrides: {
      command: ['node', '-e', 'script', 'step', JSON.stringify({ taskId })],
      environment: [
        { name: 'SHARED', value: 'x' },
        { name: 'STEPFLOW_TASK_LOGS_URL', value: `s3://b/F/1/train/${taskId}/${attempt}.` },
      ],
    },
  });

  function grouper(windowMs?: number) {
    const sent: JobRequest[] = [];
    const g = new ArrayGrouper({
      max: 10_000,
      ...(windowMs === undefined ? {} : { windowMs }),
      submit: async (r) => {
        sent.push(r);
        return { jobId: `p${sent.length}` };
      },
      manifest: (step, label) => ({ key: `${step}/${label}/`, url: `s3://b/${step}/${label}/` }),
      writeChunk: async () => {},
    });
    return { g, sent };
  }

  it('waits while more arrive (within the window), then sends one array', async () => {
    const { g, sent } = grouper();
    const out = [g.submit('train', request('1'), () => false), g.submit('train', request('2'), () => false)];
    await new Promise((r) => setTimeout(r, 2));
    out.push(g.submit('train', request('3'), () => false));
    const ids = await Promise.all(out);
    assert.deepEqual(
      ids.map((o) => o?.jobId),
      ['p1:0', 'p1:1', 'p1:2'],
    );
    assert.equal(sent.length, 1);
  });

  it('a member arriving after the window closed goes in a later submission', async () => {
    const { g, sent } = grouper(0);
    const a = [g.submit('train', request('1'), () => false), g.submit('train', request('2'), () => false)];
    await Promise.all(a);
    await g.submit('train', request('3'), () => false);
    assert.deepEqual(
      sent.map((s) => s.arrayProperties?.size),
      [2, undefined],
    );
  });

  it('chunks the manifest by 100 children; the array keeps the shared environment and names the manifest', () => {
    const requests = Array.from({ length: 250 }, (_, i) => request(String(i)));
    const chunks = manifestChunks(requests);
    assert.deepEqual(
      chunks.map((c) => [c.first, c.children.length]),
      [
        [0, 100],
        [100, 100],
        [200, 50],
      ],
    );
    assert.deepEqual(manifestEntry(requests[120] as JobRequest), {
      task: { taskId: '120' },
      env: { STEPFLOW_TASK_LOGS_URL: 's3://b/F/1/train/120/0.' },
    });
    const array = arrayRequest(requests, 'a1-0', 's3://b/m/');
    assert.equal(array.jobName, 'jane-F-1-train-a1-0');
    assert.deepEqual(array.containerOverrides?.environment, [
      { name: 'SHARED', value: 'x' },
      { name: ARRAY_MANIFEST_ENV, value: 's3://b/m/' },
    ]);
  });
});
