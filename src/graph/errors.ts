/**
 * Errors of the graph layer.
 *
 * @module
 */

import { brandErrorClass, type ErrorDisplay, StepflowError } from '../common/index.js';
import { formatProblems } from './format.js';
import type { GraphProblem } from './types.js';

const NOT_RUN = 'The flow was not run: fix the problems above.';

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
export class GraphError extends StepflowError {
  static {
    brandErrorClass(GraphError, 'GraphError');
  }

  /** The message is the list of problems; the CLI prints it as it is, then the hint. */
  override get display(): ErrorDisplay {
    return 'report';
  }

  override readonly name = 'GraphError';
  readonly problems: readonly GraphProblem[];
  readonly flow?: string;
  readonly file?: string;

  constructor(problems: readonly GraphProblem[], options: GraphErrorOptions = {}) {
    super(formatProblems(problems), {
      hint: NOT_RUN,
      ...(options.cause !== undefined ? { cause: options.cause } : {}),
    });
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
