/**
 * Failures through the launcher, with the fake Batch API giving what moto cannot: AWS's real fields for an
 * OOM kill, spot reclaims, a job stuck RUNNABLE, an image pull failure, a time-out, a refused SubmitJob.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { SubmitJobCommandInput } from '@aws-sdk/client-batch';
import type { FakeJobPlan } from '../../../../test/support/fake-batch-api.js';
import { batchStep, collect, fakeLaunchSpec, testLauncher } from '../../../../test/support/fake-launch.js';
import type { MemoryStorage } from '../../../datastore/memory-storage.js';
import type { TaskLaunchSpec } from '../../../decorators/contract.js';
import type { BatchLauncher } from './launcher.js';

const OOM: FakeJobPlan = {
  status: 'FAILED',
  reason: 'Essential container in task exited',
  exitCode: 137,
  containerReason: 'OutOfMemoryError: Container killed due to memory usage',
};
const SPOT: FakeJobPlan = { status: 'FAILED', reason: 'Host EC2 (instance i-0123456789abcdef0) terminated.' };

function setup(
  options: {
    batch?: Record<string, unknown>;
    settings?: { defaultTags?: Record<string, string>; emitTags?: boolean };
    spotRetries?: number;
  } = {},
) {
  const step = batchStep('train', { options: options.batch, settings: options.settings });
  return testLauncher({ steps: [step], pollMs: 2, spotRetries: options.spotRetries ?? 3 });
}

const SPEC: TaskLaunchSpec = fakeLaunchSpec('train');

async function runTask(launcher: BatchLauncher) {
  const task = launcher.launch(SPEC);
  const [stdout, stderr, outcome] = await Promise.all([
    collect(task.stdout),
    collect(task.stderr),
    task.done,
  ]);
  launcher.close();
  return { stdout, stderr, outcome };
}

async function record(storage: MemoryStorage) {
  return JSON.parse(String(await storage.get('F/1/train/2/0.batch.json')));
}

describe('@batch failures (fake Batch API)', () => {
  it("fake Batch API: an OOM kill's DescribeJobs fields → out of memory, the memory asked and the option", async () => {
    const { api, launcher, storage } = setup({ batch: { memory: 512 } });
    api.plan = () => OOM;
    const { outcome } = await runTask(launcher);
    assert.equal(outcome.exitCode, 137);
    assert.match(outcome.failure ?? '', /^job job-1 ran out of memory/);
    assert.match(outcome.failure ?? '', /512 MiB \(set by the @batch option memory\)/);
    assert.match(outcome.failure ?? '', /@batch\(\{ memory: 1024 \}\)/);
    assert.equal((await record(storage)).failure, 'out-of-memory');
  });

  it('fake Batch API: a failing step → its exit code and the last lines it printed', async () => {
    const { api, launcher } = setup();
    api.plan = () => ({
      status: 'FAILED',
      reason: 'Essential container in task exited',
      exitCode: 3,
      lines: ['working', 'Error: boom'],
    });
    const { outcome, stdout } = await runTask(launcher);
    assert.equal(stdout, 'working\nError: boom\n');
    assert.equal(outcome.exitCode, 3);
    assert.match(outcome.failure ?? '', /exited with code 3/);
    assert.match(outcome.failure ?? '', /\| working\n {2}\| Error: boom/);
  });

  it('fake Batch API: a spot reclaim is resubmitted as a new job of the same attempt, which succeeds', async () => {
    const { api, launcher, storage } = setup();
    let n = 0;
    api.plan = () => (n++ === 0 ? SPOT : { status: 'SUCCEEDED', lines: ['done'] });
    const { outcome, stderr } = await runTask(launcher);
    assert.deepEqual(outcome, { exitCode: 0, signal: null });
    assert.match(
      stderr,
      /\[@batch\] spot capacity reclaimed \(Host EC2 \(instance i-0123456789abcdef0\) terminated\.\); resubmitting as a new job \(spot retry 1 of 3\)/,
    );
    const submits = api.calls.filter(([a]) => a === 'SubmitJob').map(([, i]) => i as SubmitJobCommandInput);
    assert.equal(submits.length, 2);
    assert.equal(submits[0]?.jobName, submits[1]?.jobName, 'the same attempt');
    for (const s of submits)
      assert.deepEqual(s.retryStrategy, { attempts: 1 }, 'AWS never retries by itself');
    const r = await record(storage);
    assert.equal(r.jobId, 'job-2');
    assert.equal(r.attempt, 0);
    assert.equal(r.status, 'SUCCEEDED');
    assert.deepEqual(
      r.reclaimed?.map(({ jobId, reason }: { jobId: string; reason: string }) => ({ jobId, reason })),
      [{ jobId: 'job-1', reason: 'Host EC2 (instance i-0123456789abcdef0) terminated.' }],
    );
    assert.ok(Date.parse(r.reclaimed?.[0]?.at ?? '') > 0, 'when the loss was seen');
  });

  it('fake Batch API: spot retries used up → a normal failure naming every reclaimed job', async () => {
    const { api, launcher, storage } = setup({ spotRetries: 2 });
    api.plan = () => ({ status: 'FAILED', reason: 'Your Spot Task was interrupted.' });
    const { outcome, stderr } = await runTask(launcher);
    assert.equal(api.count('SubmitJob'), 3);
    assert.match(stderr, /spot retry 2 of 2/);
    assert.doesNotMatch(stderr, /spot retry 3/);
    assert.equal(outcome.exitCode, 1);
    assert.equal(outcome.killedReason, undefined, 'a failure, so @retry applies');
    assert.match(outcome.failure ?? '', /Your Spot Task was interrupted/);
    assert.match(outcome.failure ?? '', /lost 3 jobs to spot reclaims \(job-1, job-2, job-3\)/);
    assert.equal((await record(storage)).reclaimed.length, 2);
  });

  it('fake Batch API: no spot resubmission after a kill', async () => {
    const { api, launcher } = setup();
    api.plan = () => ({
      status: 'SUCCEEDED',
      runnableReason: 'CAPACITY:INSUFFICIENT_INSTANCE_CAPACITY - wait',
    });
    // The job ends with a spot reason although stepflow asked for its end: still no resubmission.
    const terminate = api.terminateJob;
    api.terminateJob = async (input) => {
      const out = await terminate(input);
      const job = api.jobs.get(input.jobId ?? '');
      if (job) job.plan = SPOT;
      return out;
    };
    const task = launcher.launch(SPEC);
    void collect(task.stdout);
    void collect(task.stderr);
    while (api.count('SubmitJob') === 0) await new Promise((r) => setTimeout(r, 2));
    await task.kill('interrupted (Ctrl-C)');
    assert.equal((await task.done).killedReason, 'interrupted (Ctrl-C)');
    assert.equal(api.count('SubmitJob'), 1);
    launcher.close();
  });

  it('fake Batch API: RUNNABLE with MISCONFIGURATION:JOB_RESOURCE_REQUIREMENT → TerminateJob and a fast failure', async () => {
    const { api, launcher, storage } = setup({ batch: { cpu: 96, memory: 800000, gpu: 2 } });
    const reason =
      'MISCONFIGURATION:JOB_RESOURCE_REQUIREMENT - The job resource requirement (vCPU/memory/GPU) is higher than that can be met by the CE(s) attached to the job queue.';
    api.plan = () => ({ status: 'SUCCEEDED', runnableReason: reason });
    const { outcome, stderr } = await runTask(launcher);
    assert.match(stderr, /\[@batch\] job job-1 is RUNNABLE: MISCONFIGURATION:JOB_RESOURCE_REQUIREMENT/);
    const terminate = api.calls.find(([a]) => a === 'TerminateJob')?.[1] as { reason: string };
    assert.match(terminate.reason, /^stopped by stepflow: the job can never be placed \(MISCONFIGURATION/);
    assert.notEqual(outcome.exitCode, 0);
    assert.equal(outcome.killedReason, undefined);
    for (const p of [
      /can never run on queue q/,
      /96 vCPU, 800000 MiB of memory, 2 GPU/,
      /METAFLOW_BATCH_JOB_QUEUE/,
    ]) {
      assert.match(outcome.failure ?? '', p);
    }
    assert.equal((await record(storage)).failure, 'unplaceable');
  });

  it('fake Batch API: RUNNABLE with CAPACITY:* is printed once per change while waiting, never terminated', async () => {
    const { api, launcher } = setup();
    const reason = 'CAPACITY:INSUFFICIENT_INSTANCE_CAPACITY - Service cannot fulfill the capacity requested';
    api.plan = () => ({ status: 'SUCCEEDED', runnableReason: reason, runnablePolls: 4 });
    const { outcome, stderr } = await runTask(launcher);
    assert.deepEqual(outcome, { exitCode: 0, signal: null });
    const lines = stderr.split('\n').filter((l) => l.includes('CAPACITY:'));
    assert.equal(lines.length, 1, stderr);
    assert.match(
      lines[0] ?? '',
      /job job-1 is RUNNABLE: CAPACITY:INSUFFICIENT_INSTANCE_CAPACITY .* \(waiting for capacity\)/,
    );
    assert.ok(stderr.indexOf('CAPACITY:') < stderr.indexOf('is RUNNING'), 'printed while waiting');
    assert.equal(api.count('TerminateJob'), 0);
  });

  it('fake Batch API: CannotPullContainerError → the image named and what to check', async () => {
    const { api, launcher } = setup({ batch: { image: 'reg.example.com/team/app:7' } });
    api.plan = () => ({
      status: 'FAILED',
      reason: 'Task failed to start',
      containerReason: 'CannotPullContainerError: reg.example.com/team/app:7: unauthorized',
    });
    const { outcome } = await runTask(launcher);
    assert.match(outcome.failure ?? '', /image reg\.example\.com\/team\/app:7 could not be pulled/);
    assert.match(outcome.failure ?? '', /execution role \(Fargate\)/);
  });

  it('fake Batch API: Job attempt duration exceeded timeout → the limit and where it came from', async () => {
    const { api, launcher } = setup();
    api.plan = () => ({ status: 'FAILED', reason: 'Job attempt duration exceeded timeout', exitCode: 137 });
    const { outcome } = await runTask(launcher);
    assert.match(outcome.failure ?? '', /timed out/);
    assert.match(outcome.failure ?? '', /432000 s, set by METAFLOW_DEFAULT_RUNTIME_LIMIT/);
  });

  it('fake Batch API: SubmitJob AccessDeniedException with tags → batch:TagResource and where the tags came from', async () => {
    const { api, launcher } = setup({
      batch: { awsBatchTags: { team: 'ml' } },
      settings: { defaultTags: { cost: 'c1' }, emitTags: true },
    });
    api.submitError = (input) =>
      input.tags
        ? Object.assign(
            new Error(
              'User: arn:aws:sts::1:assumed-role/dev/jane is not authorized to perform: batch:TagResource',
            ),
            { name: 'AccessDeniedException' },
          )
        : undefined;
    const { outcome, stderr } = await runTask(launcher);
    assert.equal(outcome.killedReason, undefined, 'a failure of the attempt, not a kill');
    const text = outcome.failure ?? '';
    for (const p of [
      /AWS Batch refused to submit the job of F\/1\/train\/2 \(AccessDeniedException: /,
      /team from the awsBatchTags option/,
      /cost from METAFLOW_BATCH_DEFAULT_TAGS/,
      /app, stepflow\.flow_name.* from METAFLOW_BATCH_EMIT_TAGS=true/,
      /needs the batch:TagResource permission/,
      /unset METAFLOW_BATCH_EMIT_TAGS/,
    ]) {
      assert.match(text, p);
    }
    assert.match(stderr, /batch:TagResource/);
  });

  it('fake Batch API: an access-denied SubmitJob without tags keeps AWS message', async () => {
    const { api, launcher } = setup();
    api.submitError = () =>
      Object.assign(new Error('not authorized to perform: batch:SubmitJob'), {
        name: 'AccessDeniedException',
      });
    const { outcome } = await runTask(launcher);
    assert.match(
      outcome.failure ?? '',
      /could not submit the AWS Batch job of F\/1\/train\/2: not authorized/,
    );
    assert.doesNotMatch(outcome.failure ?? '', /TagResource/);
  });
});
