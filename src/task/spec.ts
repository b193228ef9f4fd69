/**
 * The task command line: `node bundle.mjs step <json>`, the same for every compute layer.
 *
 * @module
 */
import { readFileSync } from 'node:fs';
import type { TaskSpec } from '../decorators/index.js';
import { TaskSpecError } from './errors.js';

export type { TaskSpec };

/**
 * Longest spec passed as a command-line argument. Linux refuses a single argument over 128 KiB
 * (`MAX_ARG_STRLEN`), which a join after a very wide foreach reaches; longer specs go through stdin
 * (`step -`, see {@link taskCommand}).
 *
 * @example
 * ```ts
 * JSON.stringify(spec).length > SPEC_ARG_MAX; // send it on stdin
 * ```
 */
export const SPEC_ARG_MAX = 64 * 1024;

/**
 * The task's arguments and, for a spec longer than {@link SPEC_ARG_MAX}, the text to write to its stdin.
 *
 * @example
 * ```ts
 * const { args, stdin } = taskCommand(spec);
 * const child = spawn(process.execPath, [bundlePath, ...args], { stdio: [stdin ? 'pipe' : 'ignore', 'pipe', 'pipe'] });
 * if (stdin) child.stdin?.end(stdin);
 * ```
 */
export function taskCommand(spec: TaskSpec): { args: string[]; stdin?: string } {
  const json = JSON.stringify(spec);
  return json.length > SPEC_ARG_MAX ? { args: ['step', '-'], stdin: json } : { args: ['step', json] };
}

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
 * Decodes the task's command-line arguments (`step <json>`, or `step -` with the JSON on stdin).
 *
 * @example
 * ```ts
 * const spec = parseTaskArgs(process.argv.slice(2));
 * ```
 */
export function parseTaskArgs(
  argv: readonly string[],
  readStdin: () => string = () => readFileSync(0, 'utf8'),
): TaskSpec {
  if (argv[0] !== 'step' || argv.length < 2) {
    throw new TaskSpecError(
      `expected the arguments \`step <json spec>\`, got \`${argv.join(' ')}\`. Task processes are started by ` +
        'the stepflow runtime; run flows with `stepflow run flow.ts`.',
    );
  }
  let spec: TaskSpec;
  try {
    spec = JSON.parse(argv[1] === '-' ? readStdin() : argv[1]) as TaskSpec;
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
