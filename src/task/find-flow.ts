/**
 * Finding the flow class among a module's exports.
 *
 * @module
 */
import { type FlowSpec, isFlowClass } from '../flow/index.js';
import { TaskError } from './errors.js';

/**
 * The FlowSpec subclass named `flowName` among the module's exports (the default export first).
 *
 * @example
 * ```ts
 * const FlowClass = findFlowClass(await import('./bundle.mjs').then((m) => m.flowModule), 'HelloFlow');
 * ```
 */
export function findFlowClass(flowModule: Record<string, unknown>, flowName: string): new () => FlowSpec {
  const candidates = [flowModule.default, ...Object.values(flowModule)].filter(isFlowClass);
  const found = candidates.find((c) => c.name === flowName);
  if (!found) {
    const names = [...new Set(candidates.map((c) => c.name))];
    throw new TaskError(
      `the flow module does not export a flow class named ${flowName} (found: ${names.join(', ') || 'none'}). ` +
        'Export the flow class from the flow file.',
    );
  }
  return found;
}
