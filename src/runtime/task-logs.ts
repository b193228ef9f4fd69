/**
 * Capturing a running task's output: every line goes to the reporter (printed with its pathspec), and,
 * unless the task stores its own logs (`storesOwnLogs`: a `@batch` container), the bytes are saved in
 * segments every {@link LOG_SAVE_MS} and at the end ({@link LogWriter}). Memory stays bounded: when more
 * than two segments wait to be written, the task's pipe is paused (the task then waits on its writes)
 * until they are. Saving never fails the task: what cannot be saved is a warning on the task's stderr
 * and in its log record (`<attempt>.logs.json`).
 *
 * @module
 */

import type { Readable } from 'node:stream';
import type { LogRecord, TaskDatastore } from '../datastore/index.js';
import { LineSplitter } from './line-splitter.js';

/**
 * How often the logs of a running task are saved (ms).
 *
 * @example
 * ```ts
 * setInterval(() => void writer.save(), LOG_SAVE_MS);
 * ```
 */
export const LOG_SAVE_MS = 2000;

/**
 * Options of {@link captureTaskLogs}.
 *
 * @example
 * ```ts
 * const options: CaptureOptions = { streams: launched, td, attempt: 0, storesOwnLogs: false, line: print };
 * ```
 */
export interface CaptureOptions {
  readonly streams: { readonly stdout: Readable; readonly stderr: Readable };
  readonly td: TaskDatastore;
  readonly attempt: number;
  /** True when the task saves its own logs: then nothing is saved here. */
  readonly storesOwnLogs: boolean | undefined;
  /** Takes one line of output (without its `\n`). */
  readonly line: (stream: 'stdout' | 'stderr', line: string) => void;
}

/**
 * Follows a task's output. `finish()` (after the task ended) saves the rest and the log record, and returns
 * the record (`undefined` when the task stores its own logs); it never rejects.
 *
 * @example
 * ```ts
 * const capture = captureTaskLogs({ streams: launched, td, attempt, storesOwnLogs, line: print });
 * const record = await capture.finish(); // record?.warnings lists what could not be saved
 * ```
 */
export function captureTaskLogs(options: CaptureOptions): { finish(): Promise<LogRecord | undefined> } {
  const { streams, td, attempt } = options;
  const writer = options.storesOwnLogs
    ? undefined
    : td.logWriter(attempt, {
        onWarning: (message) => options.line('stderr', `[stepflow] the task's log is incomplete: ${message}`),
      });
  const ended: Promise<void>[] = [];
  for (const stream of ['stdout', 'stderr'] as const) {
    const source = streams[stream];
    const splitter = new LineSplitter((line) => options.line(stream, line));
    source.on('data', (chunk: Buffer) => {
      splitter.push(chunk);
      if (!writer) return;
      writer.add(stream, chunk);
      if (writer.full && !source.isPaused()) {
        source.pause();
        void writer.save(true).then(() => source.resume());
      }
    });
    ended.push(
      new Promise((resolve) => {
        source.on('end', () => {
          splitter.end();
          resolve();
        });
        source.on('close', resolve);
      }),
    );
  }
  const timer = writer && setInterval(() => void writer.save(), LOG_SAVE_MS);
  return {
    async finish() {
      if (timer) clearInterval(timer);
      if (!writer) return undefined;
      await Promise.race([Promise.all(ended), new Promise((r) => setTimeout(r, 1000))]);
      return await writer.close();
    },
  };
}
