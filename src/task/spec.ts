/**
 * The task command line: `node bundle.mjs step <json>`, the same for every compute layer.
 *
 * @module
 */
import type { TaskSpec } from '../decorators/contract.js';
import { TaskSpecError } from './errors.js';

export type { TaskSpec };

/**
 * Encodes a spec as the task's command-line arguments.
 *
 * @example
 * ```ts
 * spawn(process.execPath, [bundlePath, ...taskArgs(spec)]);
 * ```
 */
export function taskArgs(spec: TaskSpec): string[] {
  return ['step', JSON.stringify(spec)];
}

/**
 * Decodes the task's command-line arguments.
 *
 * @example
 * ```ts
 * const spec = parseTaskArgs(process.argv.slice(2));
 * ```
 */
export function parseTaskArgs(argv: readonly string[]): TaskSpec {
  if (argv[0] !== 'step' || argv.length < 2) {
    throw new TaskSpecError(
      `expected the arguments \`step <json spec>\`, got \`${argv.join(' ')}\`. Task processes are started by ` +
        'the stepflow runtime; run flows with `stepflow run flow.ts`.',
    );
  }
  let spec: TaskSpec;
  try {
    spec = JSON.parse(argv[1]) as TaskSpec;
  } catch (err) {
    throw new TaskSpecError('the task spec is not valid JSON', { cause: err });
  }
  for (const key of ['flowName', 'runId', 'stepName', 'taskId'] as const) {
    if (typeof spec[key] !== 'string' || spec[key] === '') {
      throw new TaskSpecError(`the task spec has no ${key}`);
    }
  }
  return spec;
}
