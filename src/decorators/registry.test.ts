import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fakePlugin as plugin } from '../../test/support/fake-plugin.js';
import { step } from '../flow/decorate.js';
import { DecoratorUsageError } from '../flow/errors.js';
import { FlowSpec } from '../flow/flow-spec.js';
import { readFlowInfo } from '../flow/metadata.js';
import {
  defineStepDecorator,
  getStepDecorator,
  knownStepDecorators,
  registerStepDecorator,
} from './registry.js';

describe('registry', () => {
  it('registerStepDecorator / getStepDecorator / knownStepDecorators', () => {
    assert.equal(getStepDecorator('regZeta'), undefined);
    const first = plugin('regZeta');
    registerStepDecorator(first);
    registerStepDecorator(plugin('regAlpha'));
    assert.equal(getStepDecorator('regZeta'), first);
    const known = knownStepDecorators();
    assert.ok(known.indexOf('regAlpha') < known.indexOf('regZeta'));
    assert.deepEqual(known, [...known].sort());
    // Same name replaces.
    const second = plugin('regZeta', { allowMultiple: true });
    registerStepDecorator(second);
    assert.equal(getStepDecorator('regZeta'), second);
    assert.equal(knownStepDecorators().filter((n) => n === 'regZeta').length, 1);
  });

  it('the registry is global: a second framework copy sees the same plugins', () => {
    const global = (globalThis as unknown as Record<symbol, Map<string, unknown>>)[
      Symbol.for('stepflow.decoratorRegistry')
    ];
    registerStepDecorator(plugin('regShared'));
    assert.ok(global.has('regShared'));
  });

  const regRetry = defineStepDecorator<{ times?: number }>(plugin('regRetry', { optionNames: ['times'] }));
  const regEnv = defineStepDecorator<{ vars?: Record<string, string> }>(plugin('regEnv'));

  class DecoratedFlow extends FlowSpec {
    @regRetry({ times: 2 })
    @regEnv()
    @step
    start() {
      this.next(this.end);
    }
    @step end() {}
  }

  it('defineStepDecorator registers the plugin and records uses in source order', () => {
    assert.ok(getStepDecorator('regRetry'));
    const uses = readFlowInfo(DecoratedFlow)?.steps.get('start')?.decorators;
    assert.deepEqual(uses, [
      { name: 'regRetry', options: { times: 2 }, source: 'static' },
      { name: 'regEnv', options: {}, source: 'static' },
    ]);
    assert.deepEqual(readFlowInfo(DecoratedFlow)?.steps.get('end')?.decorators, []);
  });

  it('the recorded options are a copy of what the user passed', () => {
    const options = { times: 1 };
    const decorator = regRetry(options);
    options.times = 5;
    const metadata = {} as DecoratorMetadataObject;
    decorator(() => {}, { kind: 'method', name: 'a', static: false, private: false, metadata } as never);
    const info = (metadata as Record<symbol, { steps: Map<string, { decorators: unknown[] }> }>)[
      Symbol.for('stepflow.flowInfo')
    ];
    assert.deepEqual(info.steps.get('a')?.decorators, [
      { name: 'regRetry', options: { times: 1 }, source: 'static' },
    ]);
  });

  it('a decorator used without calling it is refused with the fix', () => {
    const uncalled = regRetry as unknown as (m: () => void, c: unknown) => unknown;
    assert.throws(
      () => uncalled(() => {}, { kind: 'method', name: 'a', metadata: {} }),
      (err: unknown) =>
        err instanceof TypeError && /write @regRetry\(\) or @regRetry\(\{ \.\.\. \}\)/.test(err.message),
    );
  });

  it('a step decorator on a field is a DecoratorUsageError', () => {
    const fieldCtx = { kind: 'field', name: 'x', static: false, private: false, metadata: {} };
    assert.throws(
      () => regEnv()(() => {}, fieldCtx as never),
      (err: unknown) => err instanceof DecoratorUsageError && err.decorator === 'regEnv',
    );
  });
});
