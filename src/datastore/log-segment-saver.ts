/**
 * The save loop shared by whoever saves an attempt's two logs (the runtime's `LogWriter`, the container
 * bootstrap's `LogSaver`): each stream kept as a {@link SegmentedLog}, its segment writes made in order
 * after any save in progress, each write retried with backoff, and a segment that still cannot be saved
 * a warning (said through `warn` and listed in the log record's `warnings`), never a thrown error. How an
 * object is written is the subclass's. No import besides the pure log-segments module and `errorMessage`:
 * the bootstrap bundles this file.
 *
 * @module
 */

import { errorMessage } from '../common/error-message.js';
import {
  LOG_REWRITE_BYTES,
  LOG_SEGMENT_BYTES,
  type LogRecord,
  logSegmentName,
  SegmentedLog,
} from './log-segments.js';

type Stream = 'stdout' | 'stderr';
const STREAMS = ['stdout', 'stderr'] as const;

/**
 * Settings of a {@link LogSegmentSaver}.
 *
 * @example
 * ```ts
 * const settings: LogSegmentSaverSettings = { retries: 3, baseDelayMs: 250, jitter: true };
 * ```
 */
export interface LogSegmentSaverSettings {
  /** Tries after a failed write; the first delay, doubling each time. */
  readonly retries: number;
  readonly baseDelayMs: number;
  /** Each delay drawn between half and all of it (spreads the retries of many savers). */
  readonly jitter?: boolean;
  /** How a warning names an object (default: its name, relative to the attempt's prefix). */
  readonly where?: (name: string) => string;
  /** Segment sizes (tests): see log-segments.ts. */
  readonly segmentBytes?: number;
  readonly rewriteBytes?: number;
}

/**
 * Saves the two logs of one attempt in segments; subclasses say how an object is written
 * ({@link LogSegmentSaver.putObject}) and how a warning is said ({@link LogSegmentSaver.warn}), and write
 * the log record at the end ({@link LogSegmentSaver.finish}, then {@link LogSegmentSaver.tryPut}).
 *
 * @example
 * ```ts
 * class MemoryLogs extends LogSegmentSaver {
 *   readonly objects = new Map<string, Buffer>();
 *   constructor() { super({ retries: 0, baseDelayMs: 0 }); }
 *   protected async putObject(name: string, body: readonly Buffer[]) { this.objects.set(name, Buffer.concat(body)); }
 *   protected warn(message: string) { console.warn(message); }
 * }
 * ```
 */
export abstract class LogSegmentSaver {
  private readonly logs: Record<Stream, SegmentedLog>;
  /** Bytes saved of each segment (by stream), and the warning of each segment whose last write failed. */
  private readonly saved: Record<Stream, Map<number, number>> = { stdout: new Map(), stderr: new Map() };
  private readonly failed = new Map<string, string>();
  private chain: Promise<void> = Promise.resolve();
  private queued = 0;
  private readonly segmentBytes: number;
  /** Bytes handed to storage (for tests and the benchmarks). */
  bytesWritten = 0;

  protected constructor(private readonly settings: LogSegmentSaverSettings) {
    this.segmentBytes = settings.segmentBytes ?? LOG_SEGMENT_BYTES;
    const rewrite = settings.rewriteBytes ?? LOG_REWRITE_BYTES;
    this.logs = {
      stdout: new SegmentedLog(this.segmentBytes, rewrite),
      stderr: new SegmentedLog(this.segmentBytes, rewrite),
    };
  }

  /** Writes one object, named relative to the attempt's prefix (`stdout.log`, `logs.json`); throws on failure. */
  protected abstract putObject(name: string, body: readonly Buffer[]): Promise<void>;

  /** Says a write that failed every try (the task goes on). */
  protected abstract warn(message: string): void;

  /** Takes a chunk of output; saves at once when a whole segment is waiting. */
  add(stream: Stream, chunk: Buffer): void {
    this.logs[stream].add(chunk);
    if (this.logs[stream].pendingBytes >= this.segmentBytes) void this.save(true);
  }

  /**
   * True when more than two segments wait to be written: the caller should pause its source until
   * {@link LogSegmentSaver.save} resolves (that keeps memory bounded whatever the task prints).
   */
  get full(): boolean {
    return (
      this.queued + this.logs.stdout.pendingBytes + this.logs.stderr.pendingBytes > 2 * this.segmentBytes
    );
  }

  /** Bytes of the larger open segment (what the next save rewrites, besides the new bytes). */
  protected get openBytes(): number {
    return Math.max(this.logs.stdout.openBytes, this.logs.stderr.openBytes);
  }

  /** Saves what was added (after any save in progress); resolves when written (`fullOnly`: only full segments). Never rejects. */
  save(fullOnly = false): Promise<void> {
    const writes = STREAMS.flatMap((s) => this.logs[s].take(fullOnly).map((w) => ({ stream: s, ...w })));
    if (writes.length === 0) return this.chain;
    const bytes = writes.reduce((n, w) => n + w.bytes, 0);
    this.queued += bytes;
    this.chain = this.chain.then(async () => {
      for (const w of writes) {
        const name = logSegmentName(w.stream, w.index);
        const ok = await this.tryPut(name, w.body);
        const id = `${w.stream}:${w.index}`;
        if (ok === true) {
          this.saved[w.stream].set(w.index, w.bytes);
          this.failed.delete(id);
        } else {
          const where = this.settings.where?.(name) ?? name;
          const message = `could not save ${w.stream} bytes ${w.start}–${w.start + w.bytes} (${where}): ${ok}`;
          this.failed.set(id, message);
          this.warn(message);
        }
      }
      this.queued -= bytes;
    });
    return this.chain;
  }

  /** Saves the rest; returns the log record (with `extra` fields) to write last. Never rejects. */
  protected async finish(extra: Pick<LogRecord, 'exitCode' | 'source'>): Promise<LogRecord> {
    await this.save();
    const sum = (s: Stream) => [...this.saved[s].values()].reduce((a, b) => a + b, 0);
    const warnings = [...this.failed.values()];
    return {
      stdout: sum('stdout'),
      stderr: sum('stderr'),
      segments: { stdout: this.logs.stdout.segments, stderr: this.logs.stderr.segments },
      ...extra,
      ...(warnings.length > 0 ? { warnings } : {}),
    };
  }

  /** Writes with retries: true, or the last error's message. */
  protected async tryPut(name: string, body: readonly Buffer[]): Promise<true | string> {
    const { retries, baseDelayMs, jitter } = this.settings;
    let last = '';
    for (let attempt = 0; attempt <= retries; attempt++) {
      if (attempt > 0) {
        const delay = baseDelayMs * 2 ** (attempt - 1);
        await new Promise((r) => setTimeout(r, jitter ? delay * (0.5 + Math.random() / 2) : delay));
      }
      try {
        await this.putObject(name, body);
        this.bytesWritten += body.reduce((n, b) => n + b.byteLength, 0);
        return true;
      } catch (err) {
        last = errorMessage(err);
      }
    }
    return `${last} (after ${retries + 1} tries)`;
  }
}
