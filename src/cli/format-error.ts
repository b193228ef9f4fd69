/**
 * How the CLI words an error that stops a command. A stepflow error is formatted from its fields: its
 * `display` (one line, a report of its own, or a fault with a stack), its `hint` and the stepflow errors in
 * its `cause` chain, each only when the message does not say it already. No error name is matched:
 * `instanceof StepflowError` also holds for errors made by the copy of stepflow inside a flow's bundle.
 *
 * @module
 */
import { StepflowError } from '../common/index.js';
import { UsageError } from '../runtime/index.js';

/** How deep the cause chain is followed (a cycle or a long chain stops there). */
const MAX_CAUSES = 5;

/**
 * One clear message for an error: stepflow's own errors without a stack (unless their `display` says a
 * stack helps), anything else with it.
 *
 * @example
 * ```ts
 * process.stderr.write(`${formatCliError(err)}\n`);
 * // stepflow: error: --max-workers must be a positive integer (got "x")
 * ```
 */
export function formatCliError(err: unknown): string {
  if (err instanceof StepflowError) {
    if (err.display === 'report') return appendHint(err.message, err.hint, '\n') + causeLines(err);
    if (err.display === 'message') {
      return `stepflow: error: ${appendHint(err.message, err.hint, ' ')}${causeLines(err)}`;
    }
  }
  if (err instanceof Error) return `stepflow: unexpected error: ${err.stack ?? err.message}`;
  return `stepflow: error: ${String(err)}`;
}

/**
 * The exit code of a command stopped by `err`: 2 for bad usage (a {@link UsageError}, from any copy of
 * stepflow), 1 for anything else.
 *
 * @example
 * ```ts
 * process.stderr.write(`${formatCliError(err)}\n`);
 * return cliExitCode(err);
 * ```
 */
export function cliExitCode(err: unknown): number {
  return err instanceof UsageError ? 2 : 1;
}

function appendHint(text: string, hint: string | undefined, separator: string): string {
  return hint && !text.includes(hint) ? `${text}${separator}${hint}` : text;
}

/** One `caused by:` line per stepflow error in the cause chain whose message is not already shown. */
function causeLines(err: StepflowError): string {
  let shown = `${err.message} ${err.hint ?? ''}`;
  let out = '';
  let cause: unknown = err.cause;
  for (let depth = 0; depth < MAX_CAUSES && cause instanceof StepflowError; depth++) {
    if (!shown.includes(cause.message)) {
      const line = appendHint(cause.message, cause.hint, ' ');
      out += `\n  caused by: ${line}`;
      shown += ` ${line}`;
    }
    cause = cause.cause;
  }
  return out;
}
