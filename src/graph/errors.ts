/**
 * Errors of the graph layer.
 *
 * @module
 */
import { formatProblems } from './format.js';
import type { GraphProblem } from './types.js';

/** Options of {@link GraphError}. */
export interface GraphErrorOptions {
  /** The flow the problems are about, when one was chosen. */
  readonly flow?: string;
  /** The flow file. */
  readonly file?: string;
  readonly cause?: unknown;
}

/**
 * A flow that cannot be run as written: carries every problem found, and its message is those
 * problems formatted (`file:line: message` and a hint each).
 *
 * @example
 * ```ts
 * const { graph, problems } = await checkFlowFile('flow.ts');
 * if (graph === undefined || problems.length > 0) throw new GraphError(problems, { file: 'flow.ts' });
 * ```
 */
export class GraphError extends Error {
  override readonly name = 'GraphError';
  readonly problems: readonly GraphProblem[];
  readonly flow?: string;
  readonly file?: string;

  constructor(problems: readonly GraphProblem[], options: GraphErrorOptions = {}) {
    super(formatProblems(problems), options.cause !== undefined ? { cause: options.cause } : undefined);
    this.problems = problems;
    const file = options.file ?? problems[0]?.file;
    if (options.flow !== undefined) this.flow = options.flow;
    if (file !== undefined) this.file = file;
  }

  /** The distinct rule ids of the problems, in order. */
  get rules(): string[] {
    return [...new Set(this.problems.map((p) => p.rule))];
  }
}
