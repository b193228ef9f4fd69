import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { closestName, didYouMean, editDistance } from './did-you-mean.js';

describe('did-you-mean', () => {
  it('editDistance: insertions, deletions, substitutions, and a swapped pair counts once', () => {
    assert.equal(editDistance('memory', 'memory'), 0);
    assert.equal(editDistance('memroy', 'memory'), 1);
    assert.equal(editDistance('--max-worker', '--max-workers'), 1);
    assert.equal(editDistance('cpu', 'gpu'), 1);
    assert.equal(editDistance('', 'abc'), 3);
  });

  it('closestName: the nearest likely typo, case ignored, nothing when too far', () => {
    assert.equal(closestName('memroy', ['cpu', 'memory', 'queue']), 'memory');
    assert.equal(closestName('--max-worker', ['--max-workers', '--max-num-splits']), '--max-workers');
    assert.equal(closestName('Retry', ['retry', 'timeout']), 'retry');
    assert.equal(closestName('xyz', ['memory', 'cpu']), undefined);
    assert.equal(closestName('--alpah', ['--alpha', '--tag']), '--alpha');
  });

  it('didYouMean: a sentence, or nothing', () => {
    assert.equal(didYouMean('memroy', ['memory']), ' Did you mean "memory"?');
    assert.equal(didYouMean('--max-worker', ['--max-workers'], ''), ' Did you mean --max-workers?');
    assert.equal(didYouMean('zzz', ['memory']), '');
  });
});
