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

/** An array of `size` children on the fake, none followed yet: `watch(from, to)` follows some; `seen` their last state. */
async function followedLater(size: number) {
  const api = new FakeBatchApi();
  const poller = new JobPoller(api, 60_000);
  const { jobId } = await api.submitJob({
    jobName: 'arr',
    jobQueue: 'q',
    jobDefinition: 'd',
    arrayProperties: { size },
  });
  const seen = new Map<number, string>();
  const watch = (from: number, to: number) => {
    for (let i = from; i < to; i++)
      poller.watch(`${jobId}:${i}`, (job) => {
        seen.set(i, job.status as string);
        return job.status === 'SUCCEEDED' || job.status === 'FAILED';
      });
  };
  return { api, poller, jobId: jobId as string, seen, watch };
}

describe('JobPoller and array jobs (unit-level fake Batch API: children change state only when the test says)', () => {
  it('follows a 10,000-child array in 1 + ⌈ended/100⌉ calls a cycle: a look that costs more becomes a sweep of SUCCEEDED, a few pages a cycle', async () => {
    const api = new FakeBatchApi();
    let now = 0;
    const poller = new JobPoller(api, 60_000, () => {}, { clock: { now: () => now, sleep: async () => {} } });
    const { seen, set } = await followed(api, 10_000, poller);
    const cycle = async () => {
      const before = api.calls.length;
      await poller.cycle();
      now += 1000;
      const made = api.calls.slice(before).map(([a]) => a);
      return {
        describe: made.filter((a) => a === 'DescribeJobs').length,
        list: made.filter((a) => a === 'ListJobs').length,
      };
    };
    assert.deepEqual(
      await cycle(),
      { describe: 1, list: 0 },
      'first look: nothing has ended, nothing is listed',
    );
    set(0, 2000, 'RUNNING');
    assert.deepEqual(await cycle(), { describe: 1, list: 0 }, '2,000 started: nothing waits on that');
    assert.equal(seen.get(0), undefined, 'children that did not end are told nothing');
    set(0, 150, 'SUCCEEDED');
    assert.deepEqual(await cycle(), { describe: 1, list: 1 }, '150 ended: one ListJobs page of SUCCEEDED');
    assert.deepEqual(seen.get(149), ['SUCCEEDED']);
    set(150, 5000, 'SUCCEEDED');
    assert.deepEqual(await cycle(), { describe: 1, list: 5 }, '4,850 ended: 5 pages, within 1 + 49');
    // From here on children end a few dozen a cycle, and one fails: every cycle stays within
    // 1 + ⌈ended in the cycle / 100⌉ (+ 1 DescribeJobs for the failure), and every child is told it ended.
    let next = 5000;
    let cycles = 0;
    while (poller.active > 0) {
      assert.ok(cycles++ < 1000, 'every child is told it ended');
      const ended = Math.min(37, 10_000 - next);
      const failure = cycles === 60 ? 1 : 0;
      set(next, next + ended, failure ? 'FAILED' : 'SUCCEEDED');
      next += ended;
      const made = await cycle();
      assert.ok(
        made.describe + made.list <= 1 + Math.ceil(ended / 100) + failure,
        `cycle ${cycles} (${ended} ended): ${JSON.stringify(made)}`,
      );
    }
    assert.deepEqual(seen.get(5010), ['SUCCEEDED']);
    assert.deepEqual(seen.get(5000 + 59 * 37), ['FAILED'], 'the failures, told as they were looked up');
    // (Describing a child on the fake moves it on: a child described before it ended is told RUNNABLE first.)
    assert.equal(seen.get(9999)?.at(-1), 'SUCCEEDED');
    const ends = (states: string[]) => states.filter((x) => x === 'SUCCEEDED' || x === 'FAILED').length;
    assert.ok(
      [...seen.values()].every((states) => ends(states) === 1),
      'each child is told once that it ended',
    );
    assert.equal(seen.size, 10_000);
    poller.stop();
  });

  it('a sweep older than a minute is finished at once (unit-level fake clock)', async () => {
    const api = new FakeBatchApi();
    let now = 0;
    const poller = new JobPoller(api, 60_000, () => {}, { clock: { now: () => now, sleep: async () => {} } });
    const { seen, set } = await followed(api, 10_000, poller);
    await poller.cycle();
    set(0, 9000, 'SUCCEEDED');
    await poller.cycle();
    set(9000, 9010, 'SUCCEEDED');
    // 10 ended: a budget of one call, one page a cycle of the 9 pages of SUCCEEDED.
    await poller.cycle();
    assert.equal(seen.get(9005), undefined);
    now += 61_000;
    set(9010, 9011, 'SUCCEEDED');
    const before = api.calls.length;
    await poller.cycle();
    assert.ok(api.calls.length - before > 2, 'the rest of the sweep in one cycle');
    assert.deepEqual(seen.get(9005), ['SUCCEEDED']);
    poller.stop();
  });

  it('a child followed late that had already FAILED is found (FAILED listed for new children)', async () => {
    const { api, poller, jobId, seen, watch } = await followedLater(100);
    watch(0, 50);
    await poller.cycle();
    Object.assign(api.jobs.get(`${jobId}:70`)?.detail ?? {}, { status: 'FAILED' });
    await poller.cycle();
    watch(50, 100);
    await poller.cycle();
    assert.equal(seen.get(70), 'FAILED');
    poller.stop();
  });

  it('a child followed late (its record is written first) is told its state even if it ended before', async () => {
    const { api, poller, jobId, seen, watch } = await followedLater(100);
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
