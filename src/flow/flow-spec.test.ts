import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { step } from './decorate.js';
import { FlowError } from './errors.js';
import { FlowSpec, isFlowClass, RESERVED_NAMES } from './flow-spec.js';
import { FLOW_BRAND } from './metadata.js';
import { bindTaskState, type NextOptions, type TaskState } from './task-state.js';

class LinearFlow extends FlowSpec {
  @step start() {
    this.next(this.end);
  }
  @step end() {}
}

function outsideTask(fn: () => unknown, what: string): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof FlowError);
    assert.equal(err.name, 'FlowError');
    assert.ok(err.message.startsWith(`${what} can only be used inside a running step`), err.message);
    assert.match(err.message, /stepflow run/);
    return true;
  });
}

describe('flow-spec', () => {
  it('next / input / index / foreachStack / mergeArtifacts outside a task throw a clear FlowError', () => {
    const flow = new LinearFlow();
    outsideTask(() => flow.next(flow.end), 'this.next()');
    outsideTask(() => flow.start(), 'this.next()');
    outsideTask(() => flow.input, 'this.input');
    outsideTask(() => flow.index, 'this.index');
    outsideTask(() => flow.foreachStack, 'this.foreachStack');
    outsideTask(() => flow.mergeArtifacts([]), 'this.mergeArtifacts()');
  });

  it('inside a task the methods delegate to the bound task state', () => {
    const calls: Array<[readonly unknown[], NextOptions | undefined]> = [];
    const merges: unknown[] = [];
    const state: TaskState = {
      flowName: 'LinearFlow',
      stepName: 'start',
      recordNext: (targets, options) => calls.push([targets, options]),
      input: () => 'item',
      index: () => 2,
      foreachStack: () => [{ step: 'start', field: 'xs', index: 2, count: 3 }],
      mergeArtifacts: (inputs, options) => merges.push([inputs, options]),
    };
    const flow = new LinearFlow();
    bindTaskState(flow, state);
    flow.next(flow.end);
    flow.next(flow.start, flow.end);
    // @ts-expect-error LinearFlow has no field xs (the runtime records what it is given)
    flow.next(flow.end, { foreach: 'xs' });
    flow.next();
    assert.deepEqual(calls, [
      [[flow.end], undefined],
      [[flow.start, flow.end], undefined],
      [[flow.end], { foreach: 'xs' }],
      [[], undefined],
    ]);
    assert.equal(flow.input, 'item');
    assert.equal(flow.index, 2);
    assert.equal(flow.foreachStack[0].count, 3);
    flow.mergeArtifacts([], { exclude: ['a'] });
    assert.deepEqual(merges, [[[], { exclude: ['a'] }]]);
    // Another instance is still unbound.
    outsideTask(() => new LinearFlow().input, 'this.input');
  });

  it('isFlowClass recognizes FlowSpec subclasses, also from another framework copy', () => {
    assert.equal(isFlowClass(LinearFlow), true);
    class Sub extends LinearFlow {}
    assert.equal(isFlowClass(Sub), true);
    const foreign = function Foreign() {} as unknown as Record<symbol, unknown>;
    foreign[Symbol.for('stepflow.flowSpec')] = true;
    assert.equal(FLOW_BRAND, Symbol.for('stepflow.flowSpec'));
    assert.equal(isFlowClass(foreign), true);
    class Plain {}
    for (const value of [Plain, () => {}, {}, null, undefined, 'LinearFlow', new LinearFlow()]) {
      assert.equal(isFlowClass(value), false, String(value));
    }
    assert.equal(isFlowClass({ [FLOW_BRAND]: true }), false);
  });

  it('RESERVED_NAMES holds the flow API names', () => {
    for (const name of [
      'next',
      'input',
      'index',
      'inputs',
      'foreachStack',
      'mergeArtifacts',
      'constructor',
    ]) {
      assert.ok(RESERVED_NAMES.has(name), name);
    }
    assert.equal(RESERVED_NAMES.has('score'), false);
  });
});
