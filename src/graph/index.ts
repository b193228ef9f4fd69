/**
 * The graph layer: the static graph of a flow read from its source, its validation, and its text
 * forms.
 *
 * @example
 * ```ts
 * import { checkFlowFile, formatGraph, formatProblems } from './graph/index.js';
 * const { graph, problems } = await checkFlowFile('flow.ts');
 * console.log(problems.length > 0 ? formatProblems(problems) : formatGraph(graph!));
 * ```
 *
 * @module
 */
export { type Arrival, analyzeGraph, type GraphAnalysis, opensSplit, type StepShape } from './analyze.js';
export { checkFlowFile } from './check.js';
export {
  type DuplicateMember,
  detailsOf,
  type FieldAssignment,
  type FlowDetails,
  type HelperMethod,
  type NextCall,
  type StepSource,
} from './details.js';
export { GraphError, type GraphErrorOptions } from './errors.js';
export { extractFlows, selectFlow } from './extract.js';
export { formatDecorator, formatGraph, formatProblems } from './format.js';
export { type EvaluatedOptions, evaluateArguments } from './literals.js';
export type { DecoratorUse, FlowGraph, GraphParameter, GraphProblem, GraphStep, StepKind } from './types.js';
export { GRAPH_RULES, validateGraph } from './validate.js';
