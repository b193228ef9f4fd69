import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { JobDetail } from '@aws-sdk/client-batch';
import { FakeBatchApi } from '../../../../test/support/fake-batch-api.js';
import { collect, fakeLaunchSpec, testLauncher } from '../../../../test/support/fake-launch.js';
import { until } from '../../../../test/support/wait.js';
import type { TaskLaunchSpec } from '../../../decorators/contract.js';
import type { BatchApi } from '../aws.js';
import { KillProgress, terminateWithRetry } from './terminate.js';

/** A fake whose SubmitJob waits for `release()`, whose TerminateJob fails `failTerminate` times, and
 * whose jobs stay RUNNING (ignoring TerminateJob) when `neverEnd` is set. */
class ScriptedApi extends FakeBatchApi {
  failTerminate = 0;
  neverEnd = false;
  private gate: Promise<void> | undefined;
  private open: (() => void) | undefined;
  holdSubmissions(): void {
    this.gate = new Promise((resolve) => {
      this.open = resolve;
    });
  }

  release(): void {
    this.open?.();
  }

  constructor() {
    super();
    // The fake's own calls (instance fields), replaced by scripted ones.
    const base = { submit: this.submitJob, terminate: this.terminateJob, describe: this.describeJobs };
    this.submitJob = async (input) => {
      this.calls.push(['SubmitJob:sent', input]);
      await this.gate;
      return base.submit(input);
    };
    this.terminateJob = async (input) => {
      if (this.failTerminate > 0) {
        this.failTerminate--;
        this.calls.push(['TerminateJob', input]);
        throw new Error('connect ECONNRESET (injected)');
      }
      if (!this.neverEnd) return base.terminate(input);
      this.calls.push(['TerminateJob', input]);
      return { $metadata: {} };
    };
    this.describeJobs = async (input) => {
      if (!this.neverEnd) return base.describe(input);
      this.calls.push(['DescribeJobs', input]);
      const jobs = (input.jobs ?? []).map((jobId) => ({ jobId, status: 'RUNNING' }) as JobDetail);
      return { $metadata: {}, jobs };
    };
  }
}

function setup(env: Record<string, string> = {}) {
  return testLauncher({ api: new ScriptedApi(), env, terminateRetry: { attempts: 3, delayMs: 1 } });
}

function spec(taskId: string): TaskLaunchSpec {
  return fakeLaunchSpec('train', taskId);
}

