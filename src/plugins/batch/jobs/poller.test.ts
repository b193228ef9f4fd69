import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FakeBatchApi } from '../../../../test/support/fake-batch-api.js';
import { FakeClock } from '../../../../test/support/fake-clock.js';
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

/** An error shaped as the SDK throws it for an AWS error answer. */
function awsError(name: string, status: number, message = name): Error {
  return Object.assign(new Error(message), { name, $metadata: { httpStatusCode: status } });
}

describe('JobPoller when DescribeJobs fails (fake Batch API, fake clock)', () => {
  it('gives up at once on an access-denied DescribeJobs, naming batch:DescribeJobs and batch kill', async () => {
    const api = new FakeBatchApi();
    api.describeJobs = async () => {
      throw awsError(
        'AccessDeniedException',
        403,
        'User: arn:aws:iam::1:user/jane is not authorized to perform: batch:DescribeJobs',
      );
    };
    const notices: string[] = [];
    const poller = new JobPoller(api, 60_000, (m) => notices.push(m), {
      killHint: 'stepflow batch kill flow.ts --run-id 17',
    });
    const lost: string[] = [];
    poller.watch(
      'job-a',
      () => false,
      (m) => lost.push(m),
    );
    poller.watch(
      'job-b',
      () => false,
      (m) => lost.push(m),
    );
    await poller.cycle();
    assert.equal(lost.length, 2, 'both attempts are told after one failed call');
    assert.match(lost[0] ?? '', /batch:DescribeJobs/);
    assert.match(lost[0] ?? '', /jobs job-a, job-b may still be running/);
    assert.match(lost[0] ?? '', /stepflow batch kill flow\.ts --run-id 17/);
    assert.equal(poller.active, 0, 'the jobs are no longer polled');
    poller.stop();
  });

  it('retries a 503 with rate-limited notices and gives the jobs up once the deadline has passed', async () => {
    const api = new FakeBatchApi();
    api.describeJobs = async () => {
      throw awsError('ServerException', 503, 'Service Unavailable');
    };
    const clock = new FakeClock();
    const notices: string[] = [];
    const poller = new JobPoller(api, 1000, (m) => notices.push(m), { deadlineMs: 120_000, clock });
    const lost: string[] = [];
    poller.watch(
      'job-a',
      () => false,
      (m) => lost.push(m),
    );
    for (let t = 0; t < 120_000; t += 1000) {
      clock.t = t;
      await poller.cycle();
    }
    assert.equal(lost.length, 0, 'still retrying before the deadline');
    assert.ok(notices.length <= 5, `${notices.length} notices in 120 failed cycles (one per 30 s at most)`);
    assert.match(notices[0] ?? '', /DescribeJobs failed \(will retry\): Service Unavailable/);
    clock.t = 120_000;
    await poller.cycle();
    assert.equal(lost.length, 1);
    assert.match(lost[0] ?? '', /DescribeJobs has failed for 120 s \(last: 503 ServerException/);
    assert.match(lost[0] ?? '', /STEPFLOW_BATCH_API_DEADLINE_S=120/);
    assert.match(
      lost[0] ?? '',
      /job job-a may still be running on AWS Batch: stop it with `stepflow batch kill/,
    );
    assert.equal(poller.active, 0);
    poller.stop();
  });
});
