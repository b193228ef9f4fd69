import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { Limiter, mapBounded } from './limiter.js';
import { backoffDelay, withRetries } from './retry.js';

describe('limiter', () => {
  it('Limiter runs at most max functions at once, in FIFO order', async () => {
    const limiter = new Limiter(3);
    let running = 0;
    let most = 0;
    const started: number[] = [];
    await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        limiter.run(async () => {
          started.push(i);
          most = Math.max(most, ++running);
          await sleep(5);
          running--;
        }),
      ),
    );
    assert.equal(most, 3);
    assert.equal(limiter.peak, 3);
    assert.equal(limiter.active, 0);
    assert.deepEqual(started, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    assert.throws(() => new Limiter(0), RangeError);
  });

  it('mapBounded keeps the order, bounds the calls in flight, and stops on the first error', async () => {
    let running = 0;
    let most = 0;
    const out = await mapBounded([5, 1, 4, 2, 3], 2, async (n) => {
      most = Math.max(most, ++running);
      await sleep(n);
      running--;
      return n * 10;
    });
    assert.deepEqual(out, [50, 10, 40, 20, 30]);
    assert.equal(most, 2);

    const seen: number[] = [];
    await assert.rejects(
      mapBounded([1, 2, 3, 4, 5, 6], 1, async (n) => {
        seen.push(n);
        if (n === 2) throw new Error('boom');
      }),
      /boom/,
    );
    assert.deepEqual(seen, [1, 2]);
    assert.deepEqual(await mapBounded([], 4, async () => 1), []);
  });

  it('backoffDelay doubles up to the cap, with the upper half jittered', () => {
    const policy = { retries: 7, baseDelayMs: 100, maxDelayMs: 1000 };
    assert.equal(
      backoffDelay(0, policy, () => 0),
      50,
    );
    assert.equal(
      backoffDelay(0, policy, () => 1),
      100,
    );
    assert.equal(
      backoffDelay(3, policy, () => 0),
      400,
    );
    assert.equal(
      backoffDelay(3, policy, () => 1),
      800,
    );
    assert.equal(
      backoffDelay(10, policy, () => 1),
      1000,
    );
    const d = backoffDelay(2, policy);
    assert.ok(d >= 200 && d <= 400);
  });

  it('withRetries retries transient failures only, and gives up after the retries', async () => {
    const policy = { retries: 3, baseDelayMs: 1, maxDelayMs: 2 };
    const slowDown = Object.assign(new Error('Please reduce your request rate.'), {
      name: 'SlowDown',
      $metadata: { httpStatusCode: 503 },
    });
    let calls = 0;
    const value = await withRetries(async () => {
      if (++calls < 3) throw slowDown;
      return 'ok';
    }, policy);
    assert.equal(value, 'ok');
    assert.equal(calls, 3);

    calls = 0;
    const notFound = Object.assign(new Error('nope'), {
      name: 'NoSuchKey',
      $metadata: { httpStatusCode: 404 },
    });
    await assert.rejects(
      withRetries(async () => {
        calls++;
        throw notFound;
      }, policy),
      (err) => err === notFound,
    );
    assert.equal(calls, 1);

    calls = 0;
    await assert.rejects(
      withRetries(
        async () => {
          calls++;
          throw slowDown;
        },
        policy,
        { exhausted: (_err, attempts) => new Error(`gave up after ${attempts}`) },
      ),
      /gave up after 4/,
    );
    assert.equal(calls, 4);
  });
});
