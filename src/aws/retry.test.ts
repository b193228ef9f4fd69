import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { backoffDelay, withRetries } from './retry.js';

function unavailable(): Error {
  return Object.assign(new Error('Service Unavailable'), {
    name: 'ServiceUnavailable',
    $metadata: { httpStatusCode: 503 },
  });
}

describe('withRetries (fake clock)', () => {
  it('retries transient failures with jittered, capped back-off, not permanent ones', async () => {
    let t = 0;
    const clock = { now: () => t, sleep: async (ms: number) => void (t += ms) };
    let calls = 0;
    const out = await withRetries(
      async () => {
        if (++calls < 4) throw unavailable();
        return 'ok';
      },
      { retries: 5, baseDelayMs: 100, maxDelayMs: 1000 },
      { clock },
    );
    assert.equal(out, 'ok');
    assert.equal(calls, 4);
    assert.ok(t >= 50 + 100 + 200 && t <= 100 + 200 + 400, `slept ${t} ms`);
    const denied = Object.assign(new Error('denied'), {
      name: 'AccessDenied',
      $metadata: { httpStatusCode: 403 },
    });
    let tries = 0;
    await assert.rejects(
      withRetries(
        async () => {
          tries++;
          throw denied;
        },
        { retries: 5, baseDelayMs: 1, maxDelayMs: 1 },
        { clock },
      ),
      /denied/,
    );
    assert.equal(tries, 1);
  });

  it('stops at the deadline, whatever retries are left', async () => {
    let t = 0;
    const clock = { now: () => t, sleep: async (ms: number) => void (t += ms) };
    let calls = 0;
    await assert.rejects(
      withRetries(
        async () => {
          calls++;
          throw unavailable();
        },
        { retries: 1000, baseDelayMs: 1000, maxDelayMs: 1000, deadlineMs: 10_000 },
        { clock, exhausted: (_err, n) => new Error(`gave up after ${n} attempts`) },
      ),
      /gave up after \d+ attempts/,
    );
    assert.ok(t <= 10_000, `slept ${t} ms`);
    assert.ok(calls >= 10 && calls <= 21, `${calls} calls`);
  });

  it('caps each delay', () => {
    assert.ok(backoffDelay(50, { baseDelayMs: 100, maxDelayMs: 5000 }, () => 1) === 5000);
    assert.equal(
      backoffDelay(0, { baseDelayMs: 100, maxDelayMs: 5000 }, () => 0),
      50,
    );
  });
});
