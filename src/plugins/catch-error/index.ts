/**
 * `@catchError` (Metaflow's `@catch`; `catch` is a reserved word): when a step still fails on its last
 * attempt, store the exception in an artifact and let the flow continue to the step's next steps.
 *
 * @module
 */

import type { TaskErrorInfo } from '../../datastore/types.js';
import type {
  StepDecoratorPlugin,
  StepInitContext,
  StepReplacement,
  TaskExceptionContext,
  TaskHookContext,
} from '../../decorators/contract.js';
import { DecoratorError, DecoratorOptionError } from '../../decorators/errors.js';
import { defineStepDecorator } from '../../decorators/registry.js';
import { errorInfo } from '../../task/run-task.js';
import {
  CATCH_ERROR_OPTION_NAMES,
  type CatchErrorOptions,
  type ParsedCatchErrorOptions,
  parseCatchErrorOptions,
} from './options.js';

export type { CatchErrorOptions, ParsedCatchErrorOptions } from './options.js';

/** What `@catchError` stores in its `var` artifact. */
export interface CaughtError {
  /** The exception's class name (`TypeError`, `TimeoutError`, ...). */
  readonly type: string;
  readonly message: string;
  /** The stack, mapped to the `.ts` sources, when there is one. */
  readonly stack?: string;
}

/** Flow instances whose body was replaced by the fallback (their `var` must not be reset to null). */
const fallbackRan = new WeakSet<object>();

function caught(info: TaskErrorInfo): CaughtError {
  return info.stack === undefined
    ? { type: info.type, message: info.message }
    : { type: info.type, message: info.message, stack: info.stack };
}

function describe(error: CaughtError): string {
  return error.stack?.includes(error.message)
    ? error.stack
    : `${error.type}: ${error.message}\n${error.stack ?? ''}`;
}

function keep(ctx: TaskHookContext<ParsedCatchErrorOptions>, error: CaughtError, headline: string): void {
  const name = ctx.options.var;
  if (name !== undefined) ctx.setArtifact(name, error);
  if (!ctx.options.printException) return;
  const stored = name === undefined ? '' : ` It is stored in artifact "${name}".`;
  process.stderr.write(
    `@catchError caught ${headline}; the flow continues.${stored}\n${describe(error).trimEnd()}\n`,
  );
}

function where(ctx: TaskHookContext<unknown>): string {
  return `${ctx.flowName}.${ctx.stepName}`;
}

/** True on attempts after the last one of user code (the attempts reserved for the fallback). */
function isReservedAttempt(ctx: TaskHookContext<unknown>): boolean {
  return ctx.errorRetries > 0 && ctx.retryCount >= ctx.maxAttempts - ctx.errorRetries;
}

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
  stepInit: checkStep,
  retryCount: () => ({ user: 0, error: 1 }),
  taskDecorate(ctx): StepReplacement | undefined {
    if (!isReservedAttempt(ctx)) return undefined;
    return {
      run() {
        fallbackRan.add(ctx.flow);
        const previous = ctx.previousAttempt;
        const error: CaughtError = previous?.error
          ? caught(previous.error)
          : {
              type: 'AttemptKilledError',
              message:
                `attempt ${ctx.retryCount - 1} of ${ctx.flowName}/${ctx.runId}/${ctx.stepName}/${ctx.taskId} ` +
                'ended without recording an error (it was stopped, or its process died)',
            };
        const how = previous?.killed ? 'was stopped' : 'failed';
        keep(ctx, error, `step ${where(ctx)}: its attempt ${ctx.retryCount - 1} ${how}`);
      },
    };
  },
  taskException(ctx: TaskExceptionContext<ParsedCatchErrorOptions>): boolean {
    if (ctx.retryCount < ctx.maxAttempts - 1 - ctx.errorRetries) return false;
    keep(ctx, caught(errorInfo(ctx.error)), `an exception in step ${where(ctx)} (attempt ${ctx.retryCount})`);
    return true;
  },
  taskPostStep(ctx) {
    if (ctx.options.var !== undefined && !fallbackRan.has(ctx.flow)) ctx.setArtifact(ctx.options.var, null);
  },
};

/**
 * Catches a step's failure once its retries are used up: the exception is stored in the artifact `var`
 * (as `{ type, message, stack }`; `null` when the step succeeded), printed unless `printException` is
 * false, and the flow continues to the step's next steps. Artifacts set before the throw are kept. A
 * timed-out last attempt is caught too. Not allowed on a step that starts a foreach.
 *
 * @example
 * ```ts
 * class FragileFlow extends FlowSpec {
 *   declare failure: CaughtError | null;
 *   @catchError({ var: 'failure' })
 *   @step fetch() { ... this.next(this.end); }
 *   @step end() { if (this.failure) console.log('fetch failed:', this.failure.message); }
 * }
 * ```
 */
export const catchError = defineStepDecorator<CatchErrorOptions>(
  catchErrorPlugin as StepDecoratorPlugin<unknown>,
);
