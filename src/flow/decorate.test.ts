import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parameter, recordStepDecorator, step } from './decorate.js';
import { DecoratorUsageError, FlowError } from './errors.js';
import { FlowSpec } from './flow-spec.js';
import { readFlowInfo } from './metadata.js';

class TrainFlow extends FlowSpec {
  @parameter({ help: 'learning rate', required: true, type: Number }) alpha = 0.01;
  @parameter() name = 'x';
  plain = 3;
  @step start() {
    this.next(this.end);
  }
  helper() {}
  @step end() {}
}

describe('decorate', () => {
  it('@step records the method as a step and returns it unchanged', () => {
    const info = readFlowInfo(TrainFlow);
    assert.ok(info);
    assert.deepEqual([...info.steps.keys()], ['start', 'end']);
    assert.equal(info.steps.get('start')?.isStep, true);
    assert.deepEqual(info.steps.get('start')?.decorators, []);
    assert.equal(info.steps.has('helper'), false);
    const fn = function start() {};
    const metadata = {} as DecoratorMetadataObject;
    assert.equal(
      step(fn, { kind: 'method', name: 'start', static: false, private: false, metadata } as never),
      fn,
    );
  });

  it('@parameter records the field name and its options', () => {
    const info = readFlowInfo(TrainFlow)!;
    assert.deepEqual([...info.parameters.keys()], ['alpha', 'name']);
    assert.deepEqual(info.parameters.get('alpha'), {
      name: 'alpha',
      options: { help: 'learning rate', required: true, type: Number },
    });
    assert.deepEqual(info.parameters.get('name')?.options, {});
    assert.equal(info.parameters.has('plain'), false);
    // Field initializers still work.
    assert.equal(new TrainFlow().alpha, 0.01);
  });

  function usageError(fn: () => unknown, decorator: string, text: RegExp): void {
    assert.throws(fn, (err: unknown) => {
      assert.ok(err instanceof DecoratorUsageError);
      assert.ok(err instanceof FlowError);
      assert.equal(err.name, 'DecoratorUsageError');
      assert.equal(err.decorator, decorator);
      assert.match(err.message, text);
      return true;
    });
  }

  it('legacy (experimentalDecorators) calls are detected', () => {
    const proto = {};
    const descriptor = { value() {}, writable: true, enumerable: false, configurable: true };
    // Legacy method decorators get (target, key, descriptor).
    const legacyStep = step as unknown as (t: object, k: string, d: PropertyDescriptor) => unknown;
    usageError(() => legacyStep(proto, 'start', descriptor), 'step', /experimentalDecorators/);
    // Legacy field decorators get (target, key).
    const legacyParam = parameter() as unknown as (t: object, k: string) => unknown;
    usageError(() => legacyParam(proto, 'alpha'), 'parameter', /experimentalDecorators/);
    usageError(() => recordStepDecorator('retry', {}, 'start'), 'retry', /standard decorators/);
    usageError(() => recordStepDecorator('retry', {}, undefined), 'retry', /tsconfig/);
  });

  it('@step on a field, a static or a private member is refused', () => {
    const metadata = {} as DecoratorMetadataObject;
    const fieldCtx = { kind: 'field', name: 'x', static: false, private: false, metadata };
    usageError(
      () => step(() => {}, fieldCtx as never),
      'step',
      /only decorate a public, non-static method.*field x/,
    );
    usageError(
      () => {
        class StaticFlow extends FlowSpec {
          @step static start() {}
        }
        return StaticFlow;
      },
      'step',
      /non-static method/,
    );
    usageError(
      () => {
        class PrivateFlow extends FlowSpec {
          // biome-ignore lint/correctness/noUnusedPrivateClassMembers: the decorator under test runs at definition.
          @step #start() {}
        }
        return PrivateFlow;
      },
      'step',
      /public/,
    );
    const symbolCtx = { kind: 'method', name: Symbol('s'), static: false, private: false, metadata };
    usageError(() => step(() => {}, symbolCtx as never), 'step', /plain name/);
    usageError(() => recordStepDecorator('retry', {}, fieldCtx), 'retry', /@retry can only decorate/);
  });

  it('@parameter on a method, a static or a private field is refused', () => {
    const metadata = {} as DecoratorMetadataObject;
    const apply = (ctx: object) => parameter()(undefined, ctx as ClassFieldDecoratorContext);
    usageError(
      () => apply({ kind: 'method', name: 'm', static: false, private: false, metadata }),
      'parameter',
      /public instance field/,
    );
    usageError(
      () => apply({ kind: 'field', name: 'm', static: true, private: false, metadata }),
      'parameter',
      /public instance field/,
    );
    usageError(
      () => {
        class PrivateParam extends FlowSpec {
          // biome-ignore lint/correctness/noUnusedPrivateClassMembers: the decorator under test runs at definition.
          @parameter() #secret = 1;
        }
        return PrivateParam;
      },
      'parameter',
      /public instance field/,
    );
  });
});
