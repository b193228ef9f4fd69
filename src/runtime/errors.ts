/**
 * Errors of the runtime layer.
 *
 * @module
 */

import { brandErrorClass, StepflowError } from '../common/index.js';

/**
 * Base class of runtime errors; carries the flow and run when known.
 *
 * @example
 * ```ts
 * throw new RuntimeError('no run to resume', { flow: 'MyFlow' });
 * ```
 */
export class RuntimeError extends StepflowError {
  static {
    brandErrorClass(RuntimeError, 'RuntimeError');
  }

  override readonly name: string = 'RuntimeError';
  readonly flow?: string;
  readonly runId?: string;
  constructor(message: string, options: { flow?: string; runId?: string; cause?: unknown } = {}) {
    super(message, { cause: options.cause });
    this.flow = options.flow;
    this.runId = options.runId;
  }
}

/**
 * Bad input found before a run starts (unknown option, parameter of the wrong type, ...).
 *
 * @example
 * ```ts
 * throw new UsageError('--max-workers must be a positive integer (got "x")', { option: 'max-workers' });
 * ```
 */
export class UsageError extends RuntimeError {
  static {
    brandErrorClass(UsageError, 'UsageError');
  }

  override readonly name = 'UsageError';
  readonly option?: string;
  constructor(message: string, options: { option?: string; flow?: string; cause?: unknown } = {}) {
    super(message, options);
    this.option = options.option;
  }
}
