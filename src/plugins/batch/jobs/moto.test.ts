/**
 * The launcher's AWS calls against moto in SIMPLE mode (no containers: jobs just succeed), on a moto
 * server of this file's own (the shared one may run real containers for other tests).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { batchStep } from '../../../../test/support/fake-launch.js';
import { skipWithoutMoto, useSimpleMoto } from '../../../../test/support/simple-moto.js';
import { type CallCounts, sdkBatchApi } from '../aws.js';
import { JobPoller } from './poller.js';
import { BatchPreparation } from './prepare.js';

const QUEUE = 'simple-queue';

function step(stepName: string, options: Record<string, unknown> = {}) {
  const settings = { queue: QUEUE };
  return batchStep(stepName, { flowName: 'SimpleFlow', options: { image: 'node:20', ...options }, settings });
}

describe('@batch against moto (simple mode)', () => {
  const suite = useSimpleMoto('simple');

  it('resolves an unmanaged queue as EC2, once per queue', async (t) => {
    if (skipWithoutMoto(suite.moto, t)) return;
    const counts: CallCounts = {};
    const api = sdkBatchApi(counts);
    try {
      const prep = new BatchPreparation(api);
      const [a, b] = await Promise.all([prep.queueInfo(QUEUE), prep.queueInfo(QUEUE)]);
      assert.equal(a.platform, 'EC2');
      assert.equal(a, b);
      assert.equal(a.computeEnvironments.length, 1);
      assert.equal(counts.DescribeJobQueues, 1);
      assert.equal(counts.DescribeComputeEnvironments, 1);
      await assert.rejects(prep.queueInfo('no-such-queue'), /job queue "no-such-queue" does not exist/);
    } finally {
      api.close();
    }
  });

  it('registers a job definition once; a second run finds it ACTIVE and registers nothing', async (t) => {
    if (skipWithoutMoto(suite.moto, t)) return;
    const steps = [step('a'), step('b'), step('c', { image: 'node:22' })];
    const counts: CallCounts = {};
    const api = sdkBatchApi(counts);
    try {
      const first = new BatchPreparation(api);
      const one = await first.prepareSteps(steps);
      assert.equal(first.registered.length, 2, 'a and b share a definition; c has its own');
      assert.equal(one.steps.get('a')?.jobDefinition, one.steps.get('b')?.jobDefinition);
      const second = new BatchPreparation(api);
      const two = await second.prepareSteps(steps);
      assert.deepEqual(second.registered, []);
      assert.equal(two.steps.get('c')?.jobDefinition, one.steps.get('c')?.jobDefinition);
      assert.equal(counts.RegisterJobDefinition, 2);
      assert.equal(counts.DescribeJobDefinitions, 4);
    } finally {
      api.close();
    }
  });

  it('describes 250 concurrent jobs with at most 3 DescribeJobs per poll cycle', async (t) => {
    if (skipWithoutMoto(suite.moto, t)) return;
    const counts: CallCounts = {};
    const api = sdkBatchApi(counts);
    try {
      const { steps } = await new BatchPreparation(api).prepareSteps([step('wide')]);
      const jobDefinition = steps.get('wide')?.jobDefinition as string;
      const ids = await Promise.all(
        Array.from({ length: 250 }, async (_, i) => {
          const out = await api.submitJob({ jobName: `wide-${i}`, jobQueue: QUEUE, jobDefinition });
          return out.jobId as string;
        }),
      );
      const poller = new JobPoller(api, 60_000);
      const seen = new Set<string>();
      for (const id of ids) {
        poller.watch(id, (job) => {
          seen.add(id);
          return job.status === 'SUCCEEDED';
        });
      }
      const before = counts.DescribeJobs ?? 0;
      await poller.cycle();
      assert.equal((counts.DescribeJobs ?? 0) - before, 3);
      assert.equal(seen.size, 250, 'every job was described');
      poller.stop();
    } finally {
      api.close();
    }
  });
});
