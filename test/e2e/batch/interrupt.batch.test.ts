/**
 * Interrupts with real containers (moto + dockerd, started by `node scripts/test.mjs`): Ctrl-C on a run
 * whose `@batch` tasks are running terminates their jobs and waits for AWS; jobs left behind by a
 * runtime killed with SIGKILL are found by `stepflow batch list` and ended by `stepflow batch kill`.
 * moto's TerminateJob stops the container (its job thread kills it within ~0.5 s); these tests check the
 * AWS state (ListJobs, DescribeJobs).
 */
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { BatchClient, DescribeJobsCommand, type JobSummary, ListJobsCommand } from '@aws-sdk/client-batch';
import { type BatchTestEnv, batchCliEnv, batchEnv, readBatchEnv } from '../../support/batch.js';
import { until } from '../../support/wait.js';
import { runCli, startCli, type Workspace, workspace } from '../helpers.js';

const FLOW = join(fileURLToPath(new URL('.', import.meta.url)), 'flows', 'sleep-flow.ts');
const UNFINISHED = ['SUBMITTED', 'PENDING', 'RUNNABLE', 'STARTING', 'RUNNING'] as const;

function cliEnv(e: BatchTestEnv): NodeJS.ProcessEnv {
  return batchCliEnv(e, { METAFLOW_USER: 'interrupt-tester' });
}

/**
 * The run's jobs that ListJobs shows in an unfinished state on the queue; an array job counts as its
 * unfinished children (ListJobs by `arrayJobId`), since moto leaves a parent SUBMITTED for good once a
 * child failed (AWS marks it FAILED).
 */
async function unfinishedOf(batch: BatchClient, queue: string, runId: string): Promise<JobSummary[]> {
  const out = new Map<string, JobSummary>();
  for (const jobStatus of UNFINISHED) {
    const page = await batch.send(new ListJobsCommand({ jobQueue: queue, jobStatus }));
    for (const j of page.jobSummaryList ?? [])
      if (j.jobName?.includes(`-${runId}-`) && j.jobId) out.set(j.jobId, j);
  }
  const ids = [...out.keys()];
  const described = ids.length > 0 ? await batch.send(new DescribeJobsCommand({ jobs: ids })) : { jobs: [] };
  for (const parent of described.jobs ?? []) {
    if (!parent.jobId || !parent.arrayProperties?.size || parent.arrayProperties.index !== undefined)
      continue;
    out.delete(parent.jobId);
    for (const jobStatus of UNFINISHED) {
      const page = await batch.send(new ListJobsCommand({ arrayJobId: parent.jobId, jobStatus }));
      for (const j of page.jobSummaryList ?? []) if (j.jobId) out.set(j.jobId, j);
    }
  }
  return [...out.values()];
}

