/**
 * The task layer's public surface: other folders import it through this file (a deep import fails the
 * boundary check, see ARCHITECTURE.md).
 *
 * @example
 * ```ts
 * import { taskCommand } from '../task/index.js';
 * ```
 *
 * @module
 */
export { LAZY_CA_ENV } from './extra-ca.js';
export { taskCommand } from './spec.js';
