/**
 * Failing Batch API calls against moto in SIMPLE mode, through the FAULT-INJECTING proxy of
 * scripts/lib/batch-fault-proxy.mjs (moto never refuses or fails a call; the proxy answers chosen calls
 * with AWS's errors): DescribeJobs refused or failing past the deadline, and SubmitJob answered 503
 * after (or without) creating its job while an older job of the same name exists. On a moto server of
 * this file's own.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { FaultProxy } from '../../../../scripts/lib/batch-fault-proxy.mjs';
import { FakeClock } from '../../../../test/support/fake-clock.js';
import { skipWithoutMoto, testJobDefinition, useSimpleMoto } from '../../../../test/support/simple-moto.js';
import { type BatchApi, sdkBatchApi } from '../aws.js';
import { JobPoller } from './poller.js';
import { SubmitRate } from './submit-rate.js';
import { submitThrottled } from './throttle-retries.js';

const QUEUE = 'faults-queue';
const jobDefinition = (api: BatchApi) =>
  testJobDefinition(api, { queue: QUEUE, flowName: 'FaultFlow', stepName: 'work' });

/** Submits one job of the test definition; returns its id. */
async function submitOne(api: BatchApi, jobName: string): Promise<string> {
  const { jobId } = await api.submitJob({
    jobName,
    jobQueue: QUEUE,
    jobDefinition: await jobDefinition(api),
  });
  return jobId as string;
}

/** Watches a job that never ends; returns the messages of its being given up. */
function watchLost(poller: JobPoller, jobId: string): string[] {
  const lost: string[] = [];
  poller.watch(
    jobId,
    () => false,
    (m) => lost.push(m),
  );
  return lost;
}

describe('failing Batch API calls against moto (simple mode) behind a fault-injecting proxy', () => {
  const suite = useSimpleMoto('faults', { faultProxy: true });

  it('gives the jobs up after one DescribeJobs refused with AccessDeniedException, naming batch:DescribeJobs', async (t) => {
    if (skipWithoutMoto(suite.moto, t)) return;
    const p = suite.proxy as FaultProxy;
    const api = sdkBatchApi();
    try {
      const jobId = await submitOne(api, 'denied-0');
      p.setActionFault('DescribeJobs', {
        status: 403,
        type: 'AccessDeniedException',
        message: 'User: arn:aws:iam::123456789012:user/jane is not authorized to perform: batch:DescribeJobs',
      });
      const poller = new JobPoller(api, 60_000);
      const lost = watchLost(poller, jobId);
      await poller.cycle();
      p.setActionFault('DescribeJobs', undefined);
      poller.stop();
      assert.equal(p.faulted.DescribeJobs, 1, 'one call, not retried');
      assert.equal(lost.length, 1);
      assert.match(lost[0] ?? '', /batch:DescribeJobs/);
      assert.match(lost[0] ?? '', new RegExp(`job ${jobId} may still be running.*stepflow batch kill`));
    } finally {
      api.close();
    }
  });

  it('gives the jobs up once DescribeJobs has answered 503 for longer than the (shortened) deadline', async (t) => {
    if (skipWithoutMoto(suite.moto, t)) return;
    const p = suite.proxy as FaultProxy;
    const api = sdkBatchApi();
    try {
      const jobId = await submitOne(api, 'failing-0');
      p.setActionFault('DescribeJobs', {
        status: 503,
        type: 'ServerException',
        message: 'Service Unavailable',
      });
      const clock = new FakeClock();
      const notices: string[] = [];
      const poller = new JobPoller(api, 60_000, (m) => notices.push(m), { deadlineMs: 2000, clock });
      const lost = watchLost(poller, jobId);
      await poller.cycle();
      assert.equal(lost.length, 0, 'retried within the deadline');
      clock.t = 2500;
      await poller.cycle();
      p.setActionFault('DescribeJobs', undefined);
      poller.stop();
      assert.ok((p.faulted.DescribeJobs ?? 0) >= 2);
      assert.match(notices[0] ?? '', /DescribeJobs failed \(will retry\)/);
      assert.equal(lost.length, 1);
      assert.match(lost[0] ?? '', /DescribeJobs has failed for 3 s \(last: 503 ServerException/);
      assert.match(lost[0] ?? '', /stepflow batch kill/);
    } finally {
      api.close();
    }
  });

  it("after SubmitJob answered 503, adopts only this submission's job, never an older one of the same name", async (t) => {
    if (skipWithoutMoto(suite.moto, t)) return;
    const p = suite.proxy as FaultProxy;
    const api = sdkBatchApi();
    try {
      const definition = await jobDefinition(api);
      const request = { jobName: 'jane-F-1-work-3-0', jobQueue: QUEUE, jobDefinition: definition };
      const older = await api.submitJob(request); // the attempt's job before a spot resubmission
      const named = () => p.submitted.filter((s) => s.jobName === request.jobName).map((s) => s.jobId);
      // 503 AFTER moto created the job: the new job is adopted, not submitted twice.
      p.setActionFault('SubmitJob', { status: 503, type: 'ServerException', forward: true, times: 1 });
      const adopted = await submitThrottled({ api, rate: new SubmitRate() }, request);
      assert.equal(named().length, 2, 'moto has the older job and the one the failed call created');
      assert.notEqual(adopted?.jobId, older.jobId, 'the older job of the same name is not adopted');
      assert.equal(adopted?.jobId, named()[1]);
      // 503 that created nothing: submitted again, still not the older job.
      p.setActionFault('SubmitJob', { status: 503, type: 'ServerException', times: 1 });
      const resubmitted = await submitThrottled({ api, rate: new SubmitRate() }, request);
      assert.equal(named().length, 3);
      assert.equal(resubmitted?.jobId, named()[2]);
      assert.equal(p.faulted.SubmitJob, 2);
    } finally {
      api.close();
    }
  });
});