/** Starts `stepflow run` of the sleep flow and resolves once `jobs` of its jobs are RUNNING. */
async function runUntilRunning(
  env: BatchTestEnv,
  root: string,
  dir: string,
  jobs: number,
): Promise<{
  child: ChildProcess;
  result: ReturnType<typeof startCli>['result'];
  output: () => string;
  runId: string;
}> {
  const started = startCli(
    ['run', FLOW, '--datastore', 's3', '--datastore-root', root, '--width', String(jobs)],
    {
      cwd: dir,
      env: cliEnv(env),
    },
  );
  let text = '';
  started.child.stdout?.on('data', (d: Buffer) => {
    text += d;
  });
  started.child.stderr?.on('data', (d: Buffer) => {
    text += d;
  });
  const deadline = Date.now() + 90_000;
  for (;;) {
    // Plain jobs (`<uuid>`) or array children (`<uuid>:<index>`: the two tasks start together, as one array).
    const running = new Set(text.match(/job [0-9a-f-]+(:\d+)? is RUNNING/g) ?? []);
    if (running.size >= jobs) break;
    if (started.child.exitCode !== null || Date.now() > deadline) {
      started.child.kill('SIGKILL');
      throw new Error(`the run did not get ${jobs} job(s) RUNNING:\n${text}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  const runId = /SleepBatchFlow\/(\d+)/.exec(text)?.[1] ?? '';
  return { ...started, output: () => text, runId };
}

describe('interrupting @batch runs on the local AWS Batch stand-in', () => {
  let env: BatchTestEnv | undefined;
  let ws: Workspace;
  let root: string;
  let batch: BatchClient;

  before(async () => {
    ws = await workspace();
    env = readBatchEnv();
    if (!env) return;
    root = `s3://${env.bucket}/e2e-interrupt-${Date.now()}`;
    batch = new BatchClient({
      endpoint: env.endpoint,
      region: env.region,
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    });
  });

  after(async () => {
    batch?.destroy();
    await ws.cleanup();
  });

  it('Ctrl-C terminates the running jobs, waits for AWS, exits 130; a second Ctrl-C does not skip it', async (t) => {
    const e = batchEnv(t);
    if (!e) return;
    const run = await runUntilRunning(e, root, ws.dir, 2);
    run.child.kill('SIGINT');
    await until(() => /terminated \(SIGINT received\)/.test(run.output()), 'the TerminateJob lines', {
      everyMs: 100,
      timeoutMs: 60_000,
    });
    run.child.kill('SIGINT');
    const result = await run.result;
    const out = run.output();
    assert.equal(result.code, 130, out);
    assert.match(out, /Still stopping the run's tasks \(SIGINT again\); they will all be stopped first/);
    assert.match(out, /\[@batch\] waiting for AWS to end 2 job\(s\)\.\.\./);
    assert.match(out, /\[@batch\] AWS confirmed the end of the 2 job\(s\) stepflow stopped\./);
    assert.deepEqual(await unfinishedOf(batch, e.queue, run.runId), []);
    const ids = [
      ...new Set([...out.matchAll(/job ([0-9a-f-]{36}(:\d+)?) is RUNNING/g)].map((m) => m[1] as string)),
    ];
    const described = await batch.send(new DescribeJobsCommand({ jobs: ids }));
    for (const job of described.jobs ?? []) {
      assert.equal(job.status, 'FAILED');
      assert.match(job.statusReason ?? '', /^stopped by stepflow: SIGINT received/);
    }
  });

  it('after SIGKILL of the runtime, `batch list` shows the jobs left running and `batch kill` ends them', async (t) => {
    const e = batchEnv(t);
    if (!e) return;
    const run = await runUntilRunning(e, root, ws.dir, 2);
    run.child.kill('SIGKILL');
    await run.result;
    const args = [FLOW, '--datastore', 's3', '--datastore-root', root];
    const opts = { cwd: ws.dir, env: cliEnv(e) };
    const listed = await runCli(['batch', 'list', ...args], opts);
    assert.equal(listed.code, 0, listed.stderr);
    // The two tasks started together: one array job of two children, listed as one line with their counts.
    assert.match(
      listed.stdout,
      new RegExp(
        `2 unfinished AWS Batch job\\(s\\) for SleepBatchFlow/${run.runId} \\(2 of them children of 1 array job\\(s\\)\\):`,
      ),
    );
    assert.match(
      listed.stdout,
      /^SleepBatchFlow\/\d+\/nap array job [0-9a-f-]+: 2 children \(RUNNING 2\) \(queue /m,
    );
    assert.equal((await unfinishedOf(batch, e.queue, run.runId)).length, 2);
    const killed = await runCli(['batch', 'kill', ...args, '--run-id', run.runId], opts);
    assert.equal(killed.code, 0, killed.stdout + killed.stderr);
    assert.match(killed.stdout, /All 2 job\(s\) of SleepBatchFlow\/\d+ ended\./);
    assert.deepEqual(await unfinishedOf(batch, e.queue, run.runId), []);
    const again = await runCli(['batch', 'list', ...args], opts);
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stdout, new RegExp(`No unfinished AWS Batch jobs for SleepBatchFlow/${run.runId}\\.`));
  });
});
