/**
 * `FlowSpec`, the base class of every flow, and the `Inputs` type of join steps.
 *
 * @module
 */
import { FLOW_BRAND } from './metadata.js';
import { type ForeachPosition, type MergeOptions, type NextOptions, taskStateOf } from './task-state.js';

/** A step method referenced as `this.stepName`. */
export type StepRef = (...args: never[]) => unknown;

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
  next(...targets: Array<StepRef | NextOptions>): void {
    const state = taskStateOf(this, 'this.next()');
    const last = targets[targets.length - 1];
    const hasOptions = targets.length > 0 && typeof last === 'object' && last !== null;
    const options = hasOptions ? (last as NextOptions) : undefined;
    state.recordNext(hasOptions ? targets.slice(0, -1) : targets, options);
  }

  /**
   * The item of the innermost enclosing foreach that this task handles (`undefined` outside a foreach).
   *
   * @example
   * ```ts
   * this.score = this.input * 2;
   * ```
   */
  // biome-ignore lint/suspicious/noExplicitAny: the item type is whatever the user iterated over.
  get input(): any {
    return taskStateOf(this, 'this.input').input();
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
  'constructor',
]);
