/**
 * The built-in step decorators: importing this module registers all of them (the task entry point and
 * the CLI import it, so `--with NAME` works for each even when a flow imports none).
 *
 * @example
 * ```ts
 * import { batch, retry, timeout, catchError, resources, environment } from './plugins/index.js';
 * ```
 *
 * @module
 */
export {
  checkAttemptCap,
  isFallbackAttempt,
  MAX_ATTEMPTS_PER_TASK,
  type RetryBudget,
  retryBudget,
} from '../decorators/index.js';
export {
  type BatchOptions,
  batch,
  batchPlugin,
  type ParsedBatchOptions,
  type ResolvedBatch,
  resolveBatchStep,
  validateForPlatform,
} from './batch/index.js';
export {
  type CatchErrorOptions,
  type CaughtError,
  catchError,
  catchErrorPlugin,
  type ParsedCatchErrorOptions,
} from './catch-error/index.js';
export {
  type EnvironmentOptions,
  environment,
  environmentPlugin,
  type ParsedEnvironmentOptions,
} from './environment/index.js';
export {
  type ParsedResourcesOptions,
  type ResourcesOptions,
  resources,
  resourcesOf,
  resourcesPlugin,
} from './resources/index.js';
export { type ParsedRetryOptions, type RetryOptions, retry, retryPlugin } from './retry/index.js';
export {
  type ParsedTimeoutOptions,
  type TimeoutOptions,
  timeout,
  timeoutPlugin,
  timeoutSeconds,
} from './timeout/index.js';
