/**
 * `stepflow check flow.ts` and `stepflow show flow.ts`.
 *
 * @module
 */

import { checkDecorators, checkPluginGraphs, parseWithSpec } from '../../decorators/index.js';
import { checkFlowFile } from '../../graph/check.js';
import { formatGraph, formatProblems } from '../../graph/format.js';
import type { GraphProblem } from '../../graph/index.js';

/** Options of {@link checkCommand}. */
export interface CheckOptions {
  /** The flow class, when the file has several. */
  readonly flow?: string;
  /** `--with` specs, checked as `run --with` would apply them (`batch:memory=0`). */
  readonly with?: readonly string[];
}

/**
 * Validates a flow statically, as `run` would before anything runs: the graph and each plugin's rules on
 * it, then every decorator's options and static checks (through each plugin, `--with` ones included). Prints every problem, or
 * that there is none and what only a run can check; returns the exit code.
 *
 * @example
 * ```ts
 * process.exitCode = await checkCommand('flow.ts', { with: ['batch:memory=8192'] });
 * ```
 */
export async function checkCommand(file: string, options: CheckOptions = {}): Promise<number> {
  const withSpecs = (options.with ?? []).map(parseWithSpec);
  const checked = await checkFlowFile(file, options.flow);
  const graph = checked.graph;
  // The graph's rules, then each plugin's static rules on it (`checkGraph`).
  const problems = graph ? [...checked.problems, ...checkPluginGraphs(graph)] : checked.problems;
  const decorators = graph ? checkDecorators(graph, withSpecs) : { problems: [], notChecked: [] };
  // A refusal the graph rules already report (e.g. @catchError on a foreach) is shown once.
  const seen = new Set(problems.map((p) => `${p.line}|${p.step ?? ''}`));
  const all: GraphProblem[] = [
    ...problems,
    ...decorators.problems.filter((p) => !seen.has(`${p.line}|${p.step ?? ''}`)),
  ].sort((a, b) => a.line - b.line);
  if (all.length > 0) {
    process.stderr.write(`${formatProblems(all)}\n`);
    process.stderr.write(`${all.length} problem(s) found in ${file}.\n`);
    return 1;
  }
  process.stdout.write(`${graph?.flowName}: ${graph?.order.length} steps, no problems found.\n`);
  if (decorators.notChecked.length > 0) {
    process.stdout.write(`Not checked here (run checks it): ${decorators.notChecked.join('; ')}.\n`);
  }
  return 0;
}

/**
 * Prints the flow's graph; returns the exit code.
 *
 * @example
 * ```ts
 * process.exitCode = await showCommand('flow.ts');
 * ```
 */
export async function showCommand(file: string, options: { flow?: string } = {}): Promise<number> {
  const { graph, problems } = await checkFlowFile(file, options.flow);
  if (graph) process.stdout.write(`${formatGraph(graph)}\n`);
  if (problems.length > 0) {
    process.stderr.write(`${formatProblems(problems)}\n`);
    return 1;
  }
  return 0;
}
