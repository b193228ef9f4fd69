/**
 * Text output of the graph layer: problems for `stepflow check`, the graph for `stepflow show`.
 *
 * @module
 */
import type { DecoratorUse, FlowGraph, GraphProblem, GraphStep } from './types.js';

/**
 * Formats problems, one block each: `file:line: message [rule]`, then `  hint: ...`.
 *
 * @example
 * ```ts
 * formatProblems([{ rule: 'no-end', message: 'TrainFlow has no end step', hint: 'add @step end() {}', file: 'flow.ts', line: 2 }]);
 * // 'flow.ts:2: TrainFlow has no end step [no-end]\n  hint: add @step end() {}'
 * ```
 */
export function formatProblems(problems: readonly GraphProblem[]): string {
  return problems
    .map((p) => `${p.file}:${p.line}: ${p.message} [${p.rule}]${p.hint !== '' ? `\n  hint: ${p.hint}` : ''}`)
    .join('\n');
}

function formatValue(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (value === null || typeof value !== 'object') return String(value);
  return JSON.stringify(value);
}

/**
 * Formats one decorator as written with its options: `@batch(cpu=2, memory=8192)`; non-literal
 * options show their source text.
 *
 * @example
 * ```ts
 * formatDecorator({ name: 'retry', options: { times: 2 }, line: 3 }); // '@retry(times=2)'
 * ```
 */
export function formatDecorator(decorator: DecoratorUse): string {
  const parts = Object.entries(decorator.options).map(([key, value]) => `${key}=${formatValue(value)}`);
  for (const [key, text] of Object.entries(decorator.dynamic ?? {})) {
    parts.push(/^\d+$/.test(key) ? text : `${key}=${text}`);
  }
  return parts.length > 0 ? `@${decorator.name}(${parts.join(', ')})` : `@${decorator.name}`;
}

function kindTag(step: GraphStep): string {
  if (step.kind === 'join')
    return step.matchingSplit !== undefined ? `[join of ${step.matchingSplit}]` : '[join]';
  return `[${step.kind}]`;
}

function leadsTo(step: GraphStep): string {
  if (step.next.length === 0) return step.kind === 'end' ? '' : '→ (no next)';
  const targets = `→ ${step.next.join(', ')}`;
  return step.foreach !== undefined ? `${targets} (foreach over ${step.foreach})` : targets;
}

/**
 * Formats a graph for `stepflow show`: the flow, its parameters, then one line per step in source
 * order with its kind (and the split a join closes), decorators with options, and where it leads.
 *
 * @example
 * ```ts
 * console.log(formatGraph(graph));
 * // TrainFlow (flow.ts)
 * // Parameters: alpha
 * // Step start  [foreach]  → train (foreach over shards)
 * // Step train  [linear]   @retry(times=2) @batch(cpu=2, memory=8192)  → join
 * // Step join   [join of start]  → end
 * // Step end    [end]
 * ```
 */
export function formatGraph(graph: FlowGraph): string {
  const lines = [`${graph.flowName} (${graph.file})`];
  if (graph.parameters.length > 0)
    lines.push(`Parameters: ${graph.parameters.map((p) => p.name).join(', ')}`);
  const nameWidth = Math.max(0, ...graph.order.map((name) => name.length));
  const tagWidth = '[foreach]'.length;
  for (const name of graph.order) {
    const step = graph.steps[name]!;
    const columns = [`Step ${name.padEnd(nameWidth)}`, kindTag(step).padEnd(tagWidth)];
    const decorators = step.decorators.map(formatDecorator).join(' ');
    if (decorators !== '') columns.push(decorators);
    const target = leadsTo(step);
    if (target !== '') columns.push(target);
    lines.push(columns.join('  ').trimEnd());
  }
  return lines.join('\n');
}
