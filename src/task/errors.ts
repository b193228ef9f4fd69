/**
 * Errors raised while running one task attempt.
 *
 * @module
 */

/**
 * Base class of task errors; carries the task's pathspec.
 *
 * @example
 * ```ts
 * throw new TaskError('cannot find flow class MyFlow in the code package', { pathspec: 'MyFlow/1/start/1' });
 * ```
 */
export class TaskError extends Error {
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
  override readonly name = 'ForeachError';
  readonly field: string;
  constructor(message: string, options: { pathspec?: string; field: string }) {
    super(message, options);
    this.field = options.field;
  }
}
