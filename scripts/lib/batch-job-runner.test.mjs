/**
 * The job-runner stand-in's ARRAY jobs (scripts/lib/batch-job-runner.mjs behind batch-fault-proxy.mjs),
 * driven with the AWS SDK against a moto server of this file's own in simple mode. Where moto differs
 * from AWS (local-aws.md §7), the stand-in models AWS, and the test's name says so.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  BatchClient,
  DescribeJobsCommand,
  ListJobsCommand,
  RegisterJobDefinitionCommand,
  SubmitJobCommand,
  TerminateJobCommand,
} from '@aws-sdk/client-batch';
import { createBatchResources } from '../aws-local.mjs';
import { needService } from '../ci-rules.mjs';
import { OOM_REASON, startFaultProxy } from './batch-fault-proxy.mjs';
import { motoAvailable, startMoto } from './moto.mjs';

const QUEUE = 'runner-queue';
const DEFINITION = 'runner-definition';
const CREDENTIALS = { accessKeyId: 'test', secretAccessKey: 'test' };
let moto;
let logDir;

/** A proxy in runner mode in front of this file's moto, and an SDK client talking to it. */
async function standIn(t, runner) {
  const proxy = await startFaultProxy({ target: moto.url, runner });
  const batch = new BatchClient({ endpoint: proxy.url, region: 'us-east-1', credentials: CREDENTIALS });
  t.after(async () => {
    batch.destroy();
    await proxy.close();
  });
  const submit = async (size, extra = {}) => {
    const out = await batch.send(
      new SubmitJobCommand({
        jobName: `arr-${size}`,
        jobQueue: QUEUE,
        jobDefinition: DEFINITION,
        ...(size ? { arrayProperties: { size } } : {}),
        ...extra,
      }),
    );
    return out.jobId;
  };
  const describeOne = async (jobId) =>
    (await batch.send(new DescribeJobsCommand({ jobs: [jobId] }))).jobs?.[0];
  return { proxy, batch, submit, describeOne };
}

/** Children that wait until the test releases them (`release(i, code)`), or all at once. */
function gate() {
  const waiting = new Map();
  const started = [];
  const child = (_job, index) =>
    new Promise((resolve) => {
      started.push(index);
      waiting.set(index, resolve);
    });
  const release = (index, code = 0) => {
    waiting.get(index)?.(code);
    waiting.delete(index);
  };
  return {
    child,
    started,
    release,
    releaseAll: () => {
      for (const i of [...waiting.keys()]) release(i);
    },
  };
}

