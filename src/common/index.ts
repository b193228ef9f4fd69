/**
 * The common layer's public surface: other folders import it through this file (a deep import fails the
 * boundary check, see ARCHITECTURE.md).
 *
 * @example
 * ```ts
 * import { StepflowError, errorMessage, mapBounded } from '../common/index.js';
 * ```
 *
 * @module
 */

export { Deque } from './deque.js';
export {
  brandErrorClass,
  type ErrorDisplay,
  type ErrorWhere,
  errorMessage,
  StepflowError,
  type StepflowErrorOptions,
} from './errors.js';
export { Limiter, mapAhead, mapBounded } from './limit.js';
