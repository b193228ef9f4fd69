/**
 * Errors of the `@batch` plugin. A bad option value is a `DecoratorOptionError` (made by
 * {@link batchOptionError}, so every message has the same shape); the classes here cover what an option
 * alone cannot explain: a missing setting (no queue, no Fargate execution role) and a request AWS would
 * refuse as a whole (too large, a credential in it).
 *
 * @module
 */

import { brandErrorClass } from '../../common/index.js';
import type { StepWhere } from '../../decorators/index.js';
import { DecoratorError, DecoratorOptionError } from '../../decorators/index.js';
import { formatValue } from '../parse-options.js';

/**
 * The error for a bad `@batch` option value, always shaped as
 * `@batch on step F.s: <what is wrong and what is allowed> (got <value>). <what to do>`.
 *
 * @example
 * ```ts
 * throw batchOptionError(where, 'swappiness', 101, 'option "swappiness" must be a whole number from 0 to 100');
 * // @batch on step MyFlow.train: option "swappiness" must be a whole number from 0 to 100 (got 101).
 * ```
 */
export function batchOptionError(
  where: StepWhere,
  option: string,
  value: unknown,
  text: string,
  hint?: string,
): DecoratorOptionError {
  const message =
    `@batch on step ${where.flowName}.${where.stepName}: ${text} (got ${formatValue(value)}).` +
    (hint ? ` ${hint}` : '');
  return new DecoratorOptionError(message, {
    decorator: 'batch',
    option,
    value,
    flow: where.flowName,
    step: where.stepName,
  });
}

/**
 * A setting `@batch` needs is missing or unusable: no queue (`METAFLOW_BATCH_JOB_QUEUE`), no Fargate
 * execution role (`METAFLOW_ECS_FARGATE_EXECUTION_ROLE`), a runtime limit below AWS's minimum, ...
 *
 * @example
 * ```ts
 * try { requireQueue(resolved); } catch (err) {
 *   if (err instanceof BatchConfigError) console.error(err.setting, err.option); // METAFLOW_BATCH_JOB_QUEUE queue
 * }
 * ```
 */
export class BatchConfigError extends DecoratorError {
  static {
    brandErrorClass(BatchConfigError, 'BatchConfigError');
  }

  override readonly name: string = 'BatchConfigError';
  /** The setting that would fix it, with its prefix (`METAFLOW_BATCH_JOB_QUEUE`). */
  readonly setting: string;
  /** The `@batch` option that would fix it too (`queue`), when there is one. */
  readonly option?: string;
  constructor(
    message: string,
    options: { setting: string; option?: string; flow?: string; step?: string; cause?: unknown },
  ) {
    super(message, { decorator: 'batch', flow: options.flow, step: options.step, cause: options.cause });
    this.setting = options.setting;
    this.option = options.option;
  }
}

/**
 * A request `@batch` built would be refused by AWS as a whole (RegisterJobDefinition over 24 KiB, SubmitJob
 * over 30 KiB) or must not be sent (it carries a local AWS credential, an empty command argument, ...).
 *
 * @example
 * ```ts
 * try { submitJobRequest(input); } catch (err) {
 *   if (err instanceof BatchRequestError) console.error(err.request, err.size, err.limit);
 * }
 * ```
 */
export class BatchRequestError extends DecoratorError {
  static {
    brandErrorClass(BatchRequestError, 'BatchRequestError');
  }

  override readonly name: string = 'BatchRequestError';
  /** Which request: `RegisterJobDefinition` or `SubmitJob`. */
  readonly request: 'RegisterJobDefinition' | 'SubmitJob';
  /** Its size in bytes (as JSON), when the problem is its size. */
  readonly size?: number;
  /** AWS's limit in bytes, when the problem is the size. */
  readonly limit?: number;
  constructor(
    message: string,
    options: {
      request: 'RegisterJobDefinition' | 'SubmitJob';
      size?: number;
      limit?: number;
      flow?: string;
      step?: string;
      cause?: unknown;
    },
  ) {
    super(message, { decorator: 'batch', flow: options.flow, step: options.step, cause: options.cause });
    this.request = options.request;
    this.size = options.size;
    this.limit = options.limit;
  }
}

/**
 * An AWS call of the `@batch` launcher failed, or AWS answered something it cannot use (a queue that
 * does not exist, a job definition it did not register, ...).
 *
 * @example
 * ```ts
 * try { await launcher.prepare(); } catch (err) {
 *   if (err instanceof BatchLaunchError) console.error(err.action, err.message); // 'DescribeJobQueues' ...
 * }
 * ```
 */
export class BatchLaunchError extends DecoratorError {
  static {
    brandErrorClass(BatchLaunchError, 'BatchLaunchError');
  }

  override readonly name: string = 'BatchLaunchError';
  /** The AWS action involved (`DescribeJobQueues`, `SubmitJob`, ...). */
  readonly action: string;
  constructor(message: string, options: { action: string; flow?: string; step?: string; cause?: unknown }) {
    super(message, { decorator: 'batch', flow: options.flow, step: options.step, cause: options.cause });
    this.action = options.action;
  }
}

/**
 * `stepflow batch list|kill` cannot select the jobs: no such run, no run of the user, options that
 * exclude each other, a datastore that is not S3.
 *
 * @example
 * ```ts
 * try { await selectRuns(storage, 'F', { runId: '17' }, 'jane'); } catch (err) {
 *   if (err instanceof BatchRunJobsError) console.error(err.flow, err.runId, err.message);
 * }
 * ```
 */
export class BatchRunJobsError extends DecoratorError {
  static {
    brandErrorClass(BatchRunJobsError, 'BatchRunJobsError');
  }

  override readonly name: string = 'BatchRunJobsError';
  readonly runId?: string;
  constructor(message: string, options: { flow: string; runId?: string; cause?: unknown }) {
    super(message, { decorator: 'batch', flow: options.flow, cause: options.cause });
    this.runId = options.runId;
  }
}
