import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FakeClock } from '../../../../test/support/fake-clock.js';
import { formatRate, SUBMIT_RATE, SubmitRate } from './submit-rate.js';

function taker(rate: SubmitRate) {
  const granted: number[] = [];
  const take = (id: number, options: Parameters<SubmitRate['take']>[0] = {}) =>
    rate.take(options).then((ok) => {
      if (ok) granted.push(id);
      return ok;
    });
  return { granted, take };
}

describe('SubmitRate (fake clock)', () => {
  it('paces to 50/s after a burst of 50, serving waiting callers in order', async () => {
    const clock = new FakeClock();
    const rate = new SubmitRate({ clock });
    const { granted, take } = taker(rate);
    for (let i = 0; i < 120; i++) void take(i);
    await clock.advance(0);
    assert.equal(granted.length, 50, 'the first second’s worth at once');
    await clock.advance(500);
    assert.equal(granted.length, 75);
    await clock.advance(500);
    assert.equal(granted.length, 100);
    await clock.advance(1000);
    assert.deepEqual(
      granted,
      Array.from({ length: 120 }, (_, i) => i),
    );
  });

  it('halves on a throttled answer, counts answers within 1 s of the last slow-down once, and says each change once', async () => {
    const clock = new FakeClock();
    const said: string[] = [];
    const rate = new SubmitRate({ clock, say: (m) => said.push(m) });
    assert.equal(rate.slowDown('TooManyRequestsException (HTTP 429)'), true);
    assert.equal(rate.rate, 25);
    await clock.advance(400);
    assert.equal(rate.slowDown('TooManyRequestsException (HTTP 429)'), false);
    await clock.advance(599);
    assert.equal(rate.slowDown('TooManyRequestsException (HTTP 429)'), false, '999 ms after: same burst');
    assert.equal(rate.rate, 25);
    await clock.advance(1);
    assert.equal(rate.slowDown('InternalServerError (HTTP 503)'), true);
    assert.equal(rate.rate, 12.5);
    assert.equal(rate.slowDowns, 2);
    assert.deepEqual(said, [
      '@batch: AWS answered SubmitJob with TooManyRequestsException (HTTP 429); SubmitJob rate 50/s → 25/s (throttled submissions are retried)',
      '@batch: AWS answered SubmitJob with InternalServerError (HTTP 503); SubmitJob rate 25/s → 12.5/s (throttled submissions are retried)',
    ]);
  });

  it('never goes below one submission per minute', async () => {
    const clock = new FakeClock();
    const rate = new SubmitRate({ clock });
    for (let i = 0; i < 20; i++) {
      rate.slowDown('429');
      await clock.advance(1000);
    }
    assert.equal(rate.rate, SUBMIT_RATE.min);
    assert.equal(formatRate(rate.rate), '1/min');
    assert.equal(rate.slowDown('429'), true, 'a slow-down at the floor is still de-duplicated and said');
    assert.equal(rate.rate, SUBMIT_RATE.min);
    // At the floor the next caller waits a minute (the slow-down emptied the bucket).
    const { granted, take } = taker(rate);
    void take(1);
    await clock.advance(59_000);
    assert.deepEqual(granted, []);
    await clock.advance(1_000);
    assert.deepEqual(granted, [1]);
  });

  it('recovers ×1.2 after a run of successes (100 at 50/s, 2 s worth below) only if callers waited, up to 50/s', async () => {
    const clock = new FakeClock();
    const said: string[] = [];
    const rate = new SubmitRate({ clock, say: (m) => said.push(m) });
    rate.slowDown('429');
    assert.equal(rate.rate, 25);
    // Nobody waited during the run: no recovery.
    for (let i = 0; i < 50; i++) rate.succeeded();
    assert.equal(rate.rate, 25);
    // Callers wait for slots (the slow-down emptied the bucket), then a run of 50 (2 s at 25/s).
    const { granted, take } = taker(rate);
    for (let i = 0; i < 100; i++) void take(i);
    await clock.advance(4000);
    assert.equal(granted.length, 100);
    for (let i = 0; i < 49; i++) rate.succeeded();
    assert.equal(rate.rate, 25);
    rate.succeeded();
    assert.equal(rate.rate, 30);
    assert.equal(said.at(-1), '@batch: 50 submissions accepted; SubmitJob rate 25/s → 30/s');
    // Up to the maximum, never past it; at 43.2/s the run is 87, and 100 is the most ever needed.
    for (let round = 0; round < 6; round++) {
      for (let i = 0; i < 100; i++) void take(i);
      await clock.advance(4000);
      for (let i = 0; i < 100; i++) rate.succeeded();
    }
    assert.equal(rate.rate, 50);
    assert.equal(rate.speedUps, 4, '25 → 30 → 36 → 43.2 → 50');
  });

  it('climbs back from the floor to 50/s in minutes (a fixed run of 100 would take 100 min for the first step)', async () => {
    const clock = new FakeClock();
    const rate = new SubmitRate({ clock });
    for (let i = 0; i < 20; i++) {
      rate.slowDown('429');
      await clock.advance(1000);
    }
    assert.equal(rate.rate, SUBMIT_RATE.min);
    const { take } = taker(rate);
    const start = clock.now();
    // Callers keep asking a little more than the rate allows (so they wait), every answer a success.
    for (let n = 0; rate.rate < SUBMIT_RATE.max; n++) {
      assert.ok(n < 2000, 'recovers');
      const k = Math.ceil(rate.rate) + 1;
      await clock.run(Promise.all(Array.from({ length: k }, (_, i) => take(i))), 50);
      for (let i = 0; i < k; i++) rate.succeeded();
    }
    const minutes = (clock.now() - start) / 60_000;
    assert.ok(minutes < 15, `back to 50/s in ${minutes.toFixed(1)} min`);
  });

  it('serves retries before first submissions, and resolves cancelled waiters with false', async () => {
    const clock = new FakeClock();
    const rate = new SubmitRate({ clock, max: 1 });
    const { granted, take } = taker(rate);
    await take(0);
    let cancel3 = false;
    void take(1);
    void take(2);
    const third = take(3, { cancelled: () => cancel3 });
    void take(4);
    void take(10, { retry: true });
    void take(11, { retry: true });
    cancel3 = true;
    await clock.advance(1000);
    assert.equal(await third, false);
    await clock.advance(4000);
    assert.deepEqual(granted, [0, 10, 11, 1, 2, 4]);
    assert.equal(rate.waiting, 0);
  });
});
