/**
 * Small helpers shared by the validation rules.
 *
 * @module
 */
import type { FlowGraph, GraphProblem } from './types.js';

/** Builds problems for one graph, with its file filled in. */
export type ProblemBuilder = (
  rule: string,
  line: number,
  message: string,
  hint: string,
  step?: string,
) => GraphProblem;

/**
 * A problem builder bound to a graph's file.
 *
 * @example
 * ```ts
 * const problem = problemBuilder(graph);
 * problem('no-start', graph.line, 'TrainFlow has no start step', 'add `@step start()`');
 * ```
 */
export function problemBuilder(graph: FlowGraph): ProblemBuilder {
  return (rule, line, message, hint, step) => ({
    rule,
    message,
    hint,
    file: graph.file,
    line,
    ...(step !== undefined ? { step } : {}),
  });
}

/**
 * Joins names for a message: `a`, `a and b`, `a, b and c`.
 *
 * @example
 * ```ts
 * listNames(['a', 'b', 'c']); // 'a, b and c'
 * ```
 */
export function listNames(names: readonly string[]): string {
  if (names.length <= 1) return names.join('');
  return `${names.slice(0, -1).join(', ')} and ${names[names.length - 1]}`;
}
