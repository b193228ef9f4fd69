/**
 * Errors of the decorator layer.
 *
 * @module
 */

import { brandErrorClass, StepflowError } from '../common/index.js';

/**
 * Base class of decorator errors.
 *
 * @example
 * ```ts
 * if (err instanceof DecoratorError) console.error(err.message);
 * ```
 */
export class DecoratorError extends StepflowError {
  static {
    brandErrorClass(DecoratorError, 'DecoratorError');
  }

  override readonly name: string = 'DecoratorError';
  readonly decorator: string;
  readonly flow?: string;
  readonly step?: string;
  constructor(
    message: string,
    options: { decorator: string; flow?: string; step?: string; cause?: unknown },
  ) {
    super(message, { cause: options.cause });
    this.decorator = options.decorator;
    this.flow = options.flow;
    this.step = options.step;
  }
}

/**
 * A decorator option is unknown or has a bad value.
 *
 * @example
 * ```ts
 * throw new DecoratorOptionError('@retry on MyFlow.train: option "times" must be 0–5 (got 9).', {
 *   decorator: 'retry', option: 'times', value: 9, flow: 'MyFlow', step: 'train' });
 * ```
 */
export class DecoratorOptionError extends DecoratorError {
  static {
    brandErrorClass(DecoratorOptionError, 'DecoratorOptionError');
  }

  override readonly name = 'DecoratorOptionError';
  readonly option?: string;
  readonly value?: unknown;
  constructor(
    message: string,
    options: { decorator: string; option?: string; value?: unknown; flow?: string; step?: string },
  ) {
    super(message, options);
    this.option = options.option;
    this.value = options.value;
  }
}

/**
 * A decorator name nobody registered (in source or in `--with`).
 *
 * @example
 * ```ts
 * throw new UnknownDecoratorError('unknown decorator "retyr"', { decorator: 'retyr', known: ['retry'] });
 * ```
 */
export class UnknownDecoratorError extends DecoratorError {
  static {
    brandErrorClass(UnknownDecoratorError, 'UnknownDecoratorError');
  }

  override readonly name = 'UnknownDecoratorError';
  readonly known: readonly string[];
  constructor(
    message: string,
    options: { decorator: string; known: readonly string[]; flow?: string; step?: string },
  ) {
    super(message, options);
    this.known = options.known;
  }
}
