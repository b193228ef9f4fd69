import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { DescribeJobsCommandInput, JobStatus, ListJobsCommandInput } from '@aws-sdk/client-batch';
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
  it('follows a 10,000-child array in 1 + ⌈ended/100⌉ calls a cycle: a look that costs more waits for more children to end', async () => {
    const api = new FakeBatchApi();
    let now = 0;
    const poller = new JobPoller(api, 60_000, () => {}, { clock: { now: () => now, sleep: async () => {} } });
    const { seen, set } = await followed(api, 10_000, poller);
    const cycle = async () => {
      const before = api.calls.length;
      await poller.cycle();
      now += 5000;
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
    // 30 end: listing SUCCEEDED (5,030) costs 6 calls, the unfinished states (4,970) 5 + 1 describing those
    // in none, describing the 5,000 followed 50: over the budget of 1, the look waits.
    set(5000, 5030, 'SUCCEEDED');
    assert.deepEqual(await cycle(), { describe: 1, list: 0 }, 'the look waits');
    assert.equal(seen.get(5010), undefined);
    set(5030, 5200, 'SUCCEEDED');
    assert.deepEqual(
      await cycle(),
      { describe: 1, list: 0 },
      '200 ended since the last look: budget 2, still waits',
    );
    set(5200, 5600, 'SUCCEEDED');
    assert.deepEqual(
      await cycle(),
      { describe: 1, list: 6 },
      '600 ended since the last look: budget 6, SUCCEEDED listed (6 pages)',
    );
    assert.deepEqual(seen.get(5010), ['SUCCEEDED'], 'the children that ended while the look waited');
    assert.deepEqual(seen.get(5599), ['SUCCEEDED']);
    set(5600, 5610, 'SUCCEEDED');
    assert.deepEqual(await cycle(), { describe: 1, list: 0 });
    now += 60_000;
    const late = await cycle();
    assert.ok(late.list > 0, 'a minute later the look is made whatever it costs');
    assert.deepEqual(seen.get(5605), ['SUCCEEDED']);
    // A failure is looked up at once: its ListJobs page, then ONE DescribeJobs for reasons and exit codes.
    set(5610, 5615, 'FAILED');
    assert.deepEqual(await cycle(), { describe: 2, list: 1 });
    assert.deepEqual(seen.get(5612), ['FAILED']);
    set(5615, 9950, 'SUCCEEDED');
    const big = await cycle();
    assert.ok(big.describe + big.list <= 1 + Math.ceil(4335 / 100), JSON.stringify(big));
    // The last 50 end: they are described (one call), nothing is listed.
    set(9950, 10_000, 'SUCCEEDED');
    assert.deepEqual(await cycle(), { describe: 2, list: 0 });
    assert.deepEqual(seen.get(9999), ['SUCCEEDED']);
    assert.equal(poller.active, 0, 'every child ended and is no longer followed');
    poller.stop();
  });

  it('never tells a child it ended without seeing it: one that moved while the states were listed is described (unit-level fake: the move is made between two ListJobs calls)', async () => {
    const fake = new FakeBatchApi();
    let moved: (() => void) | undefined;
    const api: BatchApi = Object.assign(Object.create(fake) as FakeBatchApi, {
      listJobs: async (input: ListJobsCommandInput) => {
        moved?.();
        moved = undefined;
        return fake.listJobs(input);
      },
    });
    let now = 0;
    const poller = new JobPoller(api, 60_000, () => {}, { clock: { now: () => now, sleep: async () => {} } });
    const { parent, seen, set } = await followed(fake, 10_000, poller);
    await poller.cycle();
    set(0, 9000, 'SUCCEEDED');
    set(9000, 10_000, 'RUNNING');
    await poller.cycle();
    assert.equal(poller.active, 1000);
    set(9000, 9050, 'SUCCEEDED');
    now += 60_000;
    // Listing SUCCEEDED costs 10 calls; the unfinished states (RUNNABLE 1, RUNNING 949: a page each) and
    // describing the 50 in neither cost 3. Child 9999 moves from RUNNABLE to STARTING (empty when the
    // counts were read) just before the listings: it is in no list, and is described, not taken for ended.
    set(9999, 10_000, 'RUNNABLE');
    moved = () => set(9999, 10_000, 'STARTING');
    const before = fake.calls.length;
    await poller.cycle();
    const made = fake.calls.slice(before);
    assert.deepEqual(
      made.filter(([a]) => a === 'ListJobs').map(([, i]) => (i as ListJobsCommandInput).jobStatus),
      ['RUNNABLE', 'RUNNING'],
    );
    assert.deepEqual(seen.get(9049), ['SUCCEEDED']);
    assert.deepEqual(seen.get(9999), ['STARTING'], 'described: STARTING, not SUCCEEDED');
    assert.equal(poller.active, 950);
    assert.ok(fake.jobs.get(`${parent}:9999`));
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
