/**
 * How a captured log is stored: as numbered segments of at most {@link LOG_SEGMENT_BYTES}, written in order,
 * so that whoever saves a log (the runtime for a local task, the container bootstrap for a `@batch` job)
 * holds at most one segment in memory and writes each byte about once. Segment 0 is `<attempt>.stdout.log`
 * (so a log of earlier versions, one whole file, reads as a one-segment log); segment n > 0 is
 * `<attempt>.stdout.<n>.log`. When an attempt's logs are whole, `<attempt>.logs.json` ({@link LogRecord})
 * says so. Node built-ins only: the bootstrap bundles this file.
 *
 * Only the last ("open") segment is ever rewritten, and only while rewriting it is cheap: while it holds at
 * most {@link LOG_REWRITE_BYTES}, or no more than the new bytes appended to it. Otherwise the new bytes
 * start a new segment. So one save writes at most twice its new bytes plus {@link LOG_REWRITE_BYTES}, and a
 * closed segment always holds more than {@link LOG_REWRITE_BYTES} (a reader following a growing log only
 * looks for segment n + 1 once it has read that much of segment n).
 *
 * @module
 */

/**
 * The most bytes of one log segment (8 MiB).
 *
 * @example
 * ```ts
 * Math.ceil(logBytes / LOG_SEGMENT_BYTES); // segments of a finished log, at least
 * ```
 */
export const LOG_SEGMENT_BYTES = 8 * 1024 * 1024;

/**
 * The size up to which the open segment is always rewritten with new bytes (1 MiB); see the module. A
 * closed segment always holds more.
 *
 * @example
 * ```ts
 * if (readOfSegment > LOG_REWRITE_BYTES) lookForTheNextSegment();
 * ```
 */
export const LOG_REWRITE_BYTES = 1024 * 1024;

/**
 * The record of an attempt's saved logs (`<attempt>.logs.json`), written after the last segment: its
 * presence means the logs are whole (as far as they could be saved: see `warnings`).
 *
 * @example
 * ```ts
 * const record: LogRecord = { stdout: 120, stderr: 0, segments: { stdout: 1, stderr: 0 }, exitCode: 0 };
 * ```
 */
export interface LogRecord {
  /** Bytes saved of each stream. */
  readonly stdout: number;
  readonly stderr: number;
  /** Segments of each stream (absent in records of earlier versions: one segment, if any). */
  readonly segments?: { readonly stdout: number; readonly stderr: number };
  /** How the task process ended, when the saver knows it (the container bootstrap). */
  readonly exitCode?: number;
  /** Where the lines came from when not from the task itself (`cloudwatch`: the job's log stream). */
  readonly source?: 'cloudwatch';
  /** What could not be saved (each a sentence); absent when everything was. */
  readonly warnings?: readonly string[];
}

/**
 * The file name of segment `n` of a stream, relative to the attempt's prefix `<attempt>.`.
 *
 * @example
 * ```ts
 * logSegmentName('stdout', 0); // 'stdout.log'
 * logSegmentName('stderr', 2); // 'stderr.2.log'
 * ```
 */
export function logSegmentName(stream: 'stdout' | 'stderr', n: number): string {
  return n === 0 ? `${stream}.log` : `${stream}.${n}.log`;
}

/**
 * The file name of the log record, relative to the attempt's prefix `<attempt>.`.
 *
 * @example
 * ```ts
 * await storage.get(`${attemptPrefix}${LOG_RECORD_NAME}`); // 'F/1/s/2/0.logs.json'
 * ```
 */
export const LOG_RECORD_NAME = 'logs.json';

/**
 * One write a {@link SegmentedLog} asks for: the whole content of segment `index`.
 *
 * @example
 * ```ts
 * for (const w of log.take()) await put(logSegmentName('stdout', w.index), w.body);
 * ```
 */
export interface SegmentWrite {
  readonly index: number;
  readonly body: readonly Buffer[];
  readonly bytes: number;
  /** The log's byte range this segment holds (for warnings). */
  readonly start: number;
}

/**
 * The segments of one growing log: takes output chunks, and says which segments to write (in order) at
 * each save. Memory: the open segment (≤ {@link LOG_SEGMENT_BYTES}) plus what was added since the last
 * save; call {@link SegmentedLog.take} whenever {@link SegmentedLog.pendingBytes} reaches a segment.
 *
 * @example
 * ```ts
 * const log = new SegmentedLog();
 * log.add(Buffer.from('hello\n'));
 * log.take(); // [{ index: 0, body: [<hello\n>], bytes: 6, start: 0 }]
 * ```
 */
export class SegmentedLog {
  private pending: Buffer[] = [];
  private pendingSize = 0;
  private open: Buffer[] = [];
  private openSize = 0;
  private openStart = 0;
  private index = 0;
  /** Bytes added in all. */
  total = 0;

  constructor(
    private readonly segmentBytes = LOG_SEGMENT_BYTES,
    private readonly rewriteBytes = LOG_REWRITE_BYTES,
  ) {}

  /** Takes a chunk of output. */
  add(chunk: Buffer): void {
    if (chunk.byteLength === 0) return;
    this.pending.push(chunk);
    this.pendingSize += chunk.byteLength;
    this.total += chunk.byteLength;
  }

  /** Bytes added since the last {@link SegmentedLog.take}. */
  get pendingBytes(): number {
    return this.pendingSize;
  }

  /** Bytes of the open segment (what the next save rewrites, besides the new bytes). */
  get openBytes(): number {
    return this.openSize;
  }

  /** Segments started so far (the count a {@link LogRecord} holds once everything was written). */
  get segments(): number {
    return this.openSize > 0 ? this.index + 1 : this.index;
  }

  /**
   * The writes that save everything added so far, in order (empty when nothing was added). With
   * `fullOnly` (a save because a segment's worth is waiting), only segments that become full are written,
   * and the rest waits: a fast log is written exactly once.
   */
  take(fullOnly = false): SegmentWrite[] {
    const writes: SegmentWrite[] = [];
    if (this.pendingSize === 0) return writes;
    if (this.openSize > 0) {
      if (
        this.openSize < this.segmentBytes &&
        this.openSize <= Math.max(this.rewriteBytes, this.pendingSize)
      ) {
        if (fullOnly && this.openSize + this.pendingSize < this.segmentBytes) return writes;
        this.fill(writes);
      } else {
        this.close();
      }
    }
    while (this.pendingSize > 0 && (!fullOnly || this.pendingSize >= this.segmentBytes)) this.fill(writes);
    return writes;
  }

  private fill(writes: SegmentWrite[]): void {
    const piece = this.takePending(Math.min(this.segmentBytes - this.openSize, this.pendingSize));
    this.open.push(...piece.chunks);
    this.openSize += piece.bytes;
    writes.push({ index: this.index, body: [...this.open], bytes: this.openSize, start: this.openStart });
    if (this.openSize >= this.segmentBytes) this.close();
  }

  private close(): void {
    this.index++;
    this.openStart += this.openSize;
    this.open = [];
    this.openSize = 0;
  }

  private takePending(bytes: number): { chunks: Buffer[]; bytes: number } {
    const chunks: Buffer[] = [];
    let left = bytes;
    while (left > 0) {
      const head = this.pending[0] as Buffer;
      if (head.byteLength <= left) {
        chunks.push(head);
        this.pending.shift();
        left -= head.byteLength;
      } else {
        chunks.push(head.subarray(0, left));
        this.pending[0] = head.subarray(left);
        left = 0;
      }
    }
    this.pendingSize -= bytes;
    return { chunks, bytes };
  }
}
