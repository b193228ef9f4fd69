import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Deque } from './deque.js';

describe('Deque', () => {
  it('keeps first-in first-out order through growth, with items put back at the front', () => {
    const queue = new Deque<number>();
    const expected: number[] = [];
    for (let i = 0; i < 100; i++) {
      queue.push(i);
      expected.push(i);
      if (i % 3 === 0) assert.equal(queue.shift(), expected.shift());
    }
    queue.unshift(-1);
    expected.unshift(-1);
    assert.equal(queue.length, expected.length);
    assert.equal(queue.peek(), -1);
    assert.deepEqual([...queue], expected);
    const out: number[] = [];
    while (queue.length > 0) out.push(queue.shift() as number);
    assert.deepEqual(out, expected);
    assert.equal(queue.shift(), undefined);
    queue.push(7);
    queue.clear();
    assert.equal(queue.length, 0);
  });
});
