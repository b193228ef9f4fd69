/**
 * Static validation of a flow graph: every problem at once, each with a stable rule id, a message
 * naming the flow and step, a hint, and the line to look at.
 *
 * @module
 */
import { detailsOf, type FlowDetails } from './details.js';
import { problemBuilder } from './problems.js';
import type { FlowGraph, GraphProblem } from './types.js';
import { checkStructure } from './validate-splits.js';
import { checkDeclarations } from './validate-steps.js';
import { checkTransitions, detailsFromGraph } from './validate-transitions.js';

/**
 * The rule ids `validateGraph` can report, with what each means.
 *
 * @example
 * ```ts
 * Object.keys(GRAPH_RULES).includes('cycle'); // true
 * ```
 */
export const GRAPH_RULES: Readonly<Record<string, string>> = {
  'no-start': 'the flow has no start step',
  'no-end': 'the flow has no end step',
  'duplicate-name': 'two steps or parameters share a name',
  'reserved-name': 'a step or parameter uses, or a step assigns, a name FlowSpec reserves',
  'invalid-step-name': 'a step name other than ASCII letters, digits and _ (starting with a letter)',
  'too-many-parameters': 'a step takes more than one parameter',
  'start-takes-inputs': 'start is declared as a join',
  'end-takes-inputs': 'end is declared as a join',
  'parameter-assigned': 'a step assigns a parameter',
  'decorator-without-step': 'a method has decorators but no @step',
  'step-not-method': '@step on something that is not a method',
  'no-next': 'a step other than end never calls this.next',
  'end-has-next': 'end calls this.next',
  'multiple-next': 'a step calls this.next more than once',
  'next-not-last': 'this.next is not the last statement of the step',
  'bad-next-argument': 'this.next gets something other than this.<step> and { foreach }',
  'unknown-target': 'this.next leads to something that is not a step',
  'foreach-multiple-targets': 'a foreach with more than one target',
  'foreach-into-join': 'a foreach whose target is directly a join (no step runs per item)',
  'foreach-field-unassigned': 'the artifact a foreach iterates over is never assigned',
  cycle: 'the steps form a cycle',
  unreachable: 'no path from start reaches a step',
  'join-without-inputs': 'a step where paths meet does not take inputs',
  'join-not-after-split': 'a step takes inputs but closes no split',
  'mismatched-join': 'a join gets inputs from different splits',
  'split-not-joined': 'the paths of a branch or foreach never meet in one join before end',
};

/**
 * Checks a flow graph against every rule and returns all problems, sorted by line. Without
 * `details`, the ones recorded by `extractFlows` for this graph object are used; a graph from
 * elsewhere (e.g. parsed JSON) gets the rules that need only the graph.
 *
 * @example
 * ```ts
 * const { graph } = selectFlow('flow.ts', source);
 * const problems = graph ? validateGraph(graph) : [];
 * if (problems.length > 0) throw new GraphError(problems);
 * ```
 */
export function validateGraph(graph: FlowGraph, details?: FlowDetails): GraphProblem[] {
  const known = details ?? detailsOf(graph) ?? detailsFromGraph(graph);
  const problem = problemBuilder(graph);
  const problems = [
    ...checkDeclarations(graph, known, problem),
    ...checkTransitions(graph, known, problem),
    ...checkStructure(graph, known, problem),
  ];
  const seen = new Set<string>();
  return problems
    .filter((p) => {
      const key = `${p.rule}|${p.line}|${p.message}`;
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    })
    .sort((a, b) => a.line - b.line);
}
