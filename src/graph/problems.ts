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

/** Edit distance counting a swap of two neighbouring letters as one edit (optimal string alignment). */
function distance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) =>
    Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  for (let i = 1; i <= a.length; i += 1) {
    for (let j = 1; j <= b.length; j += 1) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        best = Math.min(best, d[i - 2]![j - 2]! + 1);
      d[i]![j] = best;
    }
  }
  return d[a.length]![b.length]!;
}

/**
 * The candidate closest to `name` (case-insensitive edit distance), when it is close enough to be a
 * likely typo.
 *
 * @example
 * ```ts
 * closestName('joinn', ['start', 'join', 'end']); // 'join'
 * ```
 */
export function closestName(name: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const candidate of candidates) {
    const d = distance(name.toLowerCase(), candidate.toLowerCase());
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  return best !== undefined && bestDistance <= Math.max(1, Math.floor(name.length / 3)) ? best : undefined;
}
