/**
 * Checking a flow file from disk: read, extract, select, validate.
 *
 * @module
 */

import { readFile } from 'node:fs/promises';
import { selectFlow } from './extract.js';
import { fileKindProblem } from './file-kind.js';
import type { FlowGraph, GraphProblem } from './types.js';
import { validateGraph } from './validate.js';

function readProblem(file: string, error: unknown): GraphProblem {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'ENOENT') {
    return {
      rule: 'file-not-found',
      message: `flow file ${file} does not exist`,
      hint: 'check the path (it is relative to the current directory), e.g. `stepflow check ./flow.ts`',
      file,
      line: 1,
    };
  }
  const reason = error instanceof Error ? error.message : String(error);
  return {
    rule: 'file-unreadable',
    message: `cannot read flow file ${file}: ${reason}`,
    hint: code === 'EISDIR' ? 'pass the flow file itself, not its folder' : 'check the file permissions',
    file,
    line: 1,
  };
}

/**
 * Reads a flow file and runs extraction, flow selection and validation. `graph` is set when a flow
 * class was found, even if it has problems; the flow is valid when `problems` is empty.
 *
 * @example
 * ```ts
 * const { graph, problems } = await checkFlowFile('flow.ts');
 * if (problems.length > 0) throw new GraphError(problems, { file: 'flow.ts' });
 * ```
 */
export async function checkFlowFile(
  file: string,
  flowName?: string,
): Promise<{ graph?: FlowGraph; problems: GraphProblem[] }> {
  let source: string;
  try {
    source = await readFile(file, 'utf8');
  } catch (error) {
    return { problems: [readProblem(file, error)] };
  }
  const notAFlow = fileKindProblem(file, source);
  if (notAFlow) return { problems: [notAFlow] };
  const { graph, problems } = selectFlow(file, source, flowName);
  if (graph === undefined) return { problems };
  return { graph, problems: [...problems, ...validateGraph(graph)] };
}
