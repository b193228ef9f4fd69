/**
 * Throttled submissions against moto in SIMPLE mode, through the FAULT-INJECTING proxy of
 * scripts/lib/batch-fault-proxy.mjs (moto never throttles; the proxy answers chosen SubmitJob calls with
 * AWS's 429). On a moto server of this file's own.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { FaultProxy } from '../../../../scripts/lib/batch-fault-proxy.mjs';
import { skipWithoutMoto, testJobDefinition, useSimpleMoto } from '../../../../test/support/simple-moto.js';
import { type BatchApi, type CallCounts, sdkBatchApi } from '../aws.js';
import { JobPoller } from './poller.js';
import { SubmitRate } from './submit-rate.js';
import { type RetryKind, submitThrottled } from './throttle-retries.js';

const QUEUE = 'throttle-queue';
const jobDefinition = (api: BatchApi) =>
  testJobDefinition(api, { queue: QUEUE, flowName: 'ThrottleFlow', stepName: 'wide' });

/** Every job of the queue whose name starts with `prefix` (all statuses: a JOB_NAME filter ignores status). */
async function jobsNamed(api: BatchApi, prefix: string): Promise<string[]> {
  const names: string[] = [];
  let nextToken: string | undefined;
  do {
    const page = await api.listJobs({
      jobQueue: QUEUE,
      filters: [{ name: 'JOB_NAME', values: [`${prefix}*`] }],
      nextToken,
    });
    for (const s of page.jobSummaryList ?? []) names.push(s.jobName as string);
    nextToken = page.nextToken;
  } while (nextToken);
  return names;
}

describe('throttled SubmitJob against moto (simple mode) behind a fault-injecting proxy', () => {
  const suite = useSimpleMoto('throttle', { faultProxy: true });

  it('submits 60 jobs exactly once with 30% of SubmitJob calls answered 429: none fails, the retries are counted', async (t) => {
    if (skipWithoutMoto(suite.moto, t)) return;
    const p = suite.proxy as FaultProxy;
    const counts: CallCounts = {};
    const api = sdkBatchApi(counts);
    try {
      const definition = await jobDefinition(api);
      p.setFaults({ fraction: 0.3, seed: 6 });
      const notices: string[] = [];
      // A floor of 10/s: faults drawn at random whatever the rate keep halving it (real throttling stops
      // when the rate drops); this test is about exactly-once submission, not about the rate's floor.
      const rate = new SubmitRate({ min: 10, say: (m) => notices.push(m) });
      const retries: RetryKind[] = [];
      const names = Array.from({ length: 60 }, (_, i) => `many-${i}`);
      const outs = await Promise.all(
        names.map((jobName) =>
          submitThrottled(
            { api, rate, onRetry: (kind) => retries.push(kind) },
            { jobName, jobQueue: QUEUE, jobDefinition: definition },
          ),
        ),
      );
      p.setFaults(undefined);
      assert.ok(
        outs.every((o) => o?.jobId),
        'every submission got a job id',
      );
      assert.ok(p.throttled > 0, 'the proxy throttled some calls');
      assert.equal(retries.length, p.throttled, 'each 429 retried once by us (SubmitJob: no SDK retries)');
      assert.ok(
        retries.every((k) => k === 'throttled'),
        'all retries were for throttling',
      );
      assert.equal(counts.SubmitJob, 60 + p.throttled, 'calls = jobs + throttled answers');
      const listed = await jobsNamed(api, 'many-');
      assert.deepEqual(listed.sort(), [...names].sort(), 'each job exactly once on the queue');
      assert.ok(rate.slowDowns >= 1 && notices.length === rate.slowDowns + rate.speedUps);
      assert.ok(rate.slowDowns < p.throttled, 'throttled answers of one burst slow down once');
    } finally {
      api.close();
    }
  });

  it('keeps polling on time while every SubmitJob is throttled', async (t) => {
    if (skipWithoutMoto(suite.moto, t)) return;
    const p = suite.proxy as FaultProxy;
    const api = sdkBatchApi();
    try {
      const definition = await jobDefinition(api);
      const first = await api.submitJob({ jobName: 'polled-0', jobQueue: QUEUE, jobDefinition: definition });
      // 40 throttled answers in a row: the submissions below back off and halve the rate several times.
      p.setFaults({ sequence: Array.from({ length: 40 }, () => true) });
      const rate = new SubmitRate();
      let submittedAt: number | undefined;
      const pending = Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          submitThrottled(
            { api, rate },
            { jobName: `polled-${i + 1}`, jobQueue: QUEUE, jobDefinition: definition },
          ),
        ),
      ).then((outs) => {
        submittedAt = performance.now();
        return outs;
      });
      const poller = new JobPoller(api, 100);
      const cyclesBefore: number[] = [];
      let answered = 0;
      poller.watch(first.jobId as string, () => {
        answered++;
        if (submittedAt === undefined) cyclesBefore.push(performance.now());
        return false;
      });
      const outs = await pending;
      poller.stop();
      p.setFaults(undefined);
      assert.ok(p.throttled >= 20, `SubmitJob was throttled (${p.throttled} answers 429)`);
      assert.ok(rate.slowDowns >= 2, `the rate went down (${rate.slowDowns} slow-downs)`);
      assert.ok(
        outs.every((o) => o?.jobId),
        'every job was submitted in the end',
      );
      // Polling went on every 100 ms while submissions waited: not one cycle behind a throttled submit.
      assert.ok(
        cyclesBefore.length >= 5,
        `${cyclesBefore.length} poll cycles before the submissions went through`,
      );
      assert.ok(answered >= cyclesBefore.length);
    } finally {
      api.close();
    }
  });
});
