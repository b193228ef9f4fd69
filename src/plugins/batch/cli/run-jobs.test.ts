import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { JobStatus } from '@aws-sdk/client-batch';
import { FakeBatchApi } from '../../../../test/support/fake-batch-api.js';
import { MemoryStorage } from '../../../datastore/memory-storage.js';
import { BatchRunJobsError } from '../errors.js';
import { jobNameFor } from '../spec/names.js';
import { killJobs, runJobs, selectRuns } from './run-jobs.js';

const ROOT = 's3://bucket/runs';

/** The fake Batch API with statuses that stay as set (DescribeJobs does not move them on). */
function fakeApi(): FakeBatchApi {
  const api = new FakeBatchApi();
  api.describeJobs = async (input) => {
    api.calls.push(['DescribeJobs', input]);
    if ((input.jobs ?? []).length > 100) throw new Error('DescribeJobs takes at most 100 jobs');
    const jobs = (input.jobs ?? []).flatMap((id) => {
      const job = api.jobs.get(id);
      return job ? [{ ...job.detail }] : [];
    });
    return { $metadata: {}, jobs };
  };
  api.terminateJob = async (input) => {
    api.calls.push(['TerminateJob', input]);
    const job = api.jobs.get(input.jobId ?? '');
    if (job) Object.assign(job.detail, { status: 'FAILED', statusReason: input.reason });
    return { $metadata: {} };
  };
  return api;
}

async function addRun(storage: MemoryStorage, runId: string, user: string, queue?: string): Promise<void> {
  const extra = queue ? { decorators: { train: [{ name: 'batch', options: { queue } }] } } : {};
  const run = { flowName: 'F', runId, user, tags: [], startedAt: '', graph: {}, parameters: {}, extra };
  await storage.put(`F/${runId}/_meta/run.json`, Buffer.from(JSON.stringify(run)));
}

/** Submits a job of the run (as the launcher names it) and, unless `record` is false, its record. */
async function addJob(
  api: FakeBatchApi,
  storage: MemoryStorage,
  at: { runId: string; user: string; step: string; task: string; attempt?: number; queue?: string },
  status: JobStatus,
  record = true,
): Promise<string> {
  const attempt = at.attempt ?? 0;
  const queue = at.queue ?? 'q';
  const jobName = jobNameFor({
    user: at.user,
    flowName: 'F',
    runId: at.runId,
    stepName: at.step,
    taskId: at.task,
    attempt,
  });
  const { jobId } = await api.submitJob({ jobName, jobQueue: queue, jobDefinition: 'd' });
  const id = jobId as string;
  (api.jobs.get(id)?.detail as { status?: JobStatus }).status = status;
  if (record) {
    const body = {
      jobId: id,
      jobName,
      attempt,
      queue,
      jobDefinition: 'd',
      computeEnvironments: [],
      codePackage: 'x',
    };
    await storage.put(
      `F/${at.runId}/${at.step}/${at.task}/${attempt}.batch.json`,
      Buffer.from(JSON.stringify(body)),
    );
  }
  return id;
}

describe('selectRuns: which runs batch list/kill look at', () => {
  it('defaults to the latest run of the current user; --run-id, --user and --my-runs select as Metaflow', async () => {
    const storage = new MemoryStorage(ROOT);
    await addRun(storage, '100', 'jane');
    await addRun(storage, '200', 'jane');
    await addRun(storage, '300', 'bob');
    const ids = (runs: { runId: string }[]) => runs.map((r) => r.runId);
    assert.deepEqual(ids(await selectRuns(storage, 'F', {}, 'jane')), ['200']);
    assert.deepEqual(ids(await selectRuns(storage, 'F', {}, 'bob')), ['300']);
    assert.deepEqual(ids(await selectRuns(storage, 'F', { runId: '100' }, 'bob')), ['100']);
    assert.deepEqual(ids(await selectRuns(storage, 'F', { myRuns: true }, 'jane')), ['200', '100']);
    assert.deepEqual(ids(await selectRuns(storage, 'F', { user: 'bob' }, 'jane')), ['300']);
    assert.deepEqual(ids(await selectRuns(storage, 'F', { user: 'bob', runId: '100' }, 'jane')), []);
  });

  it('ignores folders beside the runs that are not runs (old-copy with a copied record, an id with a suffix)', async () => {
    const storage = new MemoryStorage(ROOT);
    await addRun(storage, '100', 'jane');
    const copy = (await storage.get('F/100/_meta/run.json')) as Buffer;
    await storage.put('F/old-copy/_meta/run.json', copy);
    await storage.put('F/1009-bak/_meta/run.json', copy);
    await storage.put('F/notes.txt', Buffer.from('a file'));
    const ids = (runs: { runId: string }[]) => runs.map((r) => r.runId);
    assert.deepEqual(ids(await selectRuns(storage, 'F', {}, 'jane')), ['100']);
    assert.deepEqual(ids(await selectRuns(storage, 'F', { myRuns: true }, 'jane')), ['100']);
    await assert.rejects(selectRuns(storage, 'F', { runId: 'old-copy' }, 'jane'), /No run F\/old-copy/);
  });

  it('says what to do when there is no run, no such run, or options exclude each other', async () => {
    const storage = new MemoryStorage(ROOT);
    await addRun(storage, '100', 'bob');
    await assert.rejects(selectRuns(storage, 'F', {}, 'jane'), (err: Error) => {
      assert.ok(err instanceof BatchRunJobsError);
      assert.match(err.message, /No run of F by jane in the datastore s3:\/\/bucket\/runs: pass --run-id ID/);
      return true;
    });
    await assert.rejects(selectRuns(storage, 'F', { runId: '7' }, 'jane'), /No run F\/7 in the datastore/);
    await assert.rejects(
      selectRuns(storage, 'F', { myRuns: true, user: 'x' }, 'jane'),
      /--user and --my-runs/,
    );
    await assert.rejects(
      selectRuns(storage, 'F', { myRuns: true, runId: '1' }, 'jane'),
      /--run-id and --my-runs/,
    );
    assert.deepEqual(await selectRuns(storage, 'F', { user: 'jane' }, 'jane'), []);
  });
});

