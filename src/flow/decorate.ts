/**
 * `@step` and `@parameter`, the two decorators of the flow model, and the helper every step decorator
 * uses to record itself.
 *
 * @module
 */
import { DecoratorUsageError } from './errors.js';
import { ownFlowInfo, type ParameterOptions, type StepDecoratorUse, stepEntry } from './metadata.js';

type AnyMethod = (this: unknown, ...args: never[]) => unknown;

function isDecoratorContext(value: unknown): value is DecoratorContext {
  return typeof value === 'object' && value !== null && 'kind' in value && 'name' in value;
}

function assertStandard(name: string, context: unknown): asserts context is DecoratorContext {
  if (!isDecoratorContext(context)) {
    throw new DecoratorUsageError(
      `@${name} was called with legacy (experimentalDecorators) arguments. stepflow uses standard ` +
        'decorators: remove "experimentalDecorators" from your tsconfig.json.',
      { decorator: name },
    );
  }
}

function methodContext(name: string, context: unknown): ClassMethodDecoratorContext {
  assertStandard(name, context);
  if (context.kind !== 'method' || context.static || context.private || typeof context.name !== 'string') {
    throw new DecoratorUsageError(
      `@${name} can only decorate a public, non-static method with a plain name (found a ${context.kind}` +
        ` ${String(context.name)}).`,
      { decorator: name },
    );
  }
  return context;
}

/**
 * Marks a method as a step of the flow. Put it closest to the method, below other step decorators.
 *
 * @example
 * ```ts
 * class HelloFlow extends FlowSpec {
 *   @step start() { this.next(this.end); }
 *   @step end() {}
 * }
 * ```
 */
export function step<M extends AnyMethod>(method: M, context: ClassMethodDecoratorContext): M {
  const ctx = methodContext('step', context);
  stepEntry(ownFlowInfo(ctx.metadata), ctx.name as string).isStep = true;
  return method;
}

/**
 * Records a step decorator use on a method. Used by the decorators `stepDecorator` makes (`decorators/registry.ts`).
 *
 * @example
 * ```ts
 * recordStepDecorator('retry', { times: 2 }, context);
 * ```
 */
export function recordStepDecorator(
  name: string,
  options: Readonly<Record<string, unknown>>,
  context: unknown,
): void {
  const ctx = methodContext(name, context);
  const entry = stepEntry(ownFlowInfo(ctx.metadata), ctx.name as string);
  const use: StepDecoratorUse = { name, options, source: 'static' };
  // Decorators are applied bottom-up; keep them in the order written (top first).
  entry.decorators.unshift(use);
}

/**
 * Declares a flow parameter on a field. The field's initializer is the default; the value comes from
 * `--name value` on the command line. Parameters are artifacts, read-only inside steps.
 *
 * @example
 * ```ts
 * class TrainFlow extends FlowSpec {
 *   @parameter({ help: 'learning rate' }) alpha = 0.01;
 *   @parameter({ help: 'input file', required: true }) input_file = '';
 * }
 * ```
 */
export function parameter(options: ParameterOptions = {}) {
  return <V>(_value: undefined, context: ClassFieldDecoratorContext<unknown, V>): void => {
    assertStandard('parameter', context);
    if (context.kind !== 'field' || context.static || context.private || typeof context.name !== 'string') {
      throw new DecoratorUsageError('@parameter can only decorate a public instance field.', {
        decorator: 'parameter',
      });
    }
    ownFlowInfo(context.metadata).parameters.set(context.name, { name: context.name, options });
  };
}