async function until(check, what) {
  const deadline = Date.now() + 20_000;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

function skip(t) {
  if (moto) return false;
  needService(t, false, 'moto (python3 with moto[server])');
  return true;
}

describe('job-runner stand-in: AWS Batch array jobs over moto (simple mode)', () => {
  before(async () => {
    if (!motoAvailable()) return;
    logDir = mkdtempSync(path.join(tmpdir(), 'stepflow-runner-moto-'));
    moto = await startMoto({ logDir });
    const config = await fetch(`${moto.url}/moto-api/config`, {
      method: 'POST',
      body: JSON.stringify({ batch: { use_docker: false } }),
    });
    assert.ok(config.ok, 'moto switched to simple mode');
    await createBatchResources(moto.url, {
      bucket: 'runner-bucket',
      queue: QUEUE,
      computeEnvironment: 'runner-ce',
      role: 'runner-role',
      region: 'us-east-1',
    });
    const batch = new BatchClient({ endpoint: moto.url, region: 'us-east-1', credentials: CREDENTIALS });
    await batch.send(
      new RegisterJobDefinitionCommand({
        jobDefinitionName: DEFINITION,
        type: 'container',
        containerProperties: { image: 'node:20', vcpus: 1, memory: 512, command: ['true'] },
      }),
    );
    batch.destroy();
  });

  after(async () => {
    await moto?.stop();
    if (logDir) rmSync(logDir, { recursive: true, force: true });
  });

  it('an array runs its children; the parent is PENDING with a statusSummary while they run, then SUCCEEDED (AWS; moto turns it SUCCEEDED only when described)', async (t) => {
    if (skip(t)) return;
    const g = gate();
    const { batch, submit, describeOne } = await standIn(t, { concurrency: 3, child: g.child });
    const parentId = await submit(5);
    await until(() => g.started.length === 3, 'three children running');
    const parent = await describeOne(parentId);
    assert.equal(parent.status, 'PENDING');
    assert.equal(parent.arrayProperties.size, 5);
    assert.deepEqual(
      {
        RUNNING: parent.arrayProperties.statusSummary.RUNNING,
        RUNNABLE: parent.arrayProperties.statusSummary.RUNNABLE,
      },
      { RUNNING: 3, RUNNABLE: 2 },
    );
    const running = await batch.send(new ListJobsCommand({ arrayJobId: parentId }));
    assert.deepEqual(
      running.jobSummaryList.map((s) => s.jobId),
      [0, 1, 2].map((i) => `${parentId}:${i}`),
      'ListJobs without a status lists the RUNNING children only (AWS)',
    );
    g.release(1, 0);
    await until(() => g.started.length === 4, 'a fourth child started in the freed slot');
    await until(async () => {
      g.releaseAll();
      return (await describeOne(parentId)).status !== 'PENDING';
    }, 'the array to end');
    const done = await describeOne(parentId);
    assert.equal(done.status, 'SUCCEEDED');
    assert.equal(done.arrayProperties.statusSummary.SUCCEEDED, 5);
    const ids = [0, 1, 2, 3, 4].map((i) => `${parentId}:${i}`);
    const children = (await batch.send(new DescribeJobsCommand({ jobs: ids }))).jobs;
    assert.deepEqual(
      children.map((c) => [c.jobId, c.status, c.arrayProperties?.index, c.container?.exitCode]),
      ids.map((id, i) => [id, 'SUCCEEDED', i, 0]),
    );
    for (const c of children) assert.ok(c.startedAt <= c.stoppedAt, `${c.jobId} has startedAt ≤ stoppedAt`);
  });

  it('a failed child (OOM, injected once) makes the parent FAILED once every child ended (AWS; moto keeps it SUBMITTED for good)', async (t) => {
    if (skip(t)) return;
    const g = gate();
    const { proxy, batch, submit, describeOne } = await standIn(t, {
      concurrency: 4,
      child: g.child,
      childFailures: [{ index: 2, exitCode: 137, reason: OOM_REASON }],
    });
    const parentId = await submit(4);
    await until(() => g.started.length === 3, 'the other three children running');
    assert.deepEqual(g.started.sort(), [0, 1, 3], 'the failing child did not run');
    await until(() => proxy.jobStatus(`${parentId}:2`) === 'FAILED', 'child 2 to fail');
    assert.equal((await describeOne(parentId)).status, 'PENDING', 'not FAILED while children run');
    const failed = await batch.send(new ListJobsCommand({ arrayJobId: parentId, jobStatus: 'FAILED' }));
    assert.deepEqual(
      failed.jobSummaryList.map((s) => [s.jobId, s.arrayProperties?.index, s.container?.exitCode]),
      [[`${parentId}:2`, 2, 137]],
    );
    g.releaseAll();
    await until(async () => (await describeOne(parentId)).status !== 'PENDING', 'the array to end');
    const parent = await describeOne(parentId);
    assert.equal(parent.status, 'FAILED');
    assert.equal(parent.arrayProperties.statusSummary.FAILED, 1);
    assert.equal(parent.arrayProperties.statusSummary.SUCCEEDED, 3);
    const child = await describeOne(`${parentId}:2`);
    assert.equal(child.container.exitCode, 137);
    assert.equal(child.container.reason, OOM_REASON);
    assert.equal(child.statusReason, OOM_REASON);
    // Once: the same index of the next array runs.
    const again = await submit(2);
    await until(() => g.started.length === 5, 'both children of the next array running');
    g.releaseAll();
    await until(async () => (await describeOne(again)).status === 'SUCCEEDED', 'the next array to succeed');
  });

  it('ListJobs by arrayJobId and status pages with maxResults ≤ 1000 and nextToken, in index order', async (t) => {
    if (skip(t)) return;
    const { proxy, batch, submit } = await standIn(t, {
      concurrency: 500,
      child: async (_job, index) => (index % 1000 === 7 ? 1 : 0),
    });
    const parentId = await submit(2500);
    await proxy.whenIdle();
    const pages = [];
    let nextToken;
    do {
      const page = await batch.send(
        new ListJobsCommand({ arrayJobId: parentId, jobStatus: 'SUCCEEDED', maxResults: 1000, nextToken }),
      );
      pages.push(page.jobSummaryList.map((s) => s.arrayProperties.index));
      nextToken = page.nextToken;
    } while (nextToken);
    assert.deepEqual(
      pages.map((p) => p.length),
      [1000, 1000, 497],
    );
    const all = pages.flat();
    assert.deepEqual(
      all,
      Array.from({ length: 2500 }, (_, i) => i).filter((i) => i % 1000 !== 7),
    );
    const failed = await batch.send(new ListJobsCommand({ arrayJobId: parentId, jobStatus: 'FAILED' }));
    assert.deepEqual(
      failed.jobSummaryList.map((s) => s.arrayProperties.index),
      [7, 1007, 2007],
    );
    assert.equal(failed.nextToken, undefined);
    await assert.rejects(
      batch.send(new ListJobsCommand({ arrayJobId: parentId, jobStatus: 'FAILED', maxResults: 1001 })),
      (err) => err.name === 'ClientException',
    );
    assert.deepEqual(proxy.arrayStatus(parentId), {
      status: 'FAILED',
      size: 2500,
      statusSummary: {
        SUBMITTED: 0,
        PENDING: 0,
        RUNNABLE: 0,
        STARTING: 0,
        RUNNING: 0,
        SUCCEEDED: 2497,
        FAILED: 3,
      },
    });
  });

  it('TerminateJob on the parent ends every unfinished child (AWS; moto ends none), by child id ends one', async (t) => {
    if (skip(t)) return;
    const g = gate();
    const { proxy, batch, submit, describeOne } = await standIn(t, { concurrency: 2, child: g.child });
    const one = await submit(3);
    await until(() => g.started.length === 2, 'two children running');
    await batch.send(new TerminateJobCommand({ jobId: `${one}:0`, reason: 'just this one' }));
    assert.equal((await describeOne(`${one}:0`)).status, 'FAILED');
    assert.equal((await describeOne(`${one}:0`)).statusReason, 'just this one');
    assert.equal((await describeOne(`${one}:1`)).status, 'RUNNING', 'its sibling runs on');
    g.release(0); // the terminated child's function settles: its slot is free
    await until(() => g.started.length === 3, 'the third child started');
    const many = await submit(4);
    await batch.send(new TerminateJobCommand({ jobId: many, reason: 'stop them all' }));
    const children = (
      await batch.send(new DescribeJobsCommand({ jobs: [0, 1, 2, 3].map((i) => `${many}:${i}`) }))
    ).jobs;
    assert.deepEqual(
      children.map((c) => [c.status, c.statusReason]),
      Array(4).fill(['FAILED', 'stop them all']),
    );
    assert.equal((await describeOne(many)).status, 'FAILED', 'every child ended: the parent is FAILED');
    assert.equal((await describeOne(one)).status, 'PENDING', 'the first array runs on');
    g.releaseAll();
    await proxy.whenIdle();
    assert.equal(g.started.length, 3, 'no child of the terminated array ever started');
    const parent = await describeOne(many);
    assert.equal(parent.status, 'FAILED');
    assert.equal(parent.arrayProperties.statusSummary.FAILED, 4);
    const listed = await batch.send(
      new ListJobsCommand({ jobQueue: QUEUE, filters: [{ name: 'JOB_NAME', values: ['arr-4'] }] }),
    );
    assert.deepEqual(
      listed.jobSummaryList.filter((s) => s.jobId === many).map((s) => [s.status, s.arrayProperties?.size]),
      [['FAILED', 4]],
      "the queue's listing shows the parent in its AWS state",
    );
  });

  it('refuses what AWS refuses and moto accepts: array size 1 or 10,001, DescribeJobs of 101 ids', async (t) => {
    if (skip(t)) return;
    const { proxy, batch, submit } = await standIn(t, { child: async () => 0 });
    for (const size of [1, 10_001]) {
      await assert.rejects(
        submit(size),
        (err) => err.name === 'ClientException' && /between 2 and 10000/.test(err.message),
      );
    }
    assert.equal(proxy.submitted.length, 0, 'nothing reached moto');
    const ids = Array.from({ length: 101 }, (_, i) => `nope-${i}`);
    await assert.rejects(
      batch.send(new DescribeJobsCommand({ jobs: ids })),
      (err) => err.name === 'ClientException' && /100/.test(err.message),
    );
  });

  it('process children get AWS_BATCH_JOB_ARRAY_INDEX (moto sets none) and AWS_BATCH_JOB_ID=<parent>:<i>; calls are counted per interval', async (t) => {
    if (skip(t)) return;
    const { proxy, submit, describeOne } = await standIn(t, { concurrency: 2 });
    const mark = performance.now();
    const env = 'process.env';
    const script =
      `console.log('index=' + ${env}.AWS_BATCH_JOB_ARRAY_INDEX + ' id=' + ${env}.AWS_BATCH_JOB_ID);` +
      `process.exit(${env}.AWS_BATCH_JOB_ARRAY_INDEX === '1' ? 3 : 0)`;
    const parentId = await submit(2, {
      containerOverrides: {
        command: [process.execPath, '-e', script],
        environment: [{ name: 'X', value: '1' }],
      },
    });
    await proxy.whenIdle();
    assert.match(proxy.jobOutput(`${parentId}:0`), new RegExp(`index=0 id=${parentId}:0`));
    assert.match(proxy.jobOutput(`${parentId}:1`), new RegExp(`index=1 id=${parentId}:1`));
    const failed = await describeOne(`${parentId}:1`);
    assert.deepEqual([failed.status, failed.container.exitCode], ['FAILED', 3]);
    assert.equal((await describeOne(parentId)).status, 'FAILED');
    assert.deepEqual(proxy.countsBetween(mark), { SubmitJob: 1, DescribeJobs: 2 });
    assert.deepEqual(proxy.countsBetween(0, mark), {});
  });
});
