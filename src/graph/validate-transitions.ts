/**
 * Validation rules about `this.next(...)` calls (how often, where, to what, the foreach they start), and
 * stand-in details for a graph read back from JSON.
 *
 * @module
 */
import { closestName } from '../common/did-you-mean.js';
import type { FlowDetails, StepSource } from './details.js';
import type { ProblemBuilder } from './problems.js';
import type { FlowGraph, GraphProblem } from './types.js';

/**
 * Rules on `this.next(...)`: how often, where, to what, and the foreach it may start.
 *
 * @example
 * ```ts
 * checkTransitions(graph, detailsOf(graph)!, problemBuilder(graph));
 * ```
 */
export function checkTransitions(
  graph: FlowGraph,
  details: FlowDetails,
  problem: ProblemBuilder,
): GraphProblem[] {
  const problems: GraphProblem[] = [];
  const flow = graph.flowName;
  const stepNames = graph.order;
  const assigned = new Set([...details.assignedFields, ...graph.parameters.map((p) => p.name)]);
  for (const name of graph.order) {
    const step = graph.steps[name]!;
    const source = details.steps[name];
    const self = `${flow}.${name}`;
    const calls = source?.nextCalls ?? [];
    if (calls.length === 0 && name !== 'end' && graph.steps.end !== undefined) {
      problems.push(
        problem(
          'no-next',
          step.line,
          `step ${self} never calls this.next(...)`,
          'end the step with `this.next(this.<step>)`: only end has no next',
          name,
        ),
      );
    }
    if (name === 'end' && calls.length > 0) {
      problems.push(
        problem(
          'end-has-next',
          calls[0]!.line,
          `${self} calls this.next(...), but end is the last step`,
          'remove the this.next(...) call from end, or rename the step',
          name,
        ),
      );
    }
    if (calls.length > 1) {
      problems.push(
        problem(
          'multiple-next',
          calls[1]!.line,
          `step ${self} calls this.next(...) ${calls.length} times (lines ${calls.map((c) => c.line).join(', ')})`,
          'call this.next exactly once, as the last statement; for a choice, branch to all targets with this.next(this.a, this.b)',
          name,
        ),
      );
    } else if (calls.length === 1 && !calls[0]!.isLast && name !== 'end') {
      problems.push(
        problem(
          'next-not-last',
          calls[0]!.line,
          `in step ${self}, this.next(...) is not the last statement of the method`,
          'move this.next(...) to the end of the method body, outside any if, loop or callback',
          name,
        ),
      );
    }
    for (const call of calls) {
      for (const bad of call.badArguments) {
        problems.push(
          problem(
            'bad-next-argument',
            call.line,
            `step ${self} passes \`${bad}\` to this.next(...)`,
            'pass step methods as `this.<step>`, and options as a last `{ foreach: "field" }` object',
            name,
          ),
        );
      }
      if (call.dynamicForeach !== undefined) {
        problems.push(
          problem(
            'bad-next-argument',
            call.line,
            `step ${self} passes foreach: ${call.dynamicForeach}, which is not a string literal`,
            "name the artifact to iterate over as a string literal: `{ foreach: 'items' }`",
            name,
          ),
        );
      }
      if (call.targets.length === 0 && call.badArguments.length === 0) {
        problems.push(
          problem(
            'bad-next-argument',
            call.line,
            `step ${self} calls this.next(...) without a target step`,
            'pass the next step as `this.<step>`',
            name,
          ),
        );
      }
      for (const target of call.targets) {
        if (graph.steps[target] !== undefined) continue;
        const helper = details.helpers[target];
        if (helper !== undefined) {
          problems.push(
            problem(
              'unknown-target',
              call.line,
              `step ${self} goes to ${target}, a method that lacks @step (line ${helper.line})`,
              `add @step to ${target}, or call it as a plain function instead of passing it to this.next`,
              name,
            ),
          );
          continue;
        }
        const guess = closestName(target, stepNames);
        problems.push(
          problem(
            'unknown-target',
            call.line,
            `step ${self} goes to ${target}, which is not a step of ${flow}`,
            guess !== undefined ? `did you mean this.${guess}?` : `the steps are: ${stepNames.join(', ')}`,
            name,
          ),
        );
      }
      if (call.foreach !== undefined) {
        if (call.targets.length > 1) {
          problems.push(
            problem(
              'foreach-multiple-targets',
              call.line,
              `step ${self} starts a foreach over ${call.foreach} with ${call.targets.length} targets (${call.targets.join(', ')})`,
              'a foreach goes to exactly one step; branch inside that step if you need several',
              name,
            ),
          );
        }
        for (const target of call.targets) {
          if (graph.steps[target]?.isJoin !== true) continue;
          problems.push(
            problem(
              'foreach-into-join',
              call.line,
              `step ${self} starts a foreach over ${call.foreach} that goes straight to the join ${target}: the foreach has no step to run for each item`,
              `add a step between them: this.next(this.work, { foreach: '${call.foreach}' }) and let work call this.next(this.${target})`,
              name,
            ),
          );
        }
        if (!details.opaqueAssignments && !assigned.has(call.foreach)) {
          problems.push(
            problem(
              'foreach-field-unassigned',
              call.line,
              `step ${self} iterates over ${call.foreach}, but no step assigns this.${call.foreach}`,
              `assign it before the foreach (e.g. \`this.${call.foreach} = [...]\` in ${name}), make it a @parameter, or fix the name`,
              name,
            ),
          );
        }
      }
    }
  }
  return problems;
}

/**
 * Stand-in details for a graph that did not come from `extractFlows` (e.g. read back from JSON):
 * one `next` call per step, and no knowledge of assignments.
 *
 * @example
 * ```ts
 * validateGraph(graph, detailsFromGraph(graph));
 * ```
 */
export function detailsFromGraph(graph: FlowGraph): FlowDetails {
  const steps: Record<string, StepSource> = {};
  for (const name of graph.order) {
    const step = graph.steps[name]!;
    steps[name] = {
      name,
      line: step.line,
      parameterCount: step.isJoin ? 1 : 0,
      nextCalls:
        step.next.length > 0
          ? [
              {
                line: step.line,
                targets: step.next,
                ...(step.foreach !== undefined ? { foreach: step.foreach } : {}),
                badArguments: [],
                isLast: true,
              },
            ]
          : [],
      assignments: [],
    };
  }
  return {
    steps,
    helpers: {},
    stepOnNonMethod: [],
    assignedFields: [],
    opaqueAssignments: true,
    duplicates: [],
  };
}