describe('runJobs and killJobs (fake Batch API)', () => {
  it("finds a run's unfinished jobs from its records and, without a record, from ListJobs by name", async () => {
    const api = fakeApi();
    const storage = new MemoryStorage(ROOT);
    await addRun(storage, '17', 'jane', 'other-q');
    await addRun(storage, '170', 'jane');
    const running = await addJob(
      api,
      storage,
      { runId: '17', user: 'jane', step: 'train', task: '3' },
      'RUNNING',
    );
    await addJob(api, storage, { runId: '17', user: 'jane', step: 'train', task: '4' }, 'SUCCEEDED');
    const retried = await addJob(
      api,
      storage,
      { runId: '17', user: 'jane', step: 'train', task: '4', attempt: 1 },
      'RUNNABLE',
    );
    const noRecord = await addJob(
      api,
      storage,
      { runId: '17', user: 'jane', step: 'score', task: '9', queue: 'other-q' },
      'SUBMITTED',
      false,
    );
    // Run 170's names start with "jane-F-170-": not a job of run 17.
    await addJob(api, storage, { runId: '170', user: 'jane', step: 'train', task: '3' }, 'RUNNING', false);
    const runs = await selectRuns(storage, 'F', { runId: '17' }, 'jane');
    const jobs = await runJobs({ api, storage, flowName: 'F', defaultQueue: 'q' }, runs, {
      unfinished: true,
    });
    assert.deepEqual(
      jobs.map((j) => [j.pathspec, j.attempt, j.jobId, j.status, j.queue]),
      [
        ['F/17/score/9', 0, noRecord, 'SUBMITTED', 'other-q'],
        ['F/17/train/3', 0, running, 'RUNNING', 'q'],
        ['F/17/train/4', 1, retried, 'RUNNABLE', 'q'],
      ],
    );
    const all = await runJobs({ api, storage, flowName: 'F' }, runs);
    assert.equal(all.length, 4, 'the finished job too, without `unfinished`');
  });

  it('an array job is one entry with its children counts; kill ends each child by id, not waiting on the parent', async () => {
    const api = fakeApi();
    const storage = new MemoryStorage(ROOT);
    await addRun(storage, '17', 'jane');
    const name = jobNameFor({
      user: 'jane',
      flowName: 'F',
      runId: '17',
      stepName: 'train',
      taskId: 'a1',
      attempt: 0,
    });
    const { jobId } = await api.submitJob({
      jobName: name,
      jobQueue: 'q',
      jobDefinition: 'd',
      arrayProperties: { size: 3 },
    });
    const parent = jobId as string;
    // As the local stand-in shows it: no status summary, and SUBMITTED for good.
    Object.assign(api.jobs.get(parent)?.detail ?? {}, { status: 'SUBMITTED', arrayProperties: { size: 3 } });
    const states: JobStatus[] = ['RUNNING', 'RUNNING', 'SUCCEEDED'];
    for (let i = 0; i < 3; i++) {
      Object.assign(api.jobs.get(`${parent}:${i}`)?.detail ?? {}, { status: states[i] });
      const record = {
        jobId: `${parent}:${i}`,
        arrayJobId: parent,
        index: i,
        jobName: name,
        attempt: 0,
        queue: 'q',
      };
      await storage.put(`F/17/train/${10 + i}/0.batch.json`, Buffer.from(JSON.stringify(record)));
    }
    const runs = await selectRuns(storage, 'F', {}, 'jane');
    const jobs = await runJobs({ api, storage, flowName: 'F' }, runs, { unfinished: true });
    assert.deepEqual(
      jobs.map((j) => [j.pathspec, j.jobId, j.arrayJobId, j.array]),
      [
        ['F/17/train', parent, undefined, { size: 3, counts: { RUNNING: 2, SUCCEEDED: 1 } }],
        ['F/17/train/10', `${parent}:0`, parent, undefined],
        ['F/17/train/11', `${parent}:1`, parent, undefined],
      ],
    );
    const result = await killJobs(api, jobs, { reason: 'stepflow batch kill', pollMs: 1, waitMs: 5000 });
    const terminated = api.calls
      .filter(([a]) => a === 'TerminateJob')
      .map(([, i]) => (i as { jobId: string }).jobId);
    assert.deepEqual(terminated.sort(), [parent, `${parent}:0`, `${parent}:1`].sort());
    assert.deepEqual(result.ended.map((j) => j.jobId).sort(), [`${parent}:0`, `${parent}:1`]);
    assert.deepEqual(result.unconfirmed, []);
  });

  it('describes at most 100 jobs per DescribeJobs call', async () => {
    const api = fakeApi();
    const storage = new MemoryStorage(ROOT);
    await addRun(storage, '5', 'jane');
    for (let i = 0; i < 150; i++) {
      await addJob(api, storage, { runId: '5', user: 'jane', step: 'fan', task: String(i) }, 'RUNNING');
    }
    const runs = await selectRuns(storage, 'F', {}, 'jane');
    const jobs = await runJobs({ api, storage, flowName: 'F' }, runs, { unfinished: true });
    assert.equal(jobs.length, 150);
    assert.equal(api.count('DescribeJobs'), 2);
  });

  it('killJobs terminates with a reason naming stepflow and waits until AWS says each ended', async () => {
    const api = fakeApi();
    const storage = new MemoryStorage(ROOT);
    await addRun(storage, '17', 'jane');
    await addJob(api, storage, { runId: '17', user: 'jane', step: 'train', task: '3' }, 'RUNNING');
    await addJob(api, storage, { runId: '17', user: 'jane', step: 'train', task: '4' }, 'RUNNABLE');
    const source = { api, storage, flowName: 'F' };
    const runs = await selectRuns(storage, 'F', {}, 'jane');
    const progress: string[] = [];
    const result = await killJobs(api, await runJobs(source, runs, { unfinished: true }), {
      reason: 'stepflow batch kill',
      pollMs: 1,
      progress: (m) => progress.push(m),
    });
    assert.equal(result.ended.length, 2);
    assert.deepEqual(result.failed, []);
    assert.deepEqual(result.unconfirmed, []);
    assert.match(result.ended[0]?.statusReason ?? '', /^stopped by stepflow: stepflow batch kill/);
    assert.deepEqual(progress, ['waiting for AWS to end 2 job(s)...']);
    assert.deepEqual(await runJobs(source, runs, { unfinished: true }), []);
  });

  it('killJobs reports a TerminateJob that keeps failing and a job AWS does not end in time', async () => {
    const api = fakeApi();
    const storage = new MemoryStorage(ROOT);
    await addRun(storage, '17', 'jane');
    const stuck = await addJob(api, storage, { runId: '17', user: 'jane', step: 'a', task: '1' }, 'RUNNING');
    const refused = await addJob(
      api,
      storage,
      { runId: '17', user: 'jane', step: 'b', task: '2' },
      'RUNNING',
    );
    api.terminateJob = async (input) => {
      api.calls.push(['TerminateJob', input]);
      if (input.jobId === refused) throw new Error('AccessDenied (injected)');
      return { $metadata: {} };
    };
    const runs = await selectRuns(storage, 'F', {}, 'jane');
    const jobs = await runJobs({ api, storage, flowName: 'F' }, runs, { unfinished: true });
    const result = await killJobs(api, jobs, {
      reason: 'test',
      waitMs: 30,
      pollMs: 5,
      retry: { attempts: 2, delayMs: 0 },
    });
    assert.deepEqual(
      result.failed.map((f) => [f.job.jobId, f.error.message]),
      [[refused, 'AccessDenied (injected)']],
    );
    assert.deepEqual(
      result.unconfirmed.map((j) => j.jobId),
      [stuck],
    );
    assert.equal(api.count('TerminateJob'), 3, 'two calls for the refused job, one for the other');
  });
});

describe('runJobs on a queue ListJobs refuses (fake Batch API)', () => {
  it('still describes the recorded jobs and warns about the queue', async () => {
    const api = fakeApi();
    const storage = new MemoryStorage(ROOT);
    await addRun(storage, '17', 'jane', 'gone-q');
    const id = await addJob(api, storage, { runId: '17', user: 'jane', step: 'train', task: '3' }, 'RUNNING');
    const list = api.listJobs;
    api.listJobs = async (input) => {
      if (input.jobQueue === 'gone-q') throw new Error('ClientException: Job queue gone-q does not exist');
      return list(input);
    };
    const warnings: string[] = [];
    const runs = await selectRuns(storage, 'F', {}, 'jane');
    const jobs = await runJobs({ api, storage, flowName: 'F' }, runs, {
      unfinished: true,
      warn: (m) => warnings.push(m),
    });
    assert.deepEqual(
      jobs.map((j) => j.jobId),
      [id],
    );
    assert.equal(warnings.length, 1);
    assert.match(warnings[0] ?? '', /ListJobs on queue gone-q failed .*does not exist/);
  });
});
