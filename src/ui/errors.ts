/**
 * The UI layer's errors: each has a name, structured fields and a `cause`.
 *
 * @module
 */
import { brandErrorClass, StepflowError, type StepflowErrorOptions } from '../common/errors.js';

/**
 * Base class of the errors `stepflow ui` throws (bad options, a port in use, a missing page bundle).
 *
 * @example
 * ```ts
 * throw new UiError('--port must be a number from 0 to 65535, not "x".');
 * ```
 */
export class UiError extends StepflowError {
  static {
    brandErrorClass(UiError, 'UiError');
  }

  override readonly name: string = 'UiError';

  constructor(message: string, options?: StepflowErrorOptions) {
    super(message, options);
  }
}

/**
 * The server could not listen on the address asked for.
 *
 * @example
 * ```ts
 * throw new UiListenError({ host: '127.0.0.1', port: 8080, cause: err });
 * ```
 */
export class UiListenError extends UiError {
  static {
    brandErrorClass(UiListenError, 'UiListenError');
  }

  override readonly name: string = 'UiListenError';
  readonly host: string;
  readonly port: number;

  constructor(fields: { host: string; port: number; cause?: unknown }) {
    const why = fields.cause instanceof Error ? fields.cause.message : String(fields.cause);
    super(
      `stepflow ui could not listen on ${fields.host}:${fields.port} (${why}). ` +
        'Pick another --port, or leave it out to use a free one.',
      { cause: fields.cause },
    );
    this.host = fields.host;
    this.port = fields.port;
  }
}
