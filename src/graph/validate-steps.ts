/**
 * Validation rules about the flow's declarations and single steps (start and end, duplicates, parameter and
 * step names, signatures, assignments, stray decorators); the rules on `next` calls are in
 * validate-transitions.ts.
 *
 * @module
 */

import type { FlowDetails } from './details.js';
import { listNames, type ProblemBuilder } from './problems.js';
import type { FlowGraph, GraphProblem, GraphStep } from './types.js';

/**
 * Names a step may not have, and artifact names a step may not assign (besides names starting
 * with `_`).
 *
 * @example
 * ```ts
 * RESERVED_NAMES.includes('input'); // true
 * ```
 */
export const RESERVED_NAMES: readonly string[] = [
  'next',
  'input',
  'index',
  'inputs',
  'mergeArtifacts',
  'foreachStack',
  'inputOf',
  'constructor',
];

/**
 * What a step name may look like: ASCII letters, digits and `_`, starting with a letter (Metaflow allows
 * only lowercase; camelCase is kept for TypeScript). The name is part of pathspecs, datastore keys and
 * AWS Batch job names, so a quoted name such as `'a/b'` or `'..'` must not get that far.
 *
 * @example
 * ```ts
 * STEP_NAME.test('trainModel'); // true
 * STEP_NAME.test('my step'); // false
 * ```
 */
export const STEP_NAME = /^[A-Za-z][A-Za-z0-9_]*$/;

/** What each declaration rule reads, and how it builds its problems. */
interface RuleInput {
  readonly graph: FlowGraph;
  readonly details: FlowDetails;
  readonly problem: ProblemBuilder;
  /** The flow's name, for messages. */
  readonly flow: string;
}

/** A rule on one step, given its name and graph node. */
type StepRule = (input: RuleInput, name: string, step: GraphStep) => GraphProblem[];

/**
 * The per-step rules of {@link checkDeclarations}, in the order their problems are listed (problems on
 * one line keep this order after sorting).
 */
const STEP_RULES: readonly StepRule[] = [checkStepName, checkSignature, checkAssignments];

/**
 * Rules on the flow's steps and parameters as declared: start/end, names, signatures, decorators,
 * assignments.
 *
 * @example
 * ```ts
 * checkDeclarations(graph, detailsOf(graph)!, problemBuilder(graph));
 * ```
 */
export function checkDeclarations(
  graph: FlowGraph,
  details: FlowDetails,
  problem: ProblemBuilder,
): GraphProblem[] {
  const input: RuleInput = { graph, details, problem, flow: graph.flowName };
  return [
    ...checkStartAndEnd(input),
    ...checkDuplicates(input),
    ...checkParameterNames(input),
    ...graph.order.flatMap((name) => STEP_RULES.flatMap((rule) => rule(input, name, graph.steps[name]!))),
    ...checkStrayDecorators(input),
  ];
}

/** `no-start`, `no-end`: a run begins at start and finishes at end. */
function checkStartAndEnd({ graph, details, problem, flow }: RuleInput): GraphProblem[] {
  const problems: GraphProblem[] = [];
  if (graph.steps.start === undefined) {
    problems.push(
      problem(
        'no-start',
        graph.line,
        `${flow} has no start step`,
        'add a method `@step start() { ... }`: every run begins there',
      ),
    );
  }
  if (graph.steps.end === undefined) {
    // Without an end, the steps that stop are where it was meant to be (no-next is not reported).
    const stops = graph.order.filter((name) => (details.steps[name]?.nextCalls.length ?? 0) === 0);
    problems.push(
      problem(
        'no-end',
        graph.line,
        `${flow} has no end step${stops.length > 0 ? ` (${listNames(stops)} never call${stops.length === 1 ? 's' : ''} this.next)` : ''}`,
        stops.length === 1
          ? `rename ${stops[0]} to end, or add \`@step end() {}\` and lead to it with this.next(this.end)`
          : 'add a method `@step end() {}` and lead to it with this.next(this.end): every run finishes there',
      ),
    );
  }
  return problems;
}

/** `duplicate-name`: a member declared twice. */
function checkDuplicates({ details, problem, flow }: RuleInput): GraphProblem[] {
  return details.duplicates.map((duplicate) =>
    problem(
      'duplicate-name',
      duplicate.line,
      `${flow}.${duplicate.name} is declared twice (first on line ${duplicate.firstLine})`,
      `rename or remove one of them: the later ${duplicate.what} silently replaces the earlier one`,
      duplicate.name,
    ),
  );
}

