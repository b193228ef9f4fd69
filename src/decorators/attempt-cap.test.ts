import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkAttemptCap, isFallbackAttempt, retryBudget } from './attempt-cap.js';
import type { ResolvedDecorator } from './contract.js';
import { DecoratorError } from './errors.js';
import '../plugins/index.js';

const retry = (times: number): ResolvedDecorator => ({
  name: 'retry',
  options: { times, minutesBetweenRetries: 0 },
  source: 'static',
});
const catchError: ResolvedDecorator = {
  name: 'catchError',
  options: { printException: true },
  source: 'cli',
};

describe('attempt-cap', () => {
  it('checkAttemptCap: up to 6 attempts pass', () => {
    checkAttemptCap('F', new Map());
    checkAttemptCap('F', new Map([['s', []]]));
    checkAttemptCap('F', new Map([['s', [retry(5)]]]));
    checkAttemptCap('F', new Map([['s', [retry(4), catchError]]]));
  });

  it('checkAttemptCap: more than 6 attempts is an error naming the step and the decorators', () => {
    assert.throws(
      () =>
        checkAttemptCap(
          'F',
          new Map([
            ['a', [retry(1)]],
            ['s', [retry(5), catchError]],
          ]),
        ),
      (err: unknown) => {
        assert.ok(err instanceof DecoratorError);
        assert.equal(
          err.message,
          'Step F.s asks for 7 attempts (@retry times=5 + @catchError), more than the maximum of 6; lower @retry(times).',
        );
        assert.equal(err.flow, 'F');
        assert.equal(err.step, 's');
        assert.equal(err.decorator, 'retry');
        return true;
      },
    );
  });

  it('retryBudget and isFallbackAttempt', () => {
    assert.deepEqual(retryBudget([]), { user: 0, error: 0 });
    assert.deepEqual(retryBudget([retry(2), catchError]), { user: 2, error: 1 });
    assert.equal(isFallbackAttempt(2, [retry(2), catchError]), false);
    assert.equal(isFallbackAttempt(3, [retry(2), catchError]), true);
    assert.equal(isFallbackAttempt(1, [retry(2)]), false);
  });
});
