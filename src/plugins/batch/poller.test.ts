import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FakeBatchApi } from '../../../test/support/fake-batch-api.js';
import { DESCRIBE_JOBS_MAX, JobPoller } from './poller.js';

describe('JobPoller', () => {
  it('describes 250 active jobs with 3 DescribeJobs calls per cycle, at most 100 ids each', async () => {
    const api = new FakeBatchApi();
    const poller = new JobPoller(api, 60_000);
    const seen = new Map<string, string[]>();
    for (let i = 0; i < 250; i++) {
      const { jobId } = await api.submitJob({ jobName: `j${i}`, jobQueue: 'q', jobDefinition: 'd' });
      poller.watch(jobId as string, (job) => {
        seen.set(job.jobId as string, [...(seen.get(job.jobId as string) ?? []), job.status as string]);
        return job.status === 'SUCCEEDED' || job.status === 'FAILED';
      });
    }
    for (let cycle = 1; poller.active > 0; cycle++) {
      const before = api.count('DescribeJobs');
      await poller.cycle();
      const calls = api.count('DescribeJobs') - before;
      assert.ok(calls <= 3, `cycle ${cycle}: ${calls} DescribeJobs calls`);
      assert.ok(cycle < 10);
    }
    const sizes = api.calls
      .filter(([a]) => a === 'DescribeJobs')
      .map(([, i]) => (i as { jobs: string[] }).jobs.length);
    assert.ok(sizes.every((n) => n <= DESCRIBE_JOBS_MAX));
    assert.deepEqual(sizes.slice(0, 3), [100, 100, 50]);
    assert.deepEqual(seen.get('job-1'), ['RUNNABLE', 'RUNNING', 'SUCCEEDED']);
    assert.equal(poller.active, 0, 'finished jobs are no longer described');
    poller.stop();
  });

  it('keeps polling a job AWS does not know yet, and survives a failed call', async () => {
    const api = new FakeBatchApi();
    const errors: string[] = [];
    const poller = new JobPoller(api, 60_000, (m) => errors.push(m));
    poller.watch('unknown-yet', () => true);
    await poller.cycle();
    assert.equal(poller.active, 1);
    api.describeJobs = async () => {
      throw new Error('throttled');
    };
    await poller.cycle();
    assert.match(errors[0] ?? '', /DescribeJobs failed \(will retry\): throttled/);
    poller.stop();
  });
});
