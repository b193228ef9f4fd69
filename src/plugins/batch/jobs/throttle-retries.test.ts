import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { SubmitJobCommandInput } from '@aws-sdk/client-batch';
import { FakeBatchApi } from '../../../../test/support/fake-batch-api.js';
import { FakeClock } from '../../../../test/support/fake-clock.js';
import { SubmitRate } from './submit-rate.js';
import {
  MAX_SERVER_RETRIES,
  type RetryKind,
  retryKind,
  retryThrottled,
  submitThrottled,
} from './throttle-retries.js';

/** An error shaped as the SDK throws it for an AWS error answer. */
function awsError(name: string, status: number | undefined, message = name): Error {
  return Object.assign(new Error(message), {
    name,
    ...(status ? { $metadata: { httpStatusCode: status } } : {}),
  });
}

const REQUEST: SubmitJobCommandInput & { jobName: string } = {
  jobName: 'u-F-1-train-3-0',
  jobQueue: 'q',
  jobDefinition: 'd',
};

/** A fake Batch API whose SubmitJob answers the given errors first, then submits for real (to the fake). */
function failingFirst(errors: Error[]) {
  const api = new FakeBatchApi();
  const real = api.submitJob;
  let calls = 0;
  api.submitJob = async (input) => {
    calls++;
    const err = errors.shift();
    if (err) throw err;
    return real(input);
  };
  return { api, calls: () => calls };
}

