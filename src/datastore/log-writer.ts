/**
 * Saving an attempt's captured logs through a {@link StorageBackend}: in segments (`SegmentedLog`),
 * each write retried with backoff, and never failing the caller — a segment that still cannot be saved
 * becomes a warning, said through `onWarning` and kept in the log record (`<attempt>.logs.json`).
 *
 * @module
 */

import { LogSegmentSaver } from './log-segment-saver.js';
import { LOG_RECORD_NAME, type LogRecord } from './log-segments.js';
import type { StorageBackend } from './storage.js';

/**
 * Options of {@link LogWriter}.
 *
 * @example
 * ```ts
 * const options: LogWriterOptions = { storage, prefix: 'F/1/s/2/0.', onWarning: (m) => console.warn(m) };
 * ```
 */
export interface LogWriterOptions {
  readonly storage: Pick<StorageBackend, 'put'>;
  /** The attempt's key prefix (`Flow/run/step/task/<attempt>.`). */
  readonly prefix: string;
  /** Tries after a failed write (default 3), `baseDelayMs` (default 250) doubling each time. */
  readonly retries?: number;
  readonly baseDelayMs?: number;
  /** Called once per write that failed every try (the task goes on). */
  readonly onWarning?: (message: string) => void;
  /** Segment sizes (tests): see log-segments.ts. */
  readonly segmentBytes?: number;
  readonly rewriteBytes?: number;
}

/**
 * Saves the two logs of one attempt (the segment/retry loop: {@link LogSegmentSaver}).
 *
 * @example
 * ```ts
 * const writer = new LogWriter({ storage, prefix: 'F/1/s/2/0.' });
 * child.stdout.on('data', (c) => writer.add('stdout', c));
 * setInterval(() => void writer.save(), 2000);
 * const record = await writer.close(); // final segments, then logs.json; never rejects
 * ```
 */
export class LogWriter extends LogSegmentSaver {
  constructor(private readonly options: LogWriterOptions) {
    super({
      retries: options.retries ?? 3,
      baseDelayMs: options.baseDelayMs ?? 250,
      jitter: true,
      where: (name) => options.prefix + name,
      segmentBytes: options.segmentBytes,
      rewriteBytes: options.rewriteBytes,
    });
  }

  /** Saves the rest, then writes the log record (with `extra` fields). Never rejects. */
  async close(extra: Pick<LogRecord, 'exitCode' | 'source'> = {}): Promise<LogRecord> {
    const record = await this.finish(extra);
    const body = Buffer.from(`${JSON.stringify(record, null, 2)}\n`);
    const ok = await this.tryPut(LOG_RECORD_NAME, [body]);
    if (ok !== true)
      this.warn(`could not save the log record ${this.options.prefix}${LOG_RECORD_NAME}: ${ok}`);
    return record;
  }

  protected async putObject(name: string, body: readonly Buffer[]): Promise<void> {
    await this.options.storage.put(this.options.prefix + name, body);
  }

  protected warn(message: string): void {
    this.options.onWarning?.(message);
  }
}
