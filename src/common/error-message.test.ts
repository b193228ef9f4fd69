import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { runInNewContext } from 'node:vm';
import { errorMessage } from './error-message.js';

describe('error-message', () => {
  it('errorMessage: the message of an error, of an error-like object, of another realm', () => {
    assert.equal(errorMessage(new Error('disk full')), 'disk full');
    assert.equal(errorMessage(new TypeError('x is undefined')), 'x is undefined');
    assert.equal(errorMessage(new Error('')), '');
    assert.equal(
      errorMessage({ name: 'NoSuchKey', message: 'The key does not exist' }),
      'The key does not exist',
    );
    const foreign = runInNewContext('new Error("from a vm context")') as unknown;
    assert.ok(!(foreign instanceof Error));
    assert.equal(errorMessage(foreign), 'from a vm context');
  });

  it('errorMessage: anything else as a string', () => {
    assert.equal(errorMessage('timeout'), 'timeout');
    assert.equal(errorMessage(42), '42');
    assert.equal(errorMessage(undefined), 'undefined');
    assert.equal(errorMessage(null), 'null');
    assert.equal(errorMessage({ message: 3 }), '[object Object]');
    assert.equal(errorMessage(Symbol('s')), 'Symbol(s)');
  });
});
