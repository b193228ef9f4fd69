import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { mbPerSecond, median, medianMs, repeat, tail } from './measure.mjs';

describe('measure', () => {
  it('median, repeat, mbPerSecond, tail', async () => {
    assert.equal(median([3, 1, 2]), 2);
    assert.equal(median([4, 1, 2, 3]), 2.5);
    assert.throws(() => median([]), /median of no values/);
    assert.deepEqual(await repeat(3, (i) => i * 2), [0, 2, 4]);
    assert.equal(mbPerSecond(2_000_000, 1000), 2);
    assert.throws(() => mbPerSecond(1, 0), /cannot compute MB\/s/);
    assert.equal(tail('a\nb\nc', 2), '…\nb\nc');
  });

  it('medianMs calls fn the given times and returns a median wall time', async () => {
    let calls = 0;
    const ms = await medianMs(3, async () => {
      calls++;
    });
    assert.equal(calls, 3);
    assert.ok(ms >= 0 && Number.isFinite(ms));
  });
});
