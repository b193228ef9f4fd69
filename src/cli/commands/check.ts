/**
 * `stepflow check flow.ts` and `stepflow show flow.ts`.
 *
 * @module
 */
import { checkFlowFile } from '../../graph/check.js';
import { formatGraph, formatProblems } from '../../graph/format.js';

/**
 * Validates a flow statically, printing every problem; returns the exit code.
 *
 * @example
 * ```ts
 * process.exitCode = await checkCommand('flow.ts');
 * ```
 */
export async function checkCommand(file: string, options: { flow?: string } = {}): Promise<number> {
  const { graph, problems } = await checkFlowFile(file, options.flow);
  if (problems.length > 0) {
    process.stderr.write(`${formatProblems(problems)}\n`);
    process.stderr.write(`${problems.length} problem(s) found in ${file}.\n`);
    return 1;
  }
  process.stdout.write(`${graph?.flowName}: ${graph?.order.length} steps, no problems found.\n`);
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
