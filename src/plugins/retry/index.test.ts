import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ResolvedDecorator } from '../../decorators/contract.js';
import { DecoratorOptionError } from '../../decorators/errors.js';
import { parseWithSpec, resolveDecorators } from '../../decorators/resolve.js';
import { step } from '../../flow/decorate.js';
import { FlowSpec } from '../../flow/flow-spec.js';
import { readFlowInfo } from '../../flow/metadata.js';
import { extractFlows } from '../../graph/extract.js';
import { retry, retryPlugin } from './index.js';

const where = { flowName: 'MyFlow', stepName: 'train' };
const graph = extractFlows(
  'my-flow.ts',
  `import { FlowSpec, step } from 'stepflow';
export default class MyFlow extends FlowSpec {
  @step start() { this.next(this.train); }
  @step train() { this.next(this.end); }
  @step end() {}
}`,
).flows[0];

function resolveWith(spec: string): ResolvedDecorator[] {
  return resolveDecorators(graph, new Map(), [parseWithSpec(spec)]).get('train') ?? [];
}

describe('index', () => {
  it('@retry: defaults are 3 retries, 2 minutes apart', () => {
    const options = retryPlugin.parseOptions({}, where);
    assert.deepEqual(options, { times: 3, minutesBetweenRetries: 2 });
    assert.deepEqual(retryPlugin.retryCount?.({ options }), {
      user: 3,
      error: 0,
      delayMs: 120_000,
      delayFrom: 'minutesBetweenRetries: 2',
    });
  });

  it('@retry: retryCount follows the options (fractions of minutes allowed)', () => {
    const options = retryPlugin.parseOptions({ times: 2, minutesBetweenRetries: 0.5 }, where);
    assert.deepEqual(retryPlugin.retryCount?.({ options }), {
      user: 2,
      error: 0,
      delayMs: 30_000,
      delayFrom: 'minutesBetweenRetries: 0.5',
    });
    const none = retryPlugin.parseOptions({ times: 0, minutesBetweenRetries: 0 }, where);
    assert.deepEqual(retryPlugin.retryCount?.({ options: none }), {
      user: 0,
      error: 0,
      delayMs: 0,
      delayFrom: 'minutesBetweenRetries: 0',
    });
  });

  it('@retry: a bad times names the decorator, step, option, value and range', () => {
    assert.throws(
      () => retryPlugin.parseOptions({ times: 9 }, where),
      (err: unknown) => {
        assert.ok(err instanceof DecoratorOptionError);
        assert.equal(
          err.message,
          '@retry on step MyFlow.train: option "times" must be a whole number from 0 to 5 (got 9).',
        );
        assert.equal(err.decorator, 'retry');
        assert.equal(err.option, 'times');
        assert.equal(err.value, 9);
        assert.equal(err.flow, 'MyFlow');
        assert.equal(err.step, 'train');
        return true;
      },
    );
    for (const times of [-1, 1.5, '2', null, Number.NaN]) {
      assert.throws(
        () => retryPlugin.parseOptions({ times }, where),
        /option "times" must be a whole number/,
      );
    }
  });

  it('@retry: a bad minutesBetweenRetries is refused', () => {
    for (const minutes of [-1, 'soon', Number.POSITIVE_INFINITY, 40_000]) {
      assert.throws(
        () => retryPlugin.parseOptions({ minutesBetweenRetries: minutes }, where),
        /@retry on step MyFlow\.train: option "minutesBetweenRetries" must be a number of minutes from 0 to 34560/,
      );
    }
  });

  it('@retry: an unknown option lists the valid ones', () => {
    assert.throws(
      () => retryPlugin.parseOptions({ tiems: 2 }, where),
      /@retry on step MyFlow\.train: unknown option "tiems"\. Did you mean "times"\? Valid options: times, minutesBetweenRetries\./,
    );
    assert.throws(
      () => resolveWith('retry:tiems=2'),
      /unknown option "tiems"\. Did you mean "times"\? Valid options: times, minutesBetweenRetries/,
    );
  });

  it('@retry: snake_case options from --with', () => {
    assert.deepEqual(resolveWith('retry:times=1,minutes_between_retries=0'), [
      { name: 'retry', options: { times: 1, minutesBetweenRetries: 0 }, source: 'cli' },
    ]);
  });

  class RetryFlow extends FlowSpec {
    @retry({ times: 2 })
    @step
    start() {
      this.next(this.end);
    }
    @step end() {}
  }

  it('@retry records its options on the step', () => {
    assert.deepEqual(readFlowInfo(RetryFlow)?.steps.get('start')?.decorators, [
      { name: 'retry', options: { times: 2 }, source: 'static' },
    ]);
    assert.throws(
      () => (retry as unknown as (m: unknown, c: unknown) => void)(() => {}, {}),
      /must be called/,
    );
  });
});
