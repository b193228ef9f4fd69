/**
 * `FlowSpec`, the base class of every flow, and the `Inputs` type of join steps.
 *
 * @module
 */
import { TransitionError } from './errors.js';
import { FLOW_BRAND } from './metadata.js';
import { type ForeachPosition, type MergeOptions, type NextOptions, taskStateOf } from './task-state.js';

/** A step method referenced as `this.stepName`. */
export type StepRef = (...args: never[]) => unknown;

/**
 * The type of one item of a foreach over a value of type `T`: an element of an array, a Set or a typed
 * array, an `[key, value]` entry of a Map, a character of a string.
 *
 * @example
 * ```ts
 * type A = ItemOf<number[]>; // number
 * type B = ItemOf<Map<string, Date>>; // [string, Date]
 * ```
 */
export type ItemOf<T> = T extends string ? string : T extends Iterable<infer I> ? I : never;

/**
 * The inputs of a join step: a read-only array of the incoming tasks' artifacts, in the split's order,
 * also keyed by the name of the step that leads into the join after a static branch.
 *
 * @example
 * ```ts
 * @step join(inputs: Inputs<MyFlow>) {
 *   this.best = Math.max(...inputs.map((i) => i.score));
 *   this.fromA = inputs.a.value; // after this.next(this.a, this.b)
 *   this.next(this.end);
 * }
 * ```
 */
export type Inputs<F = Record<string, unknown>> = ReadonlyArray<Readonly<F>> & {
  readonly [step: string]: Readonly<F>;
};

/**
 * The base class of a flow. Subclass it, mark steps with `@step`, and move between steps with
 * `this.next(...)`. Every other field assigned in a step is an artifact, stored and passed to later steps.
 *
 * @example
 * ```ts
 * import { FlowSpec, step } from 'stepflow';
 *
 * export default class HelloFlow extends FlowSpec {
 *   declare message: string;
 *   @step start() { this.message = 'hi'; this.next(this.end); }
 *   @step end() { console.log(this.message); }
 * }
 * ```
 */
export abstract class FlowSpec {
  /** Brand checked instead of `instanceof`, so two copies of the framework agree. */
  static readonly [FLOW_BRAND] = true;

  /**
   * Moves to the next step(s): one target, several (a static branch), or one with `{ foreach: 'field' }`
   * (one child task per item of `this.field`). Call it exactly once, as the last statement of a step.
   *
   * @example
   * ```ts
   * this.next(this.a, this.b);
   * this.next(this.train, { foreach: 'shards' });
   * ```
   */
  next(...targets: StepRef[]): void;
  /** A foreach: `field` must name an iterable field of the flow (a typo or a number does not compile). */
  next<K extends string>(
    this: { readonly [P in K]: Iterable<unknown> },
    target: StepRef,
    options: { readonly foreach: K },
  ): void;
  next(...targets: Array<StepRef | NextOptions>): void {
    const state = taskStateOf(this, 'this.next()');
    const last = targets[targets.length - 1];
    const hasOptions = targets.length > 0 && typeof last === 'object' && last !== null;
    const options = hasOptions ? (last as NextOptions) : undefined;
    state.recordNext(hasOptions ? targets.slice(0, -1) : targets, options);
  }

  /**
   * The item of the innermost enclosing foreach that this task handles (`undefined` outside a foreach).
   * It is `unknown` to TypeScript (a step does not say which foreach it is in): narrow it, or use
   * {@link FlowSpec.inputOf | this.inputOf('field')}, which is typed as an item of that field.
   *
   * @example
   * ```ts
   * this.score = (this.input as number) * 2;
   * ```
   */
  get input(): unknown {
    return taskStateOf(this, 'this.input').input();
  }

  /**
   * The item of the foreach over `field` that this task handles, typed as an item of that field
   * (`number` for `declare shards: number[]`). Throws when the innermost enclosing foreach is over
   * another field, or when the task is not in a foreach.
   *
   * @example
   * ```ts
   * @step start() { this.shards = [1, 2, 3]; this.next(this.train, { foreach: 'shards' }); }
   * @step train() { this.score = this.inputOf('shards') * 2; this.next(this.join); } // a number
   * ```
   */
  inputOf<K extends string, F extends { readonly [P in K]: Iterable<unknown> }>(
    this: F,
    field: K,
  ): ItemOf<F[K]> {
    const state = taskStateOf(this as unknown as FlowSpec, 'this.inputOf()');
    const frame = state.foreachStack().at(-1);
    if (frame?.field !== field) {
      const where = frame
        ? `in a foreach over "${frame.field}" (from step ${frame.step})`
        : 'not in a foreach';
      throw new TransitionError(
        `this.inputOf('${field}') in step ${state.flowName}.${state.stepName}: the task is ${where}. ` +
          (frame ? `Use this.inputOf('${frame.field}').` : 'Only a step a foreach leads to has an input.'),
        { flow: state.flowName, step: state.stepName },
      );
    }
    return state.input() as ItemOf<F[K]>;
  }

  /**
   * The index of this task in the innermost enclosing foreach (`undefined` outside a foreach).
   *
   * @example
   * ```ts
   * console.log(`shard ${this.index}`);
   * ```
   */
  get index(): number | undefined {
    return taskStateOf(this, 'this.index').index();
  }

  /**
   * Every enclosing foreach, outermost first.
   *
   * @example
   * ```ts
   * const [outer, inner] = this.foreachStack;
   * ```
   */
  get foreachStack(): readonly ForeachPosition[] {
    return taskStateOf(this, 'this.foreachStack').foreachStack();
  }

  /**
   * In a join, copies the artifacts of the inputs whose values agree (or that only one input has).
   * Artifacts already set in the join win; a conflict throws, names the artifacts and sets nothing.
   *
   * @example
   * ```ts
   * this.mergeArtifacts(inputs, { exclude: ['score'] });
   * ```
   */
  mergeArtifacts(inputs: Inputs<object> | ReadonlyArray<object>, options?: MergeOptions): void {
    taskStateOf(this, 'this.mergeArtifacts()').mergeArtifacts(inputs, options);
  }
}

/**
 * True when `value` is a FlowSpec subclass (from any copy of the framework).
 *
 * @example
 * ```ts
 * const flows = Object.values(module).filter(isFlowClass);
 * ```
 */
export function isFlowClass(value: unknown): value is new () => FlowSpec {
  return typeof value === 'function' && (value as unknown as Record<symbol, unknown>)[FLOW_BRAND] === true;
}

/** Names a step may not use as an artifact. */
export const RESERVED_NAMES: ReadonlySet<string> = new Set([
  'next',
  'input',
  'index',
  'inputs',
  'foreachStack',
  'mergeArtifacts',
  'inputOf',
  'constructor',
]);
