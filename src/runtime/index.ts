/**
 * The runtime layer's public surface: other folders import it through this file (a deep import fails the
 * boundary check, see ARCHITECTURE.md).
 *
 * @example
 * ```ts
 * import { loadFlow, prepareRun } from '../runtime/index.js';
 * ```
 *
 * @module
 */
export { UsageError } from './errors.js';
export { loadFlow } from './load-flow.js';
export {
  coerceParameter,
  kebabCase,
  type ParameterDef,
  parameterDefs,
  resolveParameters,
} from './parameters.js';
export type { Reporter, RunSummary } from './reporter.js';
export { latestFailedRun } from './resume.js';
export { currentUser, prepareRun } from './start-run.js';
