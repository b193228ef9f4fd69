/**
 * Validation rules about the shape of the graph: reachability, cycles, and how splits and joins
 * pair up.
 *
 * @module
 */
import { type Arrival, analyzeGraph } from './analyze.js';
import type { FlowDetails } from './details.js';
import { listNames, type ProblemBuilder } from './problems.js';
import type { FlowGraph, GraphProblem, GraphStep } from './types.js';

function cyclePath(graph: FlowGraph, members: readonly string[]): string[] {
  const inCycle = new Set(members);
  const first = members[0]!;
  const path: string[] = [];
  const walk = (name: string): boolean => {
    path.push(name);
    for (const target of graph.steps[name]?.next ?? []) {
      if (target === first) return true;
      if (inCycle.has(target) && !path.includes(target) && walk(target)) return true;
    }
    path.pop();
    return false;
  };
  walk(first);
  return [...path, first];
}

function describeSplit(step: GraphStep): string {
  return step.foreach !== undefined
    ? `the foreach over ${step.foreach} started at ${step.name}`
    : `the branch at ${step.name} (into ${listNames([...new Set(step.next)])})`;
}

/**
 * Reachability, cycles and split/join balance: `unreachable`, `cycle`, `join-without-inputs`,
 * `join-not-after-split`, `mismatched-join`, `split-not-joined`.
 *
 * @example
 * ```ts
 * checkStructure(graph, detailsOf(graph)!, problemBuilder(graph)); // [] for a valid flow
 * ```
 */
export function checkStructure(
  graph: FlowGraph,
  details: FlowDetails,
  problem: ProblemBuilder,
): GraphProblem[] {
  const problems: GraphProblem[] = [];
  const flow = graph.flowName;
  const analysis = analyzeGraph(graph.order.map((name) => graph.steps[name]!));
  // Reachability counts every this.next call (a step with several calls is reported by multiple-next).
  const everyCall = analyzeGraph(
    graph.order.map((name) => ({
      name,
      isJoin: false,
      next: details.steps[name]?.nextCalls.flatMap((call) => call.targets) ?? graph.steps[name]!.next,
    })),
  );
  const inCycle = new Set<string>();
  for (const members of analysis.cycles) {
    for (const name of members) inCycle.add(name);
    const path = cyclePath(graph, members);
    problems.push(
      problem(
        'cycle',
        graph.steps[members[0]!]!.line,
        `${flow} has a cycle: ${path.join(' → ')}`,
        `a flow is a DAG: make one of ${listNames(members)} go forward instead (loop inside a step if you need to repeat work)`,
        members[0],
      ),
    );
  }
  if (graph.steps.start !== undefined) {
    for (const name of graph.order) {
      if (everyCall.reachable.has(name)) continue;
      problems.push(
        problem(
          'unreachable',
          graph.steps[name]!.line,
          `step ${flow}.${name} is never reached from start`,
          `lead to it with this.next(this.${name}) from another step, or remove it (a helper method needs no @step)`,
          name,
        ),
      );
    }
  }

  // Splits whose problem is already reported at the step where their paths meet.
  const explained = new Set<string>();
  const explain = (arrivals: readonly Arrival[]): void => {
    for (const arrival of arrivals) for (const split of arrival.stack) explained.add(split);
  };
  const reported = new Set<string>();
  const splitNotJoined = (split: string, message: string, hint: string): void => {
    if (reported.has(split)) return;
    reported.add(split);
    problems.push(problem('split-not-joined', graph.steps[split]!.line, message, hint, split));
  };

  for (const name of graph.order) {
    const step = graph.steps[name]!;
    if (!analysis.reachable.has(name) || inCycle.has(name)) continue;
    const inFuncs = analysis.inFuncs.get(name) ?? [];
    const arrivals = analysis.arrivals.get(name) ?? [];
    if (!step.isJoin) {
      if (inFuncs.length > 1) {
        explain(arrivals);
        problems.push(
          problem(
            'join-without-inputs',
            step.line,
            `step ${flow}.${name} is reached from ${listNames(inFuncs)}, but takes no inputs (a non-join after a branch)`,
            name === 'end'
              ? 'end cannot be a join: add a join step `join(inputs: Inputs<Flow>)` before end'
              : `make it a join: \`${name}(inputs: Inputs<${flow}>)\`, or add a join step before it`,
            name,
          ),
        );
      }
      continue;
    }
    if (name === 'start' || arrivals.length === 0) continue;
    const tops = new Set(arrivals.map((a) => a.stack[a.stack.length - 1] ?? ''));
    if (tops.size === 1 && tops.has('')) {
      // A step with several parameters is reported by too-many-parameters instead.
      if ((details.steps[name]?.parameterCount ?? 1) > 1) continue;
      problems.push(
        problem(
          'join-not-after-split',
          step.line,
          `step ${flow}.${name} takes inputs, but closes no branch or foreach`,
          'remove the inputs parameter (a step after a single step is not a join), or split before it',
          name,
        ),
      );
      continue;
    }
    if (tops.size > 1) {
      explain(arrivals);
      const sources = [...tops].map((top) => {
        const from = arrivals.filter((a) => (a.stack[a.stack.length - 1] ?? '') === top).map((a) => a.from);
        return `${listNames([...new Set(from)])} (${top === '' ? 'no split' : `split at ${top}`})`;
      });
      problems.push(
        problem(
          'mismatched-join',
          step.line,
          `join ${flow}.${name} joins steps from different splits: ${sources.join('; ')}`,
          'join the inner split first with its own join step, then join the outer one',
          name,
        ),
      );
      continue;
    }
    const split = [...tops][0]!;
    const splitStep = graph.steps[split]!;
    const paths = [...new Set(splitStep.next)];
    const joined = [...new Set(arrivals.map((a) => a.from))];
    if (paths.length !== joined.length) {
      explained.add(split);
      splitNotJoined(
        split,
        `${describeSplit(splitStep)} in ${flow} has ${paths.length} paths, but only ${joined.length} (from ${listNames(joined)}) meet in its join ${name}`,
        `make every path of ${split} lead to ${name}`,
      );
    }
  }

  for (const stack of analysis.openAtEnd) {
    const before = (analysis.arrivals.get('end') ?? []).filter((a) => a.stack.join('>') === stack.join('>'));
    const last = before[0]?.from;
    for (const split of [...stack].reverse()) {
      if (explained.has(split)) continue;
      const splitStep = graph.steps[split]!;
      const candidate =
        last !== undefined && last !== split && !splitStep.next.includes(last)
          ? `give ${last} an \`inputs\` parameter to make it the join, or add a join step before end`
          : `add a join step that takes \`inputs\` between ${last ?? split} and end`;
      splitNotJoined(split, `${describeSplit(splitStep)} in ${flow} is never joined before end`, candidate);
    }
  }
  return problems;
}
