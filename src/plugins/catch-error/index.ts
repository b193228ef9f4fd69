import type {
  GraphCheckContext,
  GraphProblem,
  StepDecoratorPlugin,
  StepInitContext,
} from '../../decorators/index.js';
import { DecoratorError, DecoratorOptionError, registerStepDecorator } from '../../decorators/index.js';
import { type CaughtError, catchErrorTaskHooks } from './hooks.js';
import { CATCH_ERROR_OPTION_NAMES, type ParsedCatchErrorOptions, parseCatchErrorOptions } from './options.js';

export type { CatchErrorOptions, ParsedCatchErrorOptions } from './options.js';
export type { CaughtError };

function checkStep(ctx: StepInitContext<ParsedCatchErrorOptions>): void {
  const where = `${ctx.flowName}.${ctx.stepName}`;
  const step = ctx.graph.steps[ctx.stepName];
  if (step?.foreach !== undefined) {
    throw new DecoratorError(
      `@catchError cannot be used on step ${where} because it starts a foreach (over "${step.foreach}"): ` +
        'a step whose split failed has no items to continue with. Move @catchError to the steps inside ' +
        'the foreach, or start the foreach from a separate step.',
      { decorator: 'catchError', flow: ctx.flowName, step: ctx.stepName },
    );
  }
  const name = ctx.options.var;
  if (name === undefined) return;
  const clash = ctx.graph.parameters.some((p) => p.name === name)
    ? 'the parameter'
    : ctx.graph.steps[name] !== undefined
      ? 'the step'
      : undefined;
  if (clash) {
    throw new DecoratorOptionError(
      `@catchError on step ${where}: option "var" names ${clash} "${name}" of ${ctx.flowName}, so the ` +
        'exception cannot be stored there. Choose another artifact name, e.g. "failure".',
      { decorator: 'catchError', option: 'var', value: name, flow: ctx.flowName, step: ctx.stepName },
    );
  }
}

/** The static rule `@catchError` adds to `stepflow check` (and `run`), with what it refuses. */
const GRAPH_RULES = { 'catch-on-foreach': '@catchError on a step that starts a foreach' } as const;

/** `catch-on-foreach`: `@catchError` written on a step that starts a foreach, at the decorator's line. */
function checkGraph({ graph }: GraphCheckContext): GraphProblem[] {
  const problems: GraphProblem[] = [];
  for (const name of graph.order) {
    const step = graph.steps[name];
    const written = step?.decorators.find((d) => d.name === catchErrorPlugin.name);
    if (step?.foreach === undefined || !written) continue;
    problems.push({
      rule: 'catch-on-foreach',
      message: `step ${graph.flowName}.${name} starts a foreach and has @${written.name}, which is refused`,
      hint: `move @${written.name} to the steps inside the foreach, or start the foreach from a separate step`,
      file: graph.file,
      line: written.line,
      step: name,
    });
  }
  return problems;
}

/**
 * The `@catchError` plugin. It reserves one extra attempt; on the last attempt of user code it stores a
 * thrown exception in `var` and reports the task as handled. When that attempt was killed instead (a
 * timeout), the reserved attempt replaces the step's body: it stores the killed attempt's error and the
 * task continues with its inputs' artifacts. When the step succeeds, `var` is `null`.
 *
 * @example
 * ```ts
 * catchErrorPlugin.retryCount?.({ options: { printException: true } }); // { user: 0, error: 1 }
 * ```
 */
export const catchErrorPlugin: StepDecoratorPlugin<ParsedCatchErrorOptions> = {
  name: 'catchError',
  optionNames: CATCH_ERROR_OPTION_NAMES,
  parseOptions: parseCatchErrorOptions,
  graphRules: GRAPH_RULES,
  checkGraph,
  stepInit: checkStep,
  retryCount: () => ({ user: 0, error: 1 }),
  ...catchErrorTaskHooks,
};

registerStepDecorator(catchErrorPlugin);

// The decorator users write is made once, in `plugins/recorders.ts`; importing this module registers catchErrorPlugin.
export { catchError } from '../recorders.js';
