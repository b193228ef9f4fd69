/**
 * Errors of the flow model: misuse of decorators, reserved names, bad transitions.
 *
 * @module
 */

import { brandErrorClass, type ErrorDisplay, StepflowError } from '../common/index.js';

/**
 * Base class of every error raised by the flow model.
 *
 * @example
 * ```ts
 * try { this.next(); } catch (e) { if (e instanceof FlowError) console.error(e.message); }
 * ```
 */
export class FlowError extends StepflowError {
  static {
    brandErrorClass(FlowError, 'FlowError');
  }

  override readonly name: string = 'FlowError';
  /** The flow (class) name, when known. */
  readonly flow?: string;
  /** The step, when known. */
  readonly step?: string;
  constructor(message: string, options: { flow?: string; step?: string; cause?: unknown } = {}) {
    super(message, { cause: options.cause });
    this.flow = options.flow;
    this.step = options.step;
  }
}

/**
 * A decorator was used where it cannot work (on a field instead of a method, legacy decorators, ...).
 *
 * @example
 * ```ts
 * throw new DecoratorUsageError('@step can only decorate a method', { decorator: 'step' });
 * ```
 */
export class DecoratorUsageError extends FlowError {
  static {
    brandErrorClass(DecoratorUsageError, 'DecoratorUsageError');
  }

  override readonly name = 'DecoratorUsageError';
  readonly decorator: string;
  constructor(message: string, options: { decorator: string; flow?: string; step?: string }) {
    super(message, options);
    this.decorator = options.decorator;
  }
}

/**
 * A step assigned a name the framework reserves (`input`, `index`, `next`, ...), or a parameter.
 *
 * @example
 * ```ts
 * this.input = 3; // throws ReservedNameError: "input" is reserved ...
 * ```
 */
export class ReservedNameError extends FlowError {
  static {
    brandErrorClass(ReservedNameError, 'ReservedNameError');
  }

  /** Printed by the CLI with its stack trace. */
  override get display(): ErrorDisplay {
    return 'stack';
  }

  override readonly name = 'ReservedNameError';
  readonly artifact: string;
  constructor(message: string, options: { artifact: string; flow?: string; step?: string }) {
    super(message, options);
    this.artifact = options.artifact;
  }
}

/**
 * `this.next(...)` was called wrongly: twice, with a target that is not a step, or differently from the
 * static graph.
 *
 * @example
 * ```ts
 * this.next(this.a); this.next(this.b); // throws TransitionError
 * ```
 */
export class TransitionError extends FlowError {
  static {
    brandErrorClass(TransitionError, 'TransitionError');
  }

  /** Printed by the CLI with its stack trace. */
  override get display(): ErrorDisplay {
    return 'stack';
  }

  override readonly name = 'TransitionError';
}

/**
 * `mergeArtifacts` found artifacts whose values differ between the inputs of a join.
 *
 * @example
 * ```ts
 * this.mergeArtifacts(inputs, { exclude: ['score'] }); // exclude what legitimately differs
 * ```
 */
export class MergeConflictError extends FlowError {
  static {
    brandErrorClass(MergeConflictError, 'MergeConflictError');
  }

  /** Printed by the CLI with its stack trace. */
  override get display(): ErrorDisplay {
    return 'stack';
  }

  override readonly name = 'MergeConflictError';
  readonly artifacts: readonly string[];
  constructor(message: string, options: { artifacts: readonly string[]; flow?: string; step?: string }) {
    super(message, options);
    this.artifacts = options.artifacts;
  }
}
