/**
 * The static graph of a flow, as read from its source before anything runs. Plain JSON data, so it
 * is stored with each run and read by task processes, the client and remote compute layers.
 *
 * @module
 */

/** How a step continues. */
export type StepKind = 'linear' | 'branch' | 'foreach' | 'join' | 'end';

/** A decorator written on a step, with its literal options. */
export interface DecoratorUse {
  readonly name: string;
  /** Options evaluated from literals; a non-literal value is left out and named in `dynamic`. */
  readonly options: Record<string, unknown>;
  /** Option names whose values are not literals (kept as source text). */
  readonly dynamic?: Record<string, string>;
  readonly line: number;
}

/** One step of the graph. */
export interface GraphStep {
  readonly name: string;
  readonly line: number;
  readonly kind: StepKind;
  /** Target step names of `this.next(...)`, in call order. */
  readonly next: readonly string[];
  /** The artifact iterated over, for a foreach step. */
  readonly foreach?: string;
  /** True when the method takes an `inputs` parameter. */
  readonly isJoin: boolean;
  /** Steps whose `next` leads here, in source order. */
  readonly inFuncs: readonly string[];
  /** Stack of the branch/foreach steps open at this step (outermost first). */
  readonly splitParents: readonly string[];
  /** For a join: the branch or foreach step it closes. */
  readonly matchingSplit?: string;
  /** Decorators other than `@step`, outermost first as written. */
  readonly decorators: readonly DecoratorUse[];
  /** True when the method is `async`. */
  readonly isAsync: boolean;
}

/** A `@parameter` field. */
export interface GraphParameter {
  readonly name: string;
  readonly line: number;
}

/**
 * The whole graph of one flow class.
 *
 * @example
 * ```ts
 * const graph = extractGraph('flow.ts', source);
 * graph.steps.start.next; // ['a', 'b']
 * ```
 */
export interface FlowGraph {
  readonly flowName: string;
  readonly file: string;
  readonly line: number;
  /** Steps in source order, by name. */
  readonly steps: Readonly<Record<string, GraphStep>>;
  /** Step names in source order. */
  readonly order: readonly string[];
  readonly parameters: readonly GraphParameter[];
}

/** One problem found by validation. */
export interface GraphProblem {
  /** Stable rule id (`no-start`, `unknown-target`, ...). */
  readonly rule: string;
  readonly message: string;
  /** What to do about it. */
  readonly hint: string;
  readonly file: string;
  readonly line: number;
  readonly step?: string;
}
