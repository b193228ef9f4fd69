import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { errorInfo, foreachItem, foreachLength } from './run-task.js';

function* generate() {
  yield 'g0';
  yield 'g1';
}

describe('run-task', () => {
  it('foreachLength counts lists and iterables, and refuses anything else', () => {
    assert.equal(foreachLength([1, 2, 3]), 3);
    assert.equal(foreachLength([]), 0);
    assert.equal(foreachLength(new Float64Array(5)), 5);
    assert.equal(foreachLength(new DataView(new ArrayBuffer(4))), undefined);
    assert.equal(foreachLength('abc'), 3);
    assert.equal(foreachLength(new Set(['a', 'b'])), 2);
    assert.equal(foreachLength(new Map([[1, 2]])), 1);
    assert.equal(foreachLength(generate()), 2);
    for (const bad of [undefined, null, 3, true, { length: 2 }, { a: 1 }, () => [1]]) {
      assert.equal(foreachLength(bad), undefined, String(bad));
    }
  });

  it('foreachItem picks the item at an index', () => {
    assert.equal(foreachItem(['a', 'b', 'c'], 1), 'b');
    assert.equal(foreachItem(new Int32Array([4, 5]), 1), 5);
    assert.equal(foreachItem('xyz', 2), 'z');
    assert.equal(foreachItem(new Set(['s0', 's1']), 1), 's1');
    assert.deepEqual(foreachItem(new Map([['k', 'v']]), 0), ['k', 'v']);
    assert.equal(foreachItem(generate(), 0), 'g0');
    assert.equal(foreachItem([1], 5), undefined);
    const nested = [{ id: 1 }, { id: 2 }];
    assert.equal(foreachItem(nested, 1), nested[1]);
  });

  it('errorInfo describes errors and thrown non-errors', () => {
    const err = new RangeError('too big');
    const info = errorInfo(err);
    assert.equal(info.type, 'RangeError');
    assert.equal(info.message, 'too big');
    assert.match(info.stack ?? '', /RangeError: too big/);
    assert.deepEqual(errorInfo('plain'), { type: 'string', message: 'plain' });
    assert.deepEqual(errorInfo(undefined), { type: 'undefined', message: 'undefined' });
    const noStack = new Error('x');
    noStack.stack = undefined;
    assert.deepEqual(errorInfo(noStack), { type: 'Error', message: 'x', stack: undefined });
  });
});