describe('retryKind', () => {
  it('knows throttling, server and network failures, and nothing else', () => {
    assert.equal(retryKind(awsError('TooManyRequestsException', 429)), 'throttled');
    assert.equal(retryKind(awsError('ThrottlingException', 400)), 'throttled');
    assert.equal(retryKind(awsError('Unknown', 429)), 'throttled');
    for (const status of [500, 502, 503, 504]) assert.equal(retryKind(awsError('X', status)), 'server');
    assert.equal(retryKind(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' })), 'network');
    assert.equal(retryKind(awsError('ClientException', 400)), undefined);
    assert.equal(retryKind(awsError('X', 501)), undefined);
    assert.equal(retryKind(new Error('plain')), undefined);
  });
});

describe('submitThrottled (fake Batch API answering 429 and 5xx, fake clock)', () => {
  it('retries a SubmitJob throttled 5 times until accepted; one burst halves the rate once', async () => {
    const clock = new FakeClock();
    const rate = new SubmitRate({ clock });
    const { api, calls } = failingFirst(
      Array.from({ length: 5 }, () => awsError('TooManyRequestsException', 429, 'Too Many Requests')),
    );
    const retried: RetryKind[] = [];
    const out = await clock.run(
      submitThrottled({ api, rate, clock, onRetry: (k) => retried.push(k) }, REQUEST),
    );
    assert.equal(out?.jobId, 'job-1');
    assert.equal(calls(), 6);
    assert.deepEqual(retried, ['throttled', 'throttled', 'throttled', 'throttled', 'throttled']);
    // Back-offs of 1, 2, 3, 4, 5 s: every retry is a new burst, so the rate halved 5 times.
    assert.equal(rate.slowDowns, 5);
    assert.equal(rate.rate, 50 / 32);
    assert.equal(api.count('SubmitJob'), 1, 'one job submitted');
  });

  it('never gives up on throttling (100 throttled answers in a row)', async () => {
    const clock = new FakeClock();
    const rate = new SubmitRate({ clock });
    const { api, calls } = failingFirst(
      Array.from({ length: 100 }, () => awsError('ThrottlingException', 400)),
    );
    const out = await clock.run(submitThrottled({ api, rate, clock }, REQUEST), 1000, 10 * 3_600_000);
    assert.equal(out?.jobId, 'job-1');
    assert.equal(calls(), 101);
  });

  it('fails the submission at once with any other error, with its message', async () => {
    const clock = new FakeClock();
    const { api, calls } = failingFirst([awsError('ClientException', 400, 'job queue q does not exist')]);
    await assert.rejects(
      clock.run(submitThrottled({ api, rate: new SubmitRate({ clock }), clock }, REQUEST)),
      /job queue q does not exist/,
    );
    assert.equal(calls(), 1);
  });

  it('adopts the job a SubmitJob answered 503 created instead of submitting it twice', async () => {
    const clock = new FakeClock();
    const api = new FakeBatchApi();
    const real = api.submitJob;
    api.submitJob = async (input) => {
      await real(input); // AWS created the job ...
      throw awsError('ServiceUnavailableException', 503); // ... and answered 503
    };
    api.listJobs = async (input) => {
      const name = input.filters?.[0]?.values?.[0];
      return {
        $metadata: {},
        jobSummaryList: [...api.jobs.values()]
          .filter((j) => j.detail.jobName === name)
          .map((j) => ({ jobId: j.detail.jobId, jobName: j.detail.jobName, createdAt: 1 })),
      };
    };
    const out = await clock.run(submitThrottled({ api, rate: new SubmitRate({ clock }), clock }, REQUEST));
    assert.equal(out?.jobId, 'job-1');
    assert.equal(api.jobs.size, 1, 'no second job');
  });

  it('never adopts an older job of the same name after a 5xx that created nothing (spot resubmission)', async () => {
    const clock = new FakeClock();
    const { api } = failingFirst([]);
    const old = await api.submitJob(REQUEST); // the attempt's earlier job, lost to a spot reclaim
    const real = api.submitJob;
    let calls = 0;
    api.submitJob = async (input) => {
      if (++calls === 1) throw awsError('ServerException', 500); // nothing created
      return real(input);
    };
    const out = await clock.run(submitThrottled({ api, rate: new SubmitRate({ clock }), clock }, REQUEST));
    assert.notEqual(out?.jobId, old.jobId, 'the older job of the same name is not adopted');
    assert.equal(out?.jobId, 'job-2');
    assert.equal(calls, 2, 'submitted again');
  });

  it("adopts this submission's job after a 5xx that created it, with an older job of the same name present", async () => {
    const clock = new FakeClock();
    const api = new FakeBatchApi();
    const real = api.submitJob;
    const old = await real(REQUEST);
    let calls = 0;
    api.submitJob = async (input) => {
      calls++;
      await real(input); // AWS created the job ...
      throw awsError('ServiceUnavailableException', 503); // ... and answered 503
    };
    const out = await clock.run(submitThrottled({ api, rate: new SubmitRate({ clock }), clock }, REQUEST));
    assert.notEqual(out?.jobId, old.jobId);
    assert.equal(out?.jobId, 'job-2', 'the job the failed call created');
    assert.equal(calls, 1, 'not submitted twice');
    assert.equal(api.jobs.size, 2);
  });

  it('resubmits after a 500 that created nothing, and gives up after 10 server failures', async () => {
    const clock = new FakeClock();
    const once = failingFirst([awsError('ServerException', 500)]);
    const out = await clock.run(
      submitThrottled({ api: once.api, rate: new SubmitRate({ clock }), clock }, REQUEST),
    );
    assert.equal(out?.jobId, 'job-1');
    assert.equal(once.calls(), 2);
    const always = failingFirst(
      Array.from({ length: 50 }, () => awsError('ServerException', 502, 'Bad Gateway')),
    );
    await assert.rejects(
      clock.run(submitThrottled({ api: always.api, rate: new SubmitRate({ clock }), clock }, REQUEST)),
      /Bad Gateway/,
    );
    assert.equal(always.calls(), MAX_SERVER_RETRIES + 1);
  });

  it('resolves undefined without a call when cancelled while waiting for a slot', async () => {
    const clock = new FakeClock();
    const rate = new SubmitRate({ clock, max: 1 });
    assert.equal(await rate.take(), true);
    const { api, calls } = failingFirst([]);
    let cancelled = false;
    const pending = submitThrottled({ api, rate, clock }, REQUEST, () => cancelled);
    await clock.advance(300);
    cancelled = true;
    assert.equal(await clock.run(pending), undefined);
    assert.equal(calls(), 0);
  });
});

describe('retryThrottled (fake Batch API answering 429, fake clock)', () => {
  it('retries a throttled TerminateJob until it goes through; other errors are thrown', async () => {
    const clock = new FakeClock();
    let calls = 0;
    const terminate = async () => {
      calls++;
      if (calls <= 3) throw awsError('TooManyRequestsException', 429);
      return 'done';
    };
    assert.equal(await clock.run(retryThrottled(terminate, { clock })), 'done');
    assert.equal(calls, 4);
    await assert.rejects(
      clock.run(
        retryThrottled(
          async () => {
            throw awsError('ClientException', 400, 'no such job');
          },
          { clock },
        ),
      ),
      /no such job/,
    );
  });
});