/** `duplicate-name`, `reserved-name`: a parameter named like a step, or with a reserved name. */
function checkParameterNames({ graph, problem, flow }: RuleInput): GraphProblem[] {
  const problems: GraphProblem[] = [];
  for (const parameter of graph.parameters) {
    const clash = graph.steps[parameter.name];
    if (clash !== undefined) {
      problems.push(
        problem(
          'duplicate-name',
          parameter.line,
          `parameter ${parameter.name} of ${flow} has the same name as the step on line ${clash.line}`,
          'rename the parameter or the step',
          parameter.name,
        ),
      );
    }
    if (RESERVED_NAMES.includes(parameter.name) || parameter.name.startsWith('_')) {
      problems.push(
        problem(
          'reserved-name',
          parameter.line,
          `parameter ${parameter.name} of ${flow} uses a reserved name`,
          `rename it: ${RESERVED_NAMES.join(', ')} and names starting with _ are reserved`,
          parameter.name,
        ),
      );
    }
  }
  return problems;
}

/** `reserved-name`, `invalid-step-name`: what a step may be called. */
function checkStepName({ problem, flow }: RuleInput, name: string, step: GraphStep): GraphProblem[] {
  const self = `${flow}.${name}`;
  if (RESERVED_NAMES.includes(name) || name.startsWith('_')) {
    return [
      problem(
        'reserved-name',
        step.line,
        `step ${self} uses a reserved name`,
        `rename the step: ${RESERVED_NAMES.join(', ')} and names starting with _ are reserved by FlowSpec`,
        name,
      ),
    ];
  }
  if (!STEP_NAME.test(name)) {
    return [
      problem(
        'invalid-step-name',
        step.line,
        `step ${flow}.${JSON.stringify(name)} has a name that cannot be used in pathspecs and job names`,
        'name the step with ASCII letters, digits and _, starting with a letter (e.g. `trainModel`)',
        name,
      ),
    ];
  }
  return [];
}

/** `too-many-parameters`, `start-takes-inputs`, `end-takes-inputs`: the step method's parameters. */
function checkSignature(
  { details, problem, flow }: RuleInput,
  name: string,
  step: GraphStep,
): GraphProblem[] {
  const problems: GraphProblem[] = [];
  const self = `${flow}.${name}`;
  const parameterCount = details.steps[name]?.parameterCount ?? (step.isJoin ? 1 : 0);
  if (parameterCount > 1) {
    problems.push(
      problem(
        'too-many-parameters',
        step.line,
        `step ${self} takes ${parameterCount} parameters`,
        'a step takes no parameters, or a join takes exactly one (`inputs: Inputs<Flow>`)',
        name,
      ),
    );
  }
  if (name === 'start' && step.isJoin) {
    problems.push(
      problem(
        'start-takes-inputs',
        step.line,
        `${self} takes an inputs parameter, but nothing comes before start`,
        'remove the parameter: start cannot be a join',
        name,
      ),
    );
  }
  if (name === 'end' && step.isJoin) {
    problems.push(
      problem(
        'end-takes-inputs',
        step.line,
        `${self} takes an inputs parameter, but end cannot be a join`,
        'add a separate join step before end, and let end take no parameters',
        name,
      ),
    );
  }
  return problems;
}

/** `reserved-name`, `parameter-assigned`: what a step may assign to `this`. */
function checkAssignments({ graph, details, problem, flow }: RuleInput, name: string): GraphProblem[] {
  const problems: GraphProblem[] = [];
  const self = `${flow}.${name}`;
  for (const assignment of details.steps[name]?.assignments ?? []) {
    if (RESERVED_NAMES.includes(assignment.name) && assignment.name !== 'constructor') {
      problems.push(
        problem(
          'reserved-name',
          assignment.line,
          `step ${self} assigns this.${assignment.name}, a reserved name`,
          `store the value under another artifact name: ${listNames(RESERVED_NAMES.slice(0, 6))} belong to FlowSpec`,
          name,
        ),
      );
    } else if (graph.parameters.some((p) => p.name === assignment.name)) {
      problems.push(
        problem(
          'parameter-assigned',
          assignment.line,
          `step ${self} assigns this.${assignment.name}, which is a parameter`,
          'parameters are read-only in steps: copy the value into another artifact',
          name,
        ),
      );
    }
  }
  return problems;
}

/** `decorator-without-step`, `step-not-method`: decorators and @step on the wrong members. */
function checkStrayDecorators({ details, problem, flow }: RuleInput): GraphProblem[] {
  const problems: GraphProblem[] = [];
  for (const helper of Object.values(details.helpers)) {
    if (helper.decorators.length === 0) continue;
    problems.push(
      problem(
        'decorator-without-step',
        helper.line,
        `${flow}.${helper.name} has ${helper.decorators.map((d) => `@${d}`).join(' ')} but no @step`,
        'add @step, or remove the decorators',
        helper.name,
      ),
    );
  }
  for (const member of details.stepOnNonMethod) {
    problems.push(
      problem(
        'step-not-method',
        member.line,
        `${flow}.${member.name} has @step but is not a method`,
        'declare the step as a method: `@step name() { ... }`',
        member.name,
      ),
    );
  }
  return problems;
}
