import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { mapAhead } from './limit.js';

describe('mapAhead', () => {
  it('yields in input order while at most `limit` calls are in flight ahead of the consumer', async () => {
    let inFlight = 0;
    let peak = 0;
    const started: number[] = [];
    const out: number[] = [];
    const items = Array.from({ length: 50 }, (_, i) => i);
    for await (const value of mapAhead(items, 8, async (i) => {
      started.push(i);
      peak = Math.max(peak, ++inFlight);
      await new Promise((r) => setTimeout(r, (i * 7) % 5));
      inFlight--;
      return i * 2;
    })) {
      out.push(value);
      assert.ok(started.length <= out.length + 8, 'never more than 8 read ahead of the consumer');
    }
    assert.deepEqual(
      out,
      items.map((i) => i * 2),
    );
    assert.equal(peak, 8, 'the reads overlap');
  });

  it('throws an error when its item comes, after yielding the ones before it', async () => {
    const out: number[] = [];
    await assert.rejects(async () => {
      for await (const value of mapAhead([1, 2, 3], 3, async (i) => {
        if (i === 2) throw new Error('two');
        return i;
      }))
        out.push(value);
    }, /two/);
    assert.deepEqual(out, [1]);
  });
});
