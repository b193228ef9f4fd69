/**
 * What extraction learns about a flow's source beyond the {@link FlowGraph} itself: every `next`
 * call, every artifact assignment, methods that are not steps. Validation reads these to report
 * problems with exact lines; they are not part of the stored graph.
 *
 * @module
 */
import type { FlowGraph } from './types.js';

/** One `this.next(...)` call in a step body. */
export interface NextCall {
  readonly line: number;
  /** Step names passed as `this.name`, in order. */
  readonly targets: readonly string[];
  /** The `foreach` option, when it is a string literal. */
  readonly foreach?: string;
  /** Arguments that are not `this.name` or a trailing options object, as source text. */
  readonly badArguments: readonly string[];
  /** The `foreach` option's source text, when it is not a string literal. */
  readonly dynamicForeach?: string;
  /** True when the call is the last statement of the method body. */
  readonly isLast: boolean;
}

/** An assignment to `this.name` in a method body. */
export interface FieldAssignment {
  readonly name: string;
  readonly line: number;
}

/** What the body of one step method does. */
export interface StepSource {
  readonly name: string;
  readonly line: number;
  /** Number of declared parameters of the method. */
  readonly parameterCount: number;
  readonly nextCalls: readonly NextCall[];
  readonly assignments: readonly FieldAssignment[];
}

/** A method of the flow class without `@step`. */
export interface HelperMethod {
  readonly name: string;
  readonly line: number;
  /** Names of its decorators, as written. */
  readonly decorators: readonly string[];
}

/** A class member that clashes with another one of the same name. */
export interface DuplicateMember {
  readonly name: string;
  readonly line: number;
  readonly firstLine: number;
  readonly what: 'step' | 'parameter';
}

/**
 * Everything extraction records about one flow class for validation.
 *
 * @example
 * ```ts
 * const { flows } = extractFlows('flow.ts', source);
 * const details = detailsOf(flows[0]);
 * details?.steps.start.nextCalls[0].targets; // ['a', 'b']
 * ```
 */
export interface FlowDetails {
  readonly steps: Readonly<Record<string, StepSource>>;
  /** Methods without `@step`, by name. */
  readonly helpers: Readonly<Record<string, HelperMethod>>;
  /** `@step` written on something that is not a method (a field or accessor). */
  readonly stepOnNonMethod: readonly FieldAssignment[];
  /** Artifact names assigned anywhere in the class (methods and field initializers). */
  readonly assignedFields: readonly string[];
  /** True when some method passes `this` to `Object.assign` (assignments cannot be known). */
  readonly opaqueAssignments: boolean;
  readonly duplicates: readonly DuplicateMember[];
  /** Names the file imports from the `stepflow` package (as exported), when known. */
  readonly frameworkImports?: readonly string[];
}

const registry = new WeakMap<FlowGraph, FlowDetails>();

/**
 * Links extraction details to a graph object (done by `extractFlows`).
 *
 * @example
 * ```ts
 * attachDetails(graph, details);
 * ```
 */
export function attachDetails(graph: FlowGraph, details: FlowDetails): void {
  registry.set(graph, details);
}

/**
 * The extraction details of a graph returned by `extractFlows`, or `undefined` for a graph built
 * elsewhere (e.g. read back from JSON).
 *
 * @example
 * ```ts
 * const details = detailsOf(graph);
 * ```
 */
export function detailsOf(graph: FlowGraph): FlowDetails | undefined {
  return registry.get(graph);
}
