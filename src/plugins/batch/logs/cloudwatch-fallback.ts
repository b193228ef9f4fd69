/**
 * The end of an attempt's logs: the task's own logs are read to their end (task-log-tail.ts); when they
 * are missing or cut short (no completion marker: the container was killed for memory, its image could not
 * be pulled, the code package could not be downloaded), the job's CloudWatch Logs stream is read instead, a
 * bounded number of times, with a line on stderr saying so, and kept as the attempt's stdout (with a log record, `source: 'cloudwatch'`) when
 * the task stored no log at all.
 *
 * @module
 */

import type { StorageBackend } from '../../../datastore/index.js';
import { LogWriter } from '../../../datastore/index.js';
import type { BatchApi } from '../aws.js';
import { LogFollower } from './cloudwatch-reader.js';
import type { TaskLogTail } from './task-log-tail.js';

/**
 * What {@link finishLogs} needs.
 *
 * @example
 * ```ts
 * await finishLogs({ tail, api, group: '/aws/batch/job', stream, prefix, storage, say, push });
 * ```
 */
export interface FinishLogsInput {
  readonly tail: TaskLogTail;
  /** True when the job got as far as STARTING (a container was meant to run). */
  readonly started: boolean;
  readonly api: Pick<BatchApi, 'getLogEvents'>;
  /** The CloudWatch log group (undefined with a log driver other than awslogs). */
  readonly group: string | undefined;
  /** The job's log stream (from DescribeJobs). */
  readonly stream: string | undefined;
  /** The attempt's key prefix (`Flow/run/step/task/<attempt>.`) and the run's storage. */
  readonly prefix: string;
  readonly storage: Pick<StorageBackend, 'put'>;
  /** A `[@batch]` line on the task's stderr. */
  readonly say: (text: string) => void;
  /** One CloudWatch line (without its `\n`) for the task's stdout. */
  readonly push: (line: string) => void;
  /** GetLogEvents tries when the stream is not there yet (default 3, 1 s apart). */
  readonly tries?: number;
  readonly delayMs?: number;
}

/**
 * Reads the task's own logs to their end, and falls back to CloudWatch Logs when they are not whole.
 * Returns where the lines came from.
 *
 * @example
 * ```ts
 * const source = await finishLogs(input); // 'task' | 'cloudwatch' | 'none'
 * ```
 */
export async function finishLogs(input: FinishLogsInput): Promise<'task' | 'cloudwatch' | 'none'> {
  const end = await input.tail.finish();
  if (end.complete) return 'task';
  if (!input.started && !end.found && !input.stream) return 'none';
  const what = end.found ? 'cut short' : 'missing';
  if (!input.group || !input.stream) {
    input.say(
      `the task's own logs are ${what}, and the job has no CloudWatch Logs stream to show instead` +
        (input.group ? '' : ' (its log driver is not awslogs)'),
    );
    return 'none';
  }
  input.say(
    `the task's own logs are ${what}; showing CloudWatch Logs stream ${input.stream} of group ${input.group}`,
  );
  const lines: string[] = [];
  const follower = new LogFollower(
    input.api,
    input.group,
    (line) => {
      lines.push(line);
      input.push(line);
    },
    (m) => input.say(m),
  );
  await follower.drain(input.stream, (input.tries ?? 3) - 1, input.delayMs ?? 1000);
  if (!end.found && lines.length > 0) {
    // Stored as the task's would be (segments, then the log record saying where the lines came from).
    const writer = new LogWriter({
      storage: input.storage,
      prefix: input.prefix,
      onWarning: (m) => input.say(`could not store the CloudWatch lines: ${m}`),
    });
    for (const line of lines) writer.add('stdout', Buffer.from(`${line}\n`));
    await writer.close({ source: 'cloudwatch' });
  }
  return 'cloudwatch';
}
