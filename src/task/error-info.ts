/**
 * A thrown value as a task records it.
 *
 * @module
 */
import type { TaskErrorInfo } from '../datastore/index.js';
import { userStack } from './stack-map.js';

/**
 * Describes a thrown value for records and output, its stack mapped to the `.ts` sources and without
 * stepflow's own frames.
 *
 * @example
 * ```ts
 * errorInfo(new RangeError('too big')); // { type: 'RangeError', message: 'too big', stack: '...' }
 * ```
 */
export function errorInfo(err: unknown): TaskErrorInfo {
  if (err instanceof Error) {
    const stack = err.stack === undefined ? undefined : userStack(err.stack, process.argv[1] ?? '');
    return { type: err.name, message: err.message, stack };
  }
  return { type: typeof err, message: String(err) };
}
