/**
 * The in-task hooks of `@catchError`, apart from its option parsing so that task processes load them
 * without the validation code (see `plugins/task-hooks.ts`).
 *
 * @module
 */
import type { TaskErrorInfo } from '../../datastore/index.js';
import type { StepReplacement, TaskExceptionContext, TaskHookContext } from '../../decorators/index.js';
import type { ParsedCatchErrorOptions } from './options.js';

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

export function where(ctx: TaskHookContext<unknown>): string {
  return `${ctx.flowName}.${ctx.stepName}`;
}

/** True on attempts after the last one of user code (the attempts reserved for the fallback). */
function isReservedAttempt(ctx: TaskHookContext<unknown>): boolean {
  return ctx.errorRetries > 0 && ctx.retryCount >= ctx.maxAttempts - ctx.errorRetries;
}

/**
 * `taskDecorate`, `taskException` and `taskPostStep` of `@catchError`.
 *
 * @example
 * ```ts
 * const plugin = { name: 'catchError', ...catchErrorTaskHooks };
 * ```
 */
export const catchErrorTaskHooks = {
  taskDecorate(ctx: TaskHookContext<ParsedCatchErrorOptions>): StepReplacement | undefined {
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
                `attempt ${ctx.retryCount} of task ${ctx.flowName}/${ctx.runId}/${ctx.stepName}/${ctx.taskId} ` +
                'ended without recording an error (it was stopped, or its process died)',
            };
        const how = previous?.killed ? 'was stopped' : 'failed';
        keep(ctx, error, `step ${where(ctx)}: its attempt ${ctx.retryCount} of ${ctx.maxAttempts} ${how}`);
      },
    };
  },
  taskException(ctx: TaskExceptionContext<ParsedCatchErrorOptions>): boolean {
    if (ctx.retryCount < ctx.maxAttempts - 1 - ctx.errorRetries) return false;
    keep(
      ctx,
      caught(ctx.describeError(ctx.error)),
      `an exception in step ${where(ctx)} (attempt ${ctx.retryCount + 1} of ${ctx.maxAttempts})`,
    );
    return true;
  },
  taskPostStep(ctx: TaskHookContext<ParsedCatchErrorOptions>): void {
    if (ctx.options.var !== undefined && !fallbackRan.has(ctx.flow)) ctx.setArtifact(ctx.options.var, null);
  },
};
