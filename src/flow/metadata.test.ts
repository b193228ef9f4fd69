import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parameter, recordStepDecorator, step } from './decorate.js';
import { FlowSpec } from './flow-spec.js';
import { FLOW_INFO_KEY, type FlowInfo, ownFlowInfo, readFlowInfo, stepEntry } from './metadata.js';

describe('metadata', () => {
  it('ownFlowInfo creates the info once and returns the same object afterwards', () => {
    const metadata = {} as DecoratorMetadataObject;
    const info = ownFlowInfo(metadata);
    assert.equal(ownFlowInfo(metadata), info);
    assert.equal(info.steps.size, 0);
    assert.equal(info.parameters.size, 0);
    // Stored under the registry key, not enumerable.
    assert.equal((metadata as Record<symbol, FlowInfo>)[FLOW_INFO_KEY], info);
    assert.deepEqual(Object.keys(metadata), []);
  });

  it('ownFlowInfo copies a parent and never writes into it', () => {
    const parentMeta = {} as DecoratorMetadataObject;
    const parent = ownFlowInfo(parentMeta);
    stepEntry(parent, 'start').isStep = true;
    stepEntry(parent, 'start').decorators.push({ name: 'retry', options: {}, source: 'static' });
    parent.parameters.set('alpha', { name: 'alpha', options: {} });

    const childMeta = Object.create(parentMeta) as DecoratorMetadataObject;
    const child = ownFlowInfo(childMeta);
    assert.notEqual(child, parent);
    assert.deepEqual([...child.steps.keys()], ['start']);
    assert.equal(child.steps.get('start')?.isStep, true);

    stepEntry(child, 'extra').isStep = true;
    stepEntry(child, 'start').decorators.push({ name: 'timeout', options: {}, source: 'static' });
    child.steps.get('start')!.isStep = false;
    child.parameters.set('beta', { name: 'beta', options: {} });

    assert.deepEqual([...parent.steps.keys()], ['start']);
    assert.equal(parent.steps.get('start')?.isStep, true);
    assert.deepEqual(
      parent.steps.get('start')?.decorators.map((d) => d.name),
      ['retry'],
    );
    assert.deepEqual([...parent.parameters.keys()], ['alpha']);
    assert.deepEqual([...child.parameters.keys()], ['alpha', 'beta']);
  });

  class BaseFlow extends FlowSpec {
    @parameter({ help: 'rate' }) alpha = 0.5;
    @step start() {}
    @step end() {}
  }

  class ChildFlow extends BaseFlow {
    @parameter() beta = 'b';
    @step extra() {}
  }

  class PlainChild extends BaseFlow {
    helper() {}
  }

  it('a subclass adding a step or parameter does not leak into the parent class', () => {
    const base = readFlowInfo(BaseFlow);
    const child = readFlowInfo(ChildFlow);
    assert.ok(base && child);
    assert.deepEqual([...base.steps.keys()].sort(), ['end', 'start']);
    assert.deepEqual([...child.steps.keys()].sort(), ['end', 'extra', 'start']);
    assert.deepEqual([...base.parameters.keys()], ['alpha']);
    assert.deepEqual([...child.parameters.keys()].sort(), ['alpha', 'beta']);
    assert.equal(child.parameters.get('alpha')?.options.help, 'rate');
  });

  it('readFlowInfo: inherited info for an undecorated subclass, undefined for other classes', () => {
    assert.deepEqual([...(readFlowInfo(PlainChild)?.steps.keys() ?? [])].sort(), ['end', 'start']);
    class NotAFlow {}
    assert.equal(readFlowInfo(NotAFlow), undefined);
    assert.equal(
      readFlowInfo(() => {}),
      undefined,
    );
  });

  it('stepEntry creates a non-step entry once; decorators keep source order (top first)', () => {
    const info = ownFlowInfo({} as DecoratorMetadataObject);
    const a = stepEntry(info, 'train');
    assert.deepEqual(a, { name: 'train', isStep: false, decorators: [] });
    assert.equal(stepEntry(info, 'train'), a);

    const metadata = {} as DecoratorMetadataObject;
    const ctx = { kind: 'method', name: 'train', static: false, private: false, metadata };
    // Decorators run bottom-up: the lower one records first.
    recordStepDecorator('lower', {}, ctx);
    recordStepDecorator('upper', { x: 1 }, ctx);
    const uses = ownFlowInfo(metadata).steps.get('train')?.decorators;
    assert.deepEqual(
      uses?.map((u) => [u.name, u.source]),
      [
        ['upper', 'static'],
        ['lower', 'static'],
      ],
    );
    assert.deepEqual(uses?.[0].options, { x: 1 });
  });
});
