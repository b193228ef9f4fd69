/**
 * The entry point of a task process: `node bundle.mjs step <json>`. The code package's generated entry
 * calls {@link taskMain} with the user's flow module.
 *
 * @module
 */
import { realpathSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import '../plugins/task-hooks.js';
import { installLazyExtraCa } from './extra-ca.js';
import { errorInfo, runTask } from './run-task.js';
import { parseTaskArgs } from './spec.js';

/**
 * True when the module at `url` is the process's main script.
 *
 * @example
 * ```ts
 * if (isMainModule(import.meta.url)) await taskMain(flowModule, process.argv.slice(2));
 * ```
 */
export function isMainModule(url: string): boolean {
  const main = process.argv[1];
  if (!main) return false;
  try {
    return pathToFileURL(realpathSync(main)).href === url;
  } catch {
    return false;
  }
}

function printError(info: { type: string; message: string; stack?: string }): void {
  const text = info.stack?.includes(info.message)
    ? info.stack
    : `${info.type}: ${info.message}\n${info.stack ?? ''}`;
  process.stderr.write(`${text.trimEnd()}\n`);
}

async function flushAndExit(code: number): Promise<never> {
  await Promise.all(
    [process.stdout, process.stderr].map((s) => new Promise<void>((resolve) => s.write('', () => resolve()))),
  );
  process.exit(code);
}

/**
 * Runs the task described by the command line and exits: 0 on success, 1 when the step failed, 2 when
 * the task could not run at all.
 *
 * @example
 * ```ts
 * await taskMain(flowModule, ['step', JSON.stringify(spec)]);
 * ```
 */
export async function taskMain(flowModule: Record<string, unknown>, argv: readonly string[]): Promise<never> {
  installLazyExtraCa();
  let code = 2;
  try {
    const spec = parseTaskArgs(argv);
    const result = await runTask(flowModule, spec);
    if (!result.ok && result.error) printError(result.error);
    code = result.ok ? 0 : 1;
  } catch (err) {
    printError(errorInfo(err));
  }
  return flushAndExit(code);
}
