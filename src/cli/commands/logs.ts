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
import { mapAhead } from '../../common/index.js';
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
      await printLog(await readLogHead(target, stream, options.attempt), stream);
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
  const ids = await step.taskIds();
  // The tasks' records and the start of their logs are read LOGS_READ_AHEAD tasks ahead of the one printed.
  const read = async (id: string) => {
    const [task] = await step.tasksOf([id]);
    const has = attempt === undefined || task.attemptNumbers.includes(attempt);
    return { task, has, log: has ? await readLogHead(task, stream, attempt) : undefined };
  };
  let i = 0;
  for await (const { task, has, log } of mapAhead(ids, LOGS_READ_AHEAD, read)) {
    const which = has ? `attempt ${attempt ?? task.currentAttempt}` : `no attempt ${attempt}`;
    await write(`${i++ > 0 ? '\n' : ''}==> ${task.pathspec} (${which}) <==\n`);
    if (!log) continue;
    const last = await printLog(log, stream);
    if (last !== undefined && last !== 10) await write('\n');
  }
}

/**
 * Tasks of a step whose logs `stepflow logs` reads ahead of the one it prints; each holds at most
 * {@link LOG_HEAD_BYTES} (plus one segment) until its turn.
 *
 * @example
 * ```ts
 * for await (const log of mapAhead(ids, LOGS_READ_AHEAD, read)) await printLog(log, 'stdout');
 * ```
 */
export const LOGS_READ_AHEAD = 16;

/**
 * How much of a task's log is read ahead before its turn; the rest is read when it is printed.
 *
 * @example
 * ```ts
 * while (held < LOG_HEAD_BYTES) parts.push(await next());
 * ```
 */
export const LOG_HEAD_BYTES = 1024 * 1024;

/** A task's log: the parts read ahead, the rest still to read, and what could not be saved of it. */
interface LogHead {
  readonly parts: readonly Buffer[];
  readonly rest: AsyncGenerator<Buffer> | undefined;
  readonly warnings: readonly string[];
}

async function readLogHead(
  task: Task,
  stream: 'stdout' | 'stderr',
  attempt: number | undefined,
): Promise<LogHead> {
  const parts: Buffer[] = [];
  const all = task.logParts(stream, attempt);
  let held = 0;
  let rest: AsyncGenerator<Buffer> | undefined = all;
  while (held < LOG_HEAD_BYTES) {
    const next = await all.next();
    if (next.done) {
      rest = undefined;
      break;
    }
    parts.push(next.value);
    held += next.value.byteLength;
  }
  return { parts, rest, warnings: await task.logWarnings(attempt) };
}

/** Writes to stdout, waiting for it to drain when its buffer is full. */
async function write(text: string | Buffer): Promise<void> {
  if (!process.stdout.write(text)) await once(process.stdout, 'drain');
}

/**
 * Writes a task's log to stdout one stored segment at a time (bounded memory whatever its size), waiting
 * for stdout to drain, and what could not be saved of it to stderr; returns the last byte written.
 */
async function printLog(log: LogHead, stream: 'stdout' | 'stderr') {
  let last: number | undefined;
  const print = async (part: Buffer) => {
    if (part.byteLength === 0) return;
    last = part[part.byteLength - 1];
    await write(part);
  };
  for (const part of log.parts) await print(part);
  if (log.rest) for await (const part of log.rest) await print(part);
  for (const warning of log.warnings) {
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
