/**
 * The decorator checks of `stepflow check`: every decorator written on a step (and every `--with`
 * decorator) is validated by its plugin as `run` validates it (options, `stepInit`, the attempt cap), and
 * each refusal becomes a graph problem at the decorator's line, with the message `run` prints. What only
 * a run can check is said by the plugins themselves ({@link StepDecoratorPlugin.checkedOnlyAtRun}).
 *
 * @module
 */

import { closestName } from '../common/did-you-mean.js';
import { detailsOf } from '../graph/details.js';
import type { FlowGraph, GraphProblem } from '../graph/index.js';
import { checkAttemptCap } from './attempt-cap.js';
import type { ResolvedDecorator, StepDecoratorPlugin } from './contract.js';
import { DecoratorError, DecoratorOptionError, UnknownDecoratorError } from './errors.js';
import { getStepDecorator, knownStepDecorators } from './registry.js';
import { type DecoratorUseOnStep, initStep, resolveUse, unknownDecorator, type WithSpec } from './resolve.js';

/**
 * The rule ids {@link checkDecorators} reports, with what each means.
 *
 * @example
 * ```ts
 * Object.keys(DECORATOR_RULES).includes('decorator-option'); // true
 * ```
 */
export const DECORATOR_RULES: Readonly<Record<string, string>> = {
  'unknown-decorator': 'a decorator stepflow does not have (imported from stepflow, or in --with)',
  'decorator-option': 'a decorator option is unknown or has a bad value',
  'decorator-conflict': "a step's decorators, or the settings they use, do not go together",
  'too-many-attempts': "a step's decorators ask for more than 6 attempts per task",
};

/** What {@link checkDecorators} found. */
export interface DecoratorCheck {
  readonly problems: GraphProblem[];
  /** What was not checked, one line each (`@batch: the job queue exists (needs AWS)`). */
  readonly notChecked: string[];
}

function ruleOf(error: DecoratorError): string {
  if (error instanceof UnknownDecoratorError) return 'unknown-decorator';
  if (error instanceof DecoratorOptionError) return 'decorator-option';
  return 'decorator-conflict';
}

function hintOf(error: DecoratorError, plugin: StepDecoratorPlugin<unknown> | undefined): string {
  if (error instanceof UnknownDecoratorError) {
    const guess = closestName(error.decorator, knownStepDecorators());
    return guess !== undefined ? `did you mean ${guess}?` : 'use one of the known decorators, or remove it';
  }
  const option = (error as DecoratorError & { option?: string }).option;
  if (plugin !== undefined && option !== undefined && !plugin.optionNames.includes(option)) {
    const guess = closestName(option, plugin.optionNames);
    return guess !== undefined
      ? `did you mean ${guess}?`
      : `the options of @${plugin.name}: ${plugin.optionNames.join(', ')}`;
  }
  return error instanceof DecoratorOptionError
    ? `change @${error.decorator}'s options: \`stepflow run\` refuses the flow with the same message`
    : '`stepflow run` refuses the flow with the same message: change what it names';
}

/**
 * Validates the decorators of every step as `run` does, without running anything: one problem per
 * refused decorator (and per step for what involves several), at the line of the decorator.
 * Non-literal options cannot be known here and are left out (said in `notChecked`).
 *
 * @example
 * ```ts
 * const { problems, notChecked } = checkDecorators(graph, [parseWithSpec('batch:memory=0')]);
 * // problems[0].message: '@batch on step F.start: option "memory" must be ... (got 0).'
 * ```
 */