describe('interrupting @batch jobs (fake Batch API)', () => {
  it('a job killed while its SubmitJob is in flight is terminated once its id is known', async () => {
    const { api, launcher } = setup();
    api.holdSubmissions();
    const task = launcher.launch(spec('2'));
    const stderr = collect(task.stderr);
    void collect(task.stdout);
    await until(() => api.count('SubmitJob:sent') === 1, 'SubmitJob sent');
    const killed = task.kill('SIGINT received');
    await new Promise((r) => setTimeout(r, 20));
    assert.equal(api.count('TerminateJob'), 0, 'no id yet: nothing to terminate');
    api.release();
    await killed;
    const outcome = await task.done;
    assert.equal(outcome.killedReason, 'SIGINT received');
    assert.equal(api.count('TerminateJob'), 1);
    const [, input] = api.calls.find(([a]) => a === 'TerminateJob') as [
      string,
      { jobId: string; reason: string },
    ];
    assert.equal(input.jobId, 'job-1');
    assert.match(input.reason, /^stopped by stepflow: SIGINT received/);
    assert.equal(api.jobs.get('job-1')?.detail.status, 'FAILED');
    assert.match(await stderr, /job job-1 terminated \(SIGINT received\); waiting for AWS to end it/);
    launcher.close();
  });

  it('a job not yet submitted when the kill comes is never submitted', async () => {
    const { api, launcher } = setup();
    const task = launcher.launch(spec('2'));
    void collect(task.stdout);
    void collect(task.stderr);
    await task.kill('SIGTERM received');
    const outcome = await task.done;
    assert.equal(outcome.killedReason, 'SIGTERM received');
    await new Promise((r) => setTimeout(r, 20));
    assert.equal(api.count('SubmitJob'), 0);
    assert.equal(api.count('TerminateJob'), 0);
    launcher.close();
  });

  it('retries a TerminateJob that fails transiently, then waits for the job to end', async () => {
    const { api, launcher, notices } = setup();
    const task = launcher.launch(spec('2'));
    void collect(task.stdout);
    void collect(task.stderr);
    await until(() => api.count('SubmitJob') === 1, 'one SubmitJob');
    api.failTerminate = 2;
    await task.kill('SIGINT received');
    assert.equal(api.count('TerminateJob'), 3);
    assert.equal(api.jobs.get('job-1')?.detail.status, 'FAILED');
    await until(() => notices.some((n) => /AWS confirmed the end/.test(n)), 'the confirmation notice');
    assert.ok(notices.some((n) => n === '[@batch] AWS confirmed the end of the 1 job(s) stepflow stopped.'));
    launcher.close();
  });

  it('when TerminateJob keeps failing, names the job and `stepflow batch kill`, and the task ends', async () => {
    const { api, launcher } = setup();
    const task = launcher.launch(spec('2'));
    void collect(task.stdout);
    const stderr = collect(task.stderr);
    await until(() => api.count('SubmitJob') === 1, 'one SubmitJob');
    api.failTerminate = 99;
    await task.kill('SIGINT received');
    const outcome = await task.done;
    assert.equal(api.count('TerminateJob'), 3);
    assert.match(outcome.killedReason ?? '', /could not terminate job job-1 of F\/1\/train\/2/);
    assert.match(await stderr, /TerminateJob failed 3 time\(s\).*stepflow batch kill <flow file> --run-id 1/);
    launcher.close();
  });

  it('when AWS does not confirm the end in time (STEPFLOW_BATCH_KILL_WAIT_S), says so and ends the task', async () => {
    const { api, launcher, notices } = setup({ STEPFLOW_BATCH_KILL_WAIT_S: '0.2' });
    api.neverEnd = true;
    const task = launcher.launch(spec('2'));
    void collect(task.stdout);
    const stderr = collect(task.stderr);
    await until(() => api.count('SubmitJob') === 1, 'one SubmitJob');
    await task.kill('SIGINT received');
    const outcome = await task.done;
    assert.match(outcome.killedReason ?? '', /AWS did not confirm within 0.2 s that job job-1/);
    assert.match(await stderr, /may still be running: check and end it with `stepflow batch kill/);
    assert.ok(notices.some((n) => /confirmed the end of 0 of 1 job\(s\); 1 could not be confirmed/.test(n)));
    launcher.close();
  });

  it('prints how many jobs the run waits for, once for the kills of a moment', async () => {
    const { api, launcher, notices } = setup();
    const tasks = ['2', '3', '4'].map((id) => launcher.launch(spec(id)));
    for (const t of tasks) {
      void collect(t.stdout);
      void collect(t.stderr);
    }
    // One array job of three children (jobs/array-group.ts): each child is terminated by id.
    await until(() => api.count('SubmitJob') === 1, 'one array SubmitJob');
    // The fake ends a terminated job on the second DescribeJobs: slow the poller down to see the line.
    api.neverEnd = true;
    const kills = tasks.map((t) => t.kill('SIGINT received'));
    await until(() => notices.some((n) => n.startsWith('[@batch] waiting')), 'the waiting notice');
    api.neverEnd = false;
    for (const job of api.jobs.values()) job.plan = { status: 'FAILED', exitCode: 143 };
    await Promise.all(kills);
    assert.deepEqual(
      notices.filter((n) => n.startsWith('[@batch] waiting')),
      ['[@batch] waiting for AWS to end 3 job(s)...'],
    );
    launcher.close();
  });
});

describe('terminate helpers', () => {
  it('terminateWithRetry gives the last error after every call failed', async () => {
    let calls = 0;
    const api = {
      terminateJob: async () => {
        calls++;
        throw new Error(`failure ${calls}`);
      },
    };
    const result = await terminateWithRetry(api as unknown as BatchApi, 'j', 'r', {
      attempts: 2,
      delayMs: 0,
    });
    assert.equal(calls, 2);
    assert.equal(result.ok, false);
    if (!result.ok) assert.equal(result.error.message, 'failure 2');
  });

  it('KillProgress repeats the waiting line while jobs are left', async () => {
    const lines: string[] = [];
    const progress = new KillProgress((m) => lines.push(m), 30);
    const ended = progress.begin();
    await new Promise((r) => setTimeout(r, 130));
    ended();
    assert.ok(lines.filter((l) => l === '[@batch] waiting for AWS to end 1 job(s)...').length >= 2);
    assert.equal(lines.at(-1), '[@batch] AWS confirmed the end of the 1 job(s) stepflow stopped.');
    assert.equal(progress.waiting, 0);
  });
});
