/**
 * Saving an attempt's captured logs through a {@link StorageBackend}: in segments ({@link SegmentedLog}),
 * each write retried with backoff, and never failing the caller — a segment that still cannot be saved
 * becomes a warning, said through `onWarning` and kept in the log record (`<attempt>.logs.json`).
 *
 * @module
 */

import {
  LOG_RECORD_NAME,
  LOG_REWRITE_BYTES,
  LOG_SEGMENT_BYTES,
  type LogRecord,
  logSegmentName,
  SegmentedLog,
} from './log-segments.js';
import type { StorageBackend } from './storage.js';
import type { LogStream } from './task-datastore.js';

const STREAMS = ['stdout', 'stderr'] as const;

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
 * Saves the two logs of one attempt.
 *
 * @example
 * ```ts
 * const writer = new LogWriter({ storage, prefix: 'F/1/s/2/0.' });
 * child.stdout.on('data', (c) => writer.add('stdout', c));
 * setInterval(() => void writer.save(), 2000);
 * const record = await writer.close(); // final segments, then logs.json; never rejects
 * ```
 */
export class LogWriter {
  private readonly logs: Record<LogStream, SegmentedLog>;
  /** Bytes saved of each segment (by stream), and the warning of each segment whose last write failed. */
  private readonly saved: Record<LogStream, Map<number, number>> = { stdout: new Map(), stderr: new Map() };
  private readonly failed = new Map<string, string>();
  private chain: Promise<void> = Promise.resolve();
  private queued = 0;
  /** Bytes handed to storage (for the benchmark and tests). */
  bytesWritten = 0;

  constructor(private readonly options: LogWriterOptions) {
    const size = options.segmentBytes ?? LOG_SEGMENT_BYTES;
    const rewrite = options.rewriteBytes ?? LOG_REWRITE_BYTES;
    this.logs = { stdout: new SegmentedLog(size, rewrite), stderr: new SegmentedLog(size, rewrite) };
  }

  /** Takes a chunk of output; saves at once when a whole segment is waiting. */
  add(stream: LogStream, chunk: Buffer): void {
    this.logs[stream].add(chunk);
    if (this.logs[stream].pendingBytes >= (this.options.segmentBytes ?? LOG_SEGMENT_BYTES))
      void this.save(true);
  }

  /**
   * True when more than two segments wait to be written: the caller should pause its source until
   * {@link LogWriter.save} resolves (that keeps memory bounded whatever the task prints).
   */
  get full(): boolean {
    const limit = 2 * (this.options.segmentBytes ?? LOG_SEGMENT_BYTES);
    return this.queued + this.logs.stdout.pendingBytes + this.logs.stderr.pendingBytes > limit;
  }

  /** Saves what was added (after any save in progress); resolves when written (`fullOnly`: only full segments). Never rejects. */
  save(fullOnly = false): Promise<void> {
    const writes = STREAMS.flatMap((s) => this.logs[s].take(fullOnly).map((w) => ({ stream: s, ...w })));
    if (writes.length === 0) return this.chain;
    const bytes = writes.reduce((n, w) => n + w.bytes, 0);
    this.queued += bytes;
    this.chain = this.chain.then(async () => {
      for (const w of writes) await this.write(w.stream, w.index, w.body, w.start, w.bytes);
      this.queued -= bytes;
    });
    return this.chain;
  }

  /** Saves the rest, then writes the log record (with `extra` fields). Never rejects. */
  async close(extra: Pick<LogRecord, 'exitCode' | 'source'> = {}): Promise<LogRecord> {
    await this.save();
    const sum = (s: LogStream) => [...this.saved[s].values()].reduce((a, b) => a + b, 0);
    const warnings = [...this.failed.values()];
    const record: LogRecord = {
      stdout: sum('stdout'),
      stderr: sum('stderr'),
      segments: { stdout: this.logs.stdout.segments, stderr: this.logs.stderr.segments },
      ...extra,
      ...(warnings.length > 0 ? { warnings } : {}),
    };
    const body = Buffer.from(`${JSON.stringify(record, null, 2)}\n`);
    const ok = await this.tryPut(LOG_RECORD_NAME, [body]);
    if (ok !== true)
      this.warn(`could not save the log record ${this.options.prefix}${LOG_RECORD_NAME}: ${ok}`);
    return record;
  }

  private async write(
    stream: LogStream,
    index: number,
    body: readonly Buffer[],
    start: number,
    bytes: number,
  ) {
    const name = logSegmentName(stream, index);
    const ok = await this.tryPut(name, body);
    const id = `${stream}:${index}`;
    if (ok === true) {
      this.saved[stream].set(index, bytes);
      this.failed.delete(id);
      return;
    }
    const message = `could not save ${stream} bytes ${start}–${start + bytes} (${this.options.prefix}${name}): ${ok}`;
    this.failed.set(id, message);
    this.warn(message);
  }

  /** true, or the last error's message. */
  private async tryPut(name: string, body: readonly Buffer[]): Promise<true | string> {
    const retries = this.options.retries ?? 3;
    const base = this.options.baseDelayMs ?? 250;
    let last = '';
    for (let attempt = 0; attempt <= retries; attempt++) {
      if (attempt > 0)
        await new Promise((r) => setTimeout(r, base * 2 ** (attempt - 1) * (0.5 + Math.random() / 2)));
      try {
        await this.options.storage.put(this.options.prefix + name, body);
        this.bytesWritten += body.reduce((n, b) => n + b.byteLength, 0);
        return true;
      } catch (err) {
        last = (err as Error)?.message ?? String(err);
      }
    }
    return `${last} (after ${retries + 1} tries)`;
  }

  private warn(message: string): void {
    this.options.onWarning?.(message);
  }
}