export function checkDecorators(graph: FlowGraph, withSpecs: readonly WithSpec[]): DecoratorCheck {
  const flowName = graph.flowName;
  const problems: GraphProblem[] = [];
  const used = new Set<string>();
  const dynamic: string[] = [];
  const cliRefused = new Set<string>();
  const fromFramework = new Set(detailsOf(graph)?.frameworkImports ?? []);
  const problem = (error: DecoratorError, line: number, step?: string, rule?: string): void => {
    problems.push({
      rule: rule ?? ruleOf(error),
      message: error.message,
      hint: hintOf(error, getStepDecorator(error.decorator)),
      file: graph.file,
      line,
      ...(step !== undefined ? { step } : {}),
    });
  };
  const known = withSpecs.filter((spec) => {
    if (getStepDecorator(spec.name)) return true;
    problem(unknownDecorator(spec.name, 'in --with', flowName), graph.line);
    return false;
  });
  for (const stepName of graph.order) {
    const step = graph.steps[stepName]!;
    // A user's own decorators are not recorded at run time either; one imported from stepflow that
    // stepflow does not have (`@parallel`) makes the code package build fail.
    const own = step.decorators.filter((d) => {
      if (getStepDecorator(d.name) !== undefined) return true;
      if (fromFramework.has(d.name)) {
        problem(
          unknownDecorator(d.name, `on step ${flowName}.${stepName}`, flowName, stepName),
          d.line,
          stepName,
        );
      }
      return false;
    });
    for (const d of own) {
      if (d.dynamic !== undefined) dynamic.push(`@${d.name} on ${stepName} (line ${d.line})`);
    }
    const uses: (DecoratorUseOnStep & { line: number })[] = [
      ...own.map((d) => ({
        name: d.name,
        options: d.options,
        source: 'static' as const,
        line: d.line,
      })),
      ...known
        .filter((spec) => !own.some((d) => d.name === spec.name))
        .map((spec) => ({ ...spec, source: 'cli' as const, line: step.line })),
    ];
    const resolved: ResolvedDecorator[] = [];
    let refused = false;
    for (const use of uses) {
      try {
        resolved.push(resolveUse(use, resolved, { flowName, stepName }));
        used.add(use.name);
      } catch (error) {
        if (!(error instanceof DecoratorError)) throw error;
        refused = true;
        // A bad --with option is the same on every step: said once, for the first step.
        if (use.source === 'cli' && cliRefused.has(use.name)) continue;
        if (use.source === 'cli') cliRefused.add(use.name);
        problem(error, use.line, stepName);
      }
    }
    if (refused) continue;
    const lineOf = (error: DecoratorError): number =>
      uses.find((u) => u.name === error.decorator)?.line ?? step.line;
    try {
      initStep(graph, stepName, resolved);
    } catch (error) {
      if (!(error instanceof DecoratorError)) throw error;
      problem(error, lineOf(error), stepName);
      continue;
    }
    try {
      checkAttemptCap(flowName, new Map([[stepName, resolved]]));
    } catch (error) {
      if (!(error instanceof DecoratorError)) throw error;
      problem(error, lineOf(error), stepName, 'too-many-attempts');
    }
  }
  const notChecked = [...used]
    .sort()
    .flatMap((name) => (getStepDecorator(name)?.checkedOnlyAtRun ?? []).map((what) => `@${name}: ${what}`));
  if (dynamic.length > 0) notChecked.push(`options computed at run time: ${dynamic.join(', ')}`);
  return { problems: problems.sort((a, b) => a.line - b.line), notChecked };
}

/**
 * The problems every registered plugin's static graph rules (`checkGraph`) find in a flow, sorted by line:
 * `stepflow check` reports them with the graph's problems and `run` refuses the flow with them.
 *
 * @example
 * ```ts
 * const { graph, problems } = await checkFlowFile('flow.ts');
 * const all = graph ? [...problems, ...checkPluginGraphs(graph)] : problems;
 * ```
 */
export function checkPluginGraphs(graph: FlowGraph): GraphProblem[] {
  return knownStepDecorators()
    .flatMap((name) => [...(getStepDecorator(name)?.checkGraph?.({ graph }) ?? [])])
    .sort((a, b) => a.line - b.line);
}

/**
 * The rules the registered plugins' `checkGraph` hooks report, by id, with what each refuses.
 *
 * @example
 * ```ts
 * Object.keys(pluginGraphRules()); // ['catch-on-foreach']
 * ```
 */
export function pluginGraphRules(): Record<string, string> {
  return Object.assign({}, ...knownStepDecorators().map((name) => getStepDecorator(name)?.graphRules ?? {}));
}
