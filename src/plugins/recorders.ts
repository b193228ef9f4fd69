/**
 * The decorators users write (`@retry({ times: 2 })`, ...), each defined here once: they only record their
 * options on the class. Parsing, validation and hooks live in each plugin (`plugins/<name>/index.ts`, which
 * registers the plugin and re-exports its decorator from here), which the CLI imports; so a flow's code
 * package does not carry them into every task process.
 *
 * @module
 */
import { stepDecorator } from '../decorators/index.js';
import type { BatchOptions } from './batch/spec/options.js';
import type { CatchErrorOptions } from './catch-error/options.js';
import type { EnvironmentOptions } from './environment/index.js';
import type { ResourcesOptions } from './resources/index.js';
import type { RetryOptions } from './retry/index.js';
import type { TimeoutOptions } from './timeout/index.js';

/**
 * Retries a failed step: each retry is a new attempt in a new process, with its own records and logs.
 * Attempts are capped at 6 per task (counting `@catchError`'s fallback attempt).
 *
 * @example
 * ```ts
 * class TrainFlow extends FlowSpec {
 *   @retry({ times: 2, minutesBetweenRetries: 0.5 })
 *   @step train() { ... this.next(this.end); }
 * }
 * ```
 */
export const retry = stepDecorator<RetryOptions>('retry');

/**
 * Limits how long each attempt of a step may run: the sum of `seconds`, `minutes` and `hours`. An attempt
 * over the limit is stopped (with everything it started) and fails as timed out; `@retry` retries it and
 * `@catchError` can catch it.
 *
 * @example
 * ```ts
 * class EtlFlow extends FlowSpec {
 *   @timeout({ minutes: 10 })
 *   @step load() { ... this.next(this.end); }
 * }
 * ```
 */
export const timeout = stepDecorator<TimeoutOptions>('timeout');

/**
 * Catches a step's failure once its retries are used up: the exception is stored in the artifact `var`
 * (as `{ type, message, stack }`; `null` when the step succeeded), printed unless `printException` is
 * false, and the flow continues to the step's next steps. Artifacts set before the throw are kept. A
 * timed-out last attempt is caught too. Not allowed on a step that starts a foreach.
 *
 * @example
 * ```ts
 * class FragileFlow extends FlowSpec {
 *   declare failure: CaughtError | null;
 *   @catchError({ var: 'failure' })
 *   @step fetch() { ... this.next(this.end); }
 *   @step end() { if (this.failure) console.log('fetch failed:', this.failure.message); }
 * }
 * ```
 */
export const catchError = stepDecorator<CatchErrorOptions>('catchError');

/**
 * Declares what a step needs. It has no effect on a local run; compute layers (`@batch`) size the task
 * from it, taking the larger of their own value and this one.
 *
 * @example
 * ```ts
 * class TrainFlow extends FlowSpec {
 *   @resources({ cpu: 4, memory: 16_384, gpu: 1 })
 *   @step train() { ... this.next(this.end); }
 * }
 * ```
 */
export const resources = stepDecorator<ResourcesOptions>('resources');

/**
 * Sets environment variables for the step's task processes (`process.env.NAME` inside the step). Values
 * are strings; numbers and booleans are turned into strings, anything else is an error naming the
 * variable.
 *
 * @example
 * ```ts
 * class HelloFlow extends FlowSpec {
 *   @environment({ vars: { GREETING: 'hi', RETRIES: 3 } })
 *   @step start() { console.log(process.env.GREETING); this.next(this.end); }
 * }
 * ```
 */
export const environment = stepDecorator<EnvironmentOptions>('environment');

/**
 * Runs a step on AWS Batch (every option of Metaflow's `@batch`, in camelCase). With `@resources` on the
 * same step, the larger cpu/gpu/memory/sharedMemory wins. `--with batch` applies it to every step.
 *
 * @example
 * ```ts
 * class TrainFlow extends FlowSpec {
 *   @batch({ cpu: 2, memory: 8192, useTmpfs: true, awsBatchTags: { team: 'ml' } })
 *   @step train() { ... this.next(this.end); }
 * }
 * ```
 */
export const batch = stepDecorator<BatchOptions>('batch');
