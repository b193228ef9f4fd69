import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { DescribeJobsCommandInput, JobStatus } from '@aws-sdk/client-batch';
import { FakeBatchApi } from '../../../../test/support/fake-batch-api.js';
import type { BatchApi } from '../aws.js';
import { SMALL_ARRAY } from './array-poller.js';
import { JobPoller } from './poller.js';

/** An array of `size` children on the fake, all followed; `seen` collects each child's states as told. */
async function followed(api: FakeBatchApi, size: number, poller: JobPoller) {
  const { jobId } = await api.submitJob({
    jobName: 'arr',
    jobQueue: 'q',
    jobDefinition: 'd',
    arrayProperties: { size },
  });
  const seen = new Map<number, string[]>();
  for (let i = 0; i < size; i++) {
    poller.watch(`${jobId}:${i}`, (job) => {
      seen.set(i, [...(seen.get(i) ?? []), job.status as string]);
      return job.status === 'SUCCEEDED' || job.status === 'FAILED';
    });
  }
  const set = (from: number, to: number, status: JobStatus) => {
    for (let i = from; i < to; i++) {
      const child = api.jobs.get(`${jobId}:${i}`);
      if (child) (child.detail as { status?: JobStatus }).status = status;
    }
  };
  return { parent: jobId as string, seen, set };
}

describe('JobPoller and array jobs (unit-level fake Batch API: children change state only when the test says)', () => {
  it('follows a 1,000-child array in 1 + ⌈changed/100⌉ calls a cycle (one state changing), whatever the width', async () => {
    const api = new FakeBatchApi();
    const poller = new JobPoller(api, 60_000);
    const { seen, set } = await followed(api, 1000, poller);
    const cycle = async () => {
      const before = api.calls.length;
      await poller.cycle();
      const made = api.calls.slice(before).map(([a]) => a);
      return {
        describe: made.filter((a) => a === 'DescribeJobs').length,
        list: made.filter((a) => a === 'ListJobs').length,
      };
    };
    assert.deepEqual(await cycle(), { describe: 1, list: 0 }, 'nothing changed: the parent alone');
    set(0, 150, 'RUNNING');
    assert.deepEqual(await cycle(), { describe: 1, list: 1 }, '150 started: one ListJobs of RUNNING');
    assert.deepEqual(seen.get(149), ['RUNNING']);
    assert.equal(seen.get(150), undefined, 'children that did not change are told nothing');
    assert.deepEqual(await cycle(), { describe: 1, list: 0 });
    set(0, 100, 'SUCCEEDED');
    assert.deepEqual(await cycle(), { describe: 1, list: 1 });
    assert.deepEqual(seen.get(5), ['RUNNING', 'SUCCEEDED']);
    set(100, 130, 'FAILED');
    // 30 newly FAILED: their ListJobs, then ONE DescribeJobs for their reasons and exit codes.
    assert.deepEqual(await cycle(), { describe: 2, list: 1 });
    assert.deepEqual(seen.get(120), ['RUNNING', 'FAILED']);
    // Most of the array ends at once: the states still holding children are listed instead.
    set(130, 1000, 'SUCCEEDED');
    const big = await cycle();
    assert.ok(big.describe + big.list <= 1 + Math.ceil(870 / 100), JSON.stringify(big));
    assert.deepEqual(seen.get(999), ['SUCCEEDED']);
    assert.equal(poller.active, 0, 'every child ended and is no longer followed');
    assert.equal(poller.callsPerCycle.max, 3);
    poller.stop();
  });

  it('a child followed late (its record is written first) is told its state even if it ended before', async () => {
    const api = new FakeBatchApi();
    const poller = new JobPoller(api, 60_000);
    const { jobId } = await api.submitJob({
      jobName: 'arr',
      jobQueue: 'q',
      jobDefinition: 'd',
      arrayProperties: { size: 100 },
    });
    const seen = new Map<number, string>();
    const watch = (from: number, to: number) => {
      for (let i = from; i < to; i++) {
        poller.watch(`${jobId}:${i}`, (job) => {
          seen.set(i, job.status as string);
          return job.status === 'SUCCEEDED' || job.status === 'FAILED';
        });
      }
    };
    watch(0, 50);
    await poller.cycle();
    for (let i = 0; i < 100; i++)
      Object.assign(api.jobs.get(`${jobId}:${i}`)?.detail ?? {}, { status: 'SUCCEEDED' });
    await poller.cycle();
    assert.equal(seen.get(0), 'SUCCEEDED');
    watch(50, 100);
    await poller.cycle();
    assert.equal(seen.get(99), 'SUCCEEDED', 'the late child ended before it was followed');
    assert.equal(poller.active, 0);
    poller.stop();
  });

  it(`an array with at most ${SMALL_ARRAY} children is described child by child (state lines and logs as today)`, async () => {
    const api = new FakeBatchApi();
    const poller = new JobPoller(api, 60_000);
    const { parent, seen } = await followed(api, 3, poller);
    while (poller.active > 0) await poller.cycle();
    assert.deepEqual(seen.get(0), ['RUNNABLE', 'RUNNING', 'SUCCEEDED']);
    const described = api.calls
      .filter(([a]) => a === 'DescribeJobs')
      .map(([, i]) => (i as { jobs: string[] }).jobs);
    assert.deepEqual(described[0], [`${parent}:0`, `${parent}:1`, `${parent}:2`]);
    poller.stop();
  });

  it('a parent without a status summary (as the local stand-in may give) has its children described directly', async () => {
    const fake = new FakeBatchApi();
    const api: BatchApi = Object.assign(Object.create(fake) as FakeBatchApi, {
      describeJobs: async (input: DescribeJobsCommandInput) => {
        const out = await fake.describeJobs(input);
        return { ...out, jobs: (out.jobs ?? []).map(({ arrayProperties: _, ...job }) => job) };
      },
    });
    const poller = new JobPoller(api, 60_000);
    const { seen } = await followed(fake, 50, poller);
    for (let i = 0; i < 10 && poller.active > 0; i++) await poller.cycle();
    assert.equal(poller.active, 0);
    assert.deepEqual(seen.get(49), ['RUNNABLE', 'RUNNING', 'SUCCEEDED']);
    poller.stop();
  });
});
