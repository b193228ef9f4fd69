/**
 * The decorators users write (`@retry({ times: 2 })`, ...): they only record their options on the class.
 * Parsing, validation and hooks live in each plugin (`plugins/<name>/index.ts`), which the CLI registers;
 * so a flow's code package does not carry them into every task process.
 *
 * @module
 */
import { recordStepDecorator } from '../flow/decorate.js';
import type { BatchOptions } from './batch/spec/options.js';
import type { CatchErrorOptions } from './catch-error/options.js';
import type { EnvironmentOptions } from './environment/index.js';
import type { ResourcesOptions } from './resources/index.js';
import type { RetryOptions } from './retry/index.js';
import type { TimeoutOptions } from './timeout/index.js';

type MethodDecorator = <M extends (this: unknown, ...args: never[]) => unknown>(
  method: M,
  context: ClassMethodDecoratorContext,
) => M;

function recorder<Options extends object>(name: string): (options?: Options) => MethodDecorator {
  return (options?: Options) => {
    if (typeof options === 'function') {
      throw new TypeError(`@${name} must be called: write @${name}() or @${name}({ ... }).`);
    }
    const recorded = { ...(options ?? {}) } as Record<string, unknown>;
    return (method, context) => {
      recordStepDecorator(name, recorded, context);
      return method;
    };
  };
}

/**
 * Retries a failed step: `times` more attempts (default 3), `minutesBetweenRetries` apart (default 2).
 *
 * @example
 * ```ts
 * @retry({ times: 2, minutesBetweenRetries: 0 }) @step fetch() { ... }
 * ```
 */
export const retry = recorder<RetryOptions>('retry');

/**
 * Stops an attempt that runs longer than `seconds + minutes + hours`; it fails as timed out (and may be retried).
 *
 * @example
 * ```ts
 * @timeout({ minutes: 5 }) @step train() { ... }
 * ```
 */
export const timeout = recorder<TimeoutOptions>('timeout');

/**
 * After the retries are used up, stores the exception in artifact `var` and lets the flow continue.
 *
 * @example
 * ```ts
 * @catchError({ var: 'failure' }) @step fetch() { ... }
 * ```
 */
export const catchError = recorder<CatchErrorOptions>('catchError');

/**
 * Declares what a step needs (cpu, memory in MiB, gpu, sharedMemory); compute layers read it.
 *
 * @example
 * ```ts
 * @resources({ cpu: 4, memory: 16384 }) @step train() { ... }
 * ```
 */
export const resources = recorder<ResourcesOptions>('resources');

/**
 * Environment variables for the step's task process.
 *
 * @example
 * ```ts
 * @environment({ vars: { LOG_LEVEL: 'debug' } }) @step start() { ... }
 * ```
 */
export const environment = recorder<EnvironmentOptions>('environment');

/**
 * Runs the step on AWS Batch (see the `@batch` options: cpu, memory, image, queue, useTmpfs, ...).
 *
 * @example
 * ```ts
 * @batch({ cpu: 2, memory: 8192, useTmpfs: true }) @step train() { ... }
 * ```
 */
export const batch = recorder<BatchOptions>('batch');
