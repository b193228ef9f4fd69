/**
 * `stepflow logs <Flow/run/step[/task]>`: the captured stdout (or stderr) of past tasks.
 *
 * @module
 */
import { once } from 'node:events';
import {
  ClientError,
  type ClientOptions,
  getByPathspec,
  parsePathspec,
  type Step,
  type Task,
} from '../../client/index.js';
import { ConfigError, datastoreSpecForRoot } from '../../config/index.js';
import { DatastoreError } from '../../datastore/index.js';

/**
 * Options of {@link logsCommand}.
 *
 * @example
 * ```ts
 * const options: LogsOptions = { stderr: true, attempt: 1, datastoreRoot: '/tmp/ds' };
 * ```
 */
export interface LogsOptions {
  /** Print stderr instead of stdout. */
  readonly stderr?: boolean;
  /** The attempt (default: each task's latest). */
  readonly attempt?: number;
  readonly datastoreRoot?: string;
}

/**
 * The help text after the options of `stepflow logs --help`.
 *
 * @example
 * ```ts
 * command.addHelpText('after', LOGS_HELP);
 * ```
 */
export const LOGS_HELP = `
A task pathspec (Flow/run/step/task) prints that task's output; a step pathspec (Flow/run/step)
prints every task's, each headed by "==> Flow/run/step/task (attempt N) <==". Logs are kept per
attempt; without --attempt, each task's latest attempt is shown. Any run can be read, whatever its
namespace. The datastore is --datastore-root (a folder, or s3://bucket/prefix for the S3 datastore), else
the configured one (METAFLOW_DEFAULT_DATASTORE and its METAFLOW_DATASTORE_SYSROOT_*), else ./.stepflow.

Examples:
  stepflow logs TrainFlow/1764081234567123/train/3
  stepflow logs TrainFlow/1764081234567123/train --stderr --attempt 1`;

/**
 * Prints the logs a pathspec names; returns the exit code (1 with one error line when it names
 * nothing that exists).
 *
 * @example
 * ```ts
 * process.exitCode = await logsCommand('TrainFlow/17/train/3', { stderr: true });
 * ```
 */
export async function logsCommand(pathspec: string, options: LogsOptions = {}): Promise<number> {
  try {
    const parts = parsePathspec(pathspec);
    if (parts.step === undefined || parts.artifact !== undefined) {
      throw new ClientError(
        `stepflow logs takes a step or task pathspec (Flow/run/step or Flow/run/step/task), not "${pathspec}".`,
      );
    }
    const target = await getByPathspec(pathspec, readAnyRun(options.datastoreRoot));
    if (target.kind !== 'task' && target.kind !== 'step')
      throw new ClientError(`${pathspec} is not a step or task.`);
    const stream = options.stderr ? 'stderr' : 'stdout';
    if (target.kind === 'task') {
      await printLog(target, stream, options.attempt);
      return 0;
    }
    await printStep(target, stream, options.attempt);
    return 0;
  } catch (err) {
    return readErrorExit(err);
  }
}

async function printStep(
  step: Step,
  stream: 'stdout' | 'stderr',
  attempt: number | undefined,
): Promise<void> {
  const tasks = await step.tasks();
  for (const [i, task] of tasks.entries()) {
    const has = attempt === undefined || task.attemptNumbers.includes(attempt);
    const which = has ? `attempt ${attempt ?? task.currentAttempt}` : `no attempt ${attempt}`;
    process.stdout.write(`${i > 0 ? '\n' : ''}==> ${task.pathspec} (${which}) <==\n`);
    if (!has) continue;
    const last = await printLog(task, stream, attempt);
    if (last !== undefined && last !== 10) process.stdout.write('\n');
  }
}

/**
 * Writes a task's log to stdout one stored segment at a time (bounded memory whatever its size), waiting
 * for stdout to drain, and what could not be saved of it to stderr; returns the last byte written.
 */
async function printLog(task: Task, stream: 'stdout' | 'stderr', attempt: number | undefined) {
  let last: number | undefined;
  for await (const part of task.logParts(stream, attempt)) {
    if (part.byteLength === 0) continue;
    last = part[part.byteLength - 1];
    if (!process.stdout.write(part)) await once(process.stdout, 'drain');
  }
  for (const warning of await task.logWarnings(attempt)) {
    if (warning.includes(` ${stream} `))
      process.stderr.write(`stepflow: this log is incomplete: ${warning}\n`);
  }
  return last;
}

/**
 * Client options of the `logs` and `dump` commands: every namespace, and `--datastore-root` when given
 * (a folder, or an `s3://bucket/prefix` URL for the S3 datastore), else the client's default datastore.
 *
 * @example
 * ```ts
 * await getByPathspec('TrainFlow/17/end', readAnyRun('s3://my-bucket/runs'));
 * ```
 */
export function readAnyRun(datastoreRoot: string | undefined): ClientOptions {
  return datastoreRoot
    ? { namespace: null, datastore: datastoreSpecForRoot(datastoreRoot) }
    : { namespace: null };
}

/**
 * The exit code of the `logs` and `dump` commands stopped by `err`: an error of reading past runs (a bad
 * pathspec, a missing run, an unreadable datastore or setting) is printed as one line and gives 1;
 * anything else is rethrown (a fault, printed with its stack).
 *
 * @example
 * ```ts
 * try { ... } catch (err) { return readErrorExit(err); }
 * ```
 */
export function readErrorExit(err: unknown): number {
  if (err instanceof ClientError || err instanceof DatastoreError || err instanceof ConfigError) {
    process.stderr.write(`stepflow: error: ${err.message}\n`);
    return 1;
  }
  throw err;
}
