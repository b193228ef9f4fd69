/**
 * Errors of the shared AWS plumbing. Each sets `name`, carries structured fields and accepts a `cause`;
 * the layers that use the plumbing (datastore, data tool, `@batch`) wrap them in their own errors.
 *
 * @module
 */

import { brandErrorClass, type ErrorDisplay, StepflowError } from '../common/index.js';

/**
 * Base class of the errors of `src/aws/`.
 *
 * @example
 * ```ts
 * if (err instanceof AwsError) console.error(err.message);
 * ```
 */
export class AwsError extends StepflowError {
  static {
    brandErrorClass(AwsError, 'AwsError');
  }

  /** Printed by the CLI with its stack trace. */
  override get display(): ErrorDisplay {
    return 'stack';
  }

  override readonly name: string = 'AwsError';
}

/**
 * An AWS SDK package cannot be loaded from anywhere stepflow looks.
 *
 * @example
 * ```ts
 * throw new AwsSdkMissingError('@aws-sdk/client-batch', ['from /app: Cannot find module']);
 * ```
 */
export class AwsSdkMissingError extends AwsError {
  static {
    brandErrorClass(AwsSdkMissingError, 'AwsSdkMissingError');
  }

  override readonly name: string = 'AwsSdkMissingError';
  /** The package specifier (`@aws-sdk/client-s3`). */
  readonly packageName: string;
  /** Where it was looked for, and why each place failed. */
  readonly failures: readonly string[];

  constructor(packageName: string, failures: readonly string[], options?: { readonly cause?: unknown }) {
    const hint = `Install it beside the flow (npm install ${packageName}).`;
    super(`The package ${packageName} cannot be loaded (${failures.join('; ')}). ${hint}`, {
      ...options,
      hint,
    });
    this.packageName = packageName;
    this.failures = failures;
  }
}
