/**
 * The root of every stepflow error: {@link StepflowError}. Each layer's `errors.ts` derives its classes from
 * it, so any error stepflow raises has a `name`, structured fields, an optional `hint` (what to do) and a
 * `cause`, and the CLI formats it from those fields rather than from its name.
 *
 * `instanceof` works across two copies of stepflow (the CLI's, and the one a flow's esbuild bundle carries):
 * every class is branded with `Symbol.for('stepflow.error.<Name>')` on its prototype, and a static
 * `Symbol.hasInstance` checks that brand (the approach of Temporal's TypeScript SDK,
 * `SymbolBasedInstanceOfError`). This module imports nothing, so every layer may import it.
 *
 * @module
 */

export { errorMessage } from './error-message.js';

/** The static property of a branded class that holds its brand. */
const CLASS_BRAND: unique symbol = Symbol.for('stepflow.error.brand');

/**
 * How the CLI shows an error that stops a command:
 * - `message`: one line, `stepflow: error: <message>` (the message says what happened and what to do);
 * - `report`: the message is a report of its own (one problem a line, as `stepflow check` prints them),
 *   printed as it is, then the hint on its own line;
 * - `stack`: a fault a stack trace helps with, printed with it as an unexpected error.
 *
 * @example
 * ```ts
 * const display: ErrorDisplay = err instanceof StepflowError ? err.display : 'stack';
 * ```
 */
export type ErrorDisplay = 'message' | 'report' | 'stack';

/**
 * Where an error happened, read from its structured fields (each only when the error carries it).
 *
 * @example
 * ```ts
 * const where: ErrorWhere = { flow: 'MyFlow', step: 'train', option: 'memory' };
 * ```
 */
export interface ErrorWhere {
  /** The flow (class) name. */
  readonly flow?: string;
  /** The step. */
  readonly step?: string;
  /** The decorator, CLI or setting option. */
  readonly option?: string;
  /** The run id. */
  readonly runId?: string;
}

/**
 * Options every {@link StepflowError} accepts.
 *
 * @example
 * ```ts
 * const options: StepflowErrorOptions = { hint: 'Set METAFLOW_BATCH_JOB_QUEUE.', cause: err };
 * ```
 */
export interface StepflowErrorOptions {
  /** What to do about it, when the message does not say it already. */
  readonly hint?: string;
  /** The error underneath. */
  readonly cause?: unknown;
}

/**
 * The symbol that brands the class named `name` (and its subclasses) across copies of stepflow.
 *
 * @example
 * ```ts
 * errorBrand('DatastoreError') === Symbol.for('stepflow.error.DatastoreError'); // true
 * ```
 */
export function errorBrand(name: string): symbol {
  return Symbol.for(`stepflow.error.${name}`);
}

/**
 * Brands an error class so that `instanceof` recognizes its instances made by another copy of stepflow.
 * Call it once per class, in a static block, with the class's `name`.
 *
 * @example
 * ```ts
 * class QueueError extends StepflowError {
 *   static {
 *     brandErrorClass(QueueError, 'QueueError');
 *   }
 *   override readonly name: string = 'QueueError';
 * }
 * ```
 */
export function brandErrorClass(errorClass: abstract new (...args: never[]) => Error, name: string): void {
  const brand = errorBrand(name);
  Object.defineProperty(errorClass, CLASS_BRAND, { value: brand });
  Object.defineProperty(errorClass.prototype, brand, { value: true });
}

/** `instanceof` for branded error classes: this copy's classes, or another copy's with the same brand. */
function isInstance(this: Function, value: unknown): boolean {
  if (Function.prototype[Symbol.hasInstance].call(this, value)) return true;
  if (typeof value !== 'object' || value === null) return false;
  const brand = Object.hasOwn(this, CLASS_BRAND)
    ? (this as unknown as Record<symbol, symbol>)[CLASS_BRAND]
    : undefined;
  return brand !== undefined && (value as Record<symbol, unknown>)[brand] === true;
}

/**
 * Base class of every error stepflow raises. Subclasses set `name`, carry their own structured readonly
 * fields (`flow`, `step`, `option`, `runId`, ...), and brand themselves with {@link brandErrorClass}.
 *
 * @example
 * ```ts
 * try {
 *   await runFlow('flow.ts');
 * } catch (err) {
 *   // true also for an error made by the copy of stepflow inside a flow's bundle
 *   if (err instanceof StepflowError) console.error(err.message, err.where, err.hint);
 * }
 * ```
 */
export class StepflowError extends Error {
  static {
    brandErrorClass(StepflowError, 'StepflowError');
    // Inherited by every subclass: `this` is the class on the right of `instanceof`.
    Object.defineProperty(StepflowError, Symbol.hasInstance, { value: isInstance });
  }

  override readonly name: string = 'StepflowError';
  /** What to do about it, when it was given apart from the message. */
  declare readonly hint?: string;

  constructor(message: string, options: StepflowErrorOptions = {}) {
    super(message, 'cause' in options ? { cause: options.cause } : undefined);
    if (options.hint !== undefined) this.hint = options.hint;
  }

  /**
   * How the CLI shows this error (see {@link ErrorDisplay}); subclasses override it.
   *
   * @example
   * ```ts
   * new StepflowError('no queue').display; // 'message'
   * ```
   */
  get display(): ErrorDisplay {
    return 'message';
  }

  /**
   * Where it happened, from the fields the error carries (`flow`, `step`, `option`, `runId`).
   *
   * @example
   * ```ts
   * new RuntimeError('no run to resume', { flow: 'MyFlow' }).where; // { flow: 'MyFlow' }
   * ```
   */
  get where(): ErrorWhere {
    const fields = this as { flow?: unknown; step?: unknown; option?: unknown; runId?: unknown };
    const where: { flow?: string; step?: string; option?: string; runId?: string } = {};
    if (typeof fields.flow === 'string') where.flow = fields.flow;
    if (typeof fields.step === 'string') where.step = fields.step;
    if (typeof fields.option === 'string') where.option = fields.option;
    if (typeof fields.runId === 'string') where.runId = fields.runId;
    return where;
  }
}
