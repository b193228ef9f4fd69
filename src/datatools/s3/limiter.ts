/**
 * Bounded concurrency for the data tool: the shared helpers of `src/aws/` (a counting semaphore for
 * requests, a bounded parallel map for items).
 *
 * @module
 */
export { Limiter, mapBounded } from '../../common/index.js';
