/**
 * What the graph checks' unit tests share: a flow source from a class body, the problems `validateGraph`
 * reports for it, and the line of a marker in it (problems carry the line they are about).
 *
 * @module
 */
import assert from 'node:assert/strict';
import { selectFlow } from '../../src/graph/extract.js';
import type { GraphProblem } from '../../src/graph/types.js';
import { validateGraph } from '../../src/graph/validate.js';

/** The import line of {@link flowSource}'s flows (line 1). */
export const FLOW_IMPORTS =
  "import { FlowSpec, step, parameter, retry, catchError, type Inputs } from 'stepflow';\n";

/**
 * The source of `flow.ts` with class `F` (default export) around `body`, after {@link FLOW_IMPORTS}.
 *
 * @example
 * ```ts
 * const source = flowSource('  @step start() { this.next(this.end); }\n  @step end() {}');
 * ```
 */
export function flowSource(body: string): string {
  return `${FLOW_IMPORTS}export default class F extends FlowSpec {\n${body}\n}\n`;
}

/**
 * The problems `validateGraph` reports for a source whose flow is extracted without problems.
 *
 * @example
 * ```ts
 * assert.deepEqual(problemsOf(flowSource(LINEAR)), []);
 * ```
 */
export function problemsOf(source: string): GraphProblem[] {
  const { graph, problems } = selectFlow('flow.ts', source);
  assert.ok(graph, JSON.stringify(problems));
  return validateGraph(graph);
}

/**
 * The 1-based line of the first occurrence of `marker` in `source` (an assertion fails without one).
 *
 * @example
 * ```ts
 * lineWith('a\nb\n', 'b'); // 2
 * ```
 */
export function lineWith(source: string, marker: string): number {
  const index = source.indexOf(marker);
  assert.ok(index >= 0, `marker ${marker} not in source`);
  return source.slice(0, index).split('\n').length;
}

/**
 * Asserts that `rule` is reported in `flow.ts` at the line of `marker`, with a hint; returns that problem.
 *
 * @example
 * ```ts
 * expectRule(source, 'no-start', 'class F');
 * ```
 */
export function expectRule(source: string, rule: string, marker: string): GraphProblem {
  const problems = problemsOf(source);
  const found = problems.find((p) => p.rule === rule);
  assert.ok(found, `${rule} not reported; got ${problems.map((p) => p.rule).join(', ') || 'nothing'}`);
  assert.equal(found.line, lineWith(source, marker));
  assert.equal(found.file, 'flow.ts');
  assert.ok(found.hint.length > 0);
  return found;
}
