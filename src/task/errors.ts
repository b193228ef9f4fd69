/**
 * Errors raised while running one task attempt.
 *
 * @module
 */

import { brandErrorClass, type ErrorDisplay, StepflowError } from '../common/index.js';

/**
 * Base class of task errors; carries the task's pathspec.
 *
 * @example
 * ```ts
 * throw new TaskError('cannot find flow class MyFlow in the code package', { pathspec: 'MyFlow/1/start/1' });
 * ```
 */
export class TaskError extends StepflowError {
  static {
    brandErrorClass(TaskError, 'TaskError');
  }

  /** Printed by the CLI with its stack trace. */
  override get display(): ErrorDisplay {
    return 'stack';
  }

  override readonly name: string = 'TaskError';
  readonly pathspec?: string;
  constructor(message: string, options: { pathspec?: string; cause?: unknown } = {}) {
    super(message, { cause: options.cause });
    this.pathspec = options.pathspec;
  }
}

/**
 * The task was started with a malformed command line (a launcher bug or a hand-written command).
 *
 * @example
 * ```ts
 * throw new TaskSpecError('missing task spec: expected `step <json>`');
 * ```
 */
export class TaskSpecError extends TaskError {
  static {
    brandErrorClass(TaskSpecError, 'TaskSpecError');
  }

  override readonly name = 'TaskSpecError';
}

/**
 * A foreach produced more splits than `--max-num-splits` allows, or iterated over a non-list.
 *
 * @example
 * ```ts
 * throw new ForeachError('foreach over "items" ...', { pathspec, field: 'items' });
 * ```
 */
export class ForeachError extends TaskError {
  static {
    brandErrorClass(ForeachError, 'ForeachError');
  }

  override readonly name = 'ForeachError';
  readonly field: string;
  constructor(message: string, options: { pathspec?: string; field: string }) {
    super(message, options);
    this.field = options.field;
  }
}
