/**
 * Tailing the logs a `@batch` task saves itself (segments `<attempt>.stdout.log`, `.stdout.1.log`, ... and
 * the same for stderr, written by the container bootstrap's log saver: see `datastore/log-segments.ts`)
 * from the run's storage: only the new bytes of the open segment are read (a ranged, conditional read when
 * the backend has one), fast at first and slower as the task runs ({@link tailDelayMs}), and complete lines
 * are pushed once, in order. Segment n + 1 is looked for only once more than `LOG_REWRITE_BYTES` of segment
 * n were read (a closed segment always holds more); when it exists, segment n is read to its end once more
 * and the tail moves on. At the end the completion marker (`<attempt>.logs.json`) says whether the logs are
 * whole and how many segments each has.
 *
 * @module
 */

import { errorMessage } from '../../../common/index.js';
import type { LogStream, RangedRead, StorageBackend } from '../../../datastore/index.js';
import { LOG_REWRITE_BYTES, logSegmentName } from '../../../datastore/index.js';
import type { LogMarker } from '../bootstrap/log-saver.js';

const STREAMS = ['stdout', 'stderr'] as const;

/**
 * Milliseconds between two reads: 250 ms at first, doubling every 2 minutes of tailing, at most 10 s.
 *
 * @example
 * ```ts
 * tailDelayMs(0);       // 250
 * tailDelayMs(120_000); // 500
 * ```
 */
export function tailDelayMs(elapsedMs: number): number {
  return Math.min(10_000, 250 * 2 ** (elapsedMs / 120_000));
}

/**
 * The run's budget of log reads: every running task's tail shares it, so tailing stays cheap however many
 * jobs run at once. Each tail reads both of its logs per tick; with `n` tails running, a tail waits at
 * least `n × 2 ÷ readsPerSecond` seconds between ticks (a handful of tasks keep the fast start of
 * {@link tailDelayMs}; 500 running tasks are each read every 50 s at 20 reads/s).
 *
 * @example
 * ```ts
 * const budget = new TailBudget(20);
 * budget.minDelayMs(); // 0 with no tail running
 * ```
 */
export class TailBudget {
  private active = 0;

  constructor(readonly readsPerSecond = 20) {}

  /** A tail started. */
  join(): void {
    this.active++;
  }

  /** A tail stopped. */
  leave(): void {
    this.active = Math.max(0, this.active - 1);
  }

  /** Tails running now. */
  get running(): number {
    return this.active;
  }

  /** The least delay between two ticks of one tail, for the tails running now. */
  minDelayMs(): number {
    return ((this.active * STREAMS.length) / this.readsPerSecond) * 1000;
  }
}

/**
 * The floor of a job's log upload interval, given how many jobs of the run are in flight when it is
 * launched: the run's uploads stay around 100 PUTs per second in all (two logs per job), far below what one
 * S3 prefix takes (3,500/s), while a run of a few jobs keeps the 250 ms start.
 *
 * @example
 * ```ts
 * uploadFloorMs(1);   // 250
 * uploadFloorMs(500); // 10000
 * ```
 */
export function uploadFloorMs(jobsInFlight: number): number {
  return Math.max(250, Math.round(((jobsInFlight * STREAMS.length) / 100) * 1000));
}

/**
 * How the tail ended: whether the marker was there (and the logs read up to its byte counts), and whether
 * any log object existed at all.
 *
 * @example
 * ```ts
 * const end: TailEnd = await tail.finish();
 * if (!end.complete) fallBackToCloudWatch();
 * ```
 */
export interface TailEnd {
  readonly complete: boolean;
  /** True when the task saved at least one of its logs. */
  readonly found: boolean;
  readonly marker?: LogMarker;
}

/**
 * Options of {@link TaskLogTail}.
 *
 * @example
 * ```ts
 * const options: TaskLogTailOptions = { storage, prefix: 'F/1/s/2/0.', push: (s, l) => out[s].write(l) };
 * ```
 */
export interface TaskLogTailOptions {
  readonly storage: Pick<StorageBackend, 'get' | 'readFrom'>;
  /** The attempt's key prefix (`Flow/run/step/task/<attempt>.`). */
  readonly prefix: string;
  /** Takes one complete line, with its `\n`. */
  readonly push: (stream: LogStream, line: Buffer) => void;
  /** Read errors (other than a missing log), for the task's stderr. */
  readonly onError?: (message: string) => void;
  /** Delay between reads (default {@link tailDelayMs}). */
  readonly delayMs?: (elapsedMs: number) => number;
  /** The run's shared read budget (none: each tail follows its own delay only). */
  readonly budget?: TailBudget;
}

/**
 * Follows one attempt's own logs.
 *
 * @example
 * ```ts
 * const tail = new TaskLogTail({ storage, prefix: 'F/1/s/2/0.', push: (s, line) => streams[s].write(line) });
 * tail.start();                 // when the job is STARTING or RUNNING (again: no-op)
 * const end = await tail.finish(); // after the job ended
 * ```
 */
export class TaskLogTail {
  /** Bytes read in all, and the segment being read with the bytes read of it. */
  private readonly offset: Record<LogStream, number> = { stdout: 0, stderr: 0 };
  private readonly segment: Record<LogStream, number> = { stdout: 0, stderr: 0 };
  private readonly inSegment: Record<LogStream, number> = { stdout: 0, stderr: 0 };
  /** Segments per stream, once the marker says (a missing segment below it is skipped). */
  private readonly count: Record<LogStream, number> = { stdout: 0, stderr: 0 };
  private readonly tag: Record<LogStream, string | undefined> = { stdout: undefined, stderr: undefined };
  private readonly partial: Record<LogStream, Buffer[]> = { stdout: [], stderr: [] };
  private readonly seen: Record<LogStream, boolean> = { stdout: false, stderr: false };
  private started: number | undefined;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private busy: Promise<void> = Promise.resolve();
  private stopped = false;
  private errors = 0;
  /** Reads made (for tests and the benchmark). */
  reads = 0;

  constructor(private readonly options: TaskLogTailOptions) {}

  /** Starts reading periodically (once; later calls do nothing). */
  start(): void {
    if (this.started !== undefined || this.stopped) return;
    this.started = Date.now();
    this.options.budget?.join();
    this.schedule();
  }

  /**
   * Stops the periodic reads, reads the marker and the logs up to its byte counts (or to their end when
   * there is no marker), and pushes a last line without its `\n` (one is added).
   */
  async finish(): Promise<TailEnd> {
    this.halt();
    await this.busy;
    const raw = await this.options.storage.get(`${this.options.prefix}logs.json`).catch(() => undefined);
    let marker: LogMarker | undefined;
    try {
      marker = raw ? (JSON.parse(raw.toString('utf8')) as LogMarker) : undefined;
    } catch {
      marker = undefined;
    }
    for (const s of STREAMS) this.count[s] = marker?.segments?.[s] ?? 0;
    // S3 reads after a write are consistent; still, a few reads are allowed to reach the marker's counts.
    for (let attempt = 0; attempt < 3; attempt++) {
      await this.readAll();
      if (!marker || STREAMS.every((s) => this.offset[s] >= marker[s])) break;
    }
    for (const s of STREAMS) {
      if (this.partial[s].length === 0) continue;
      this.options.push(s, Buffer.concat([...this.partial[s], Buffer.from('\n')]));
      this.partial[s] = [];
    }
    const found = this.seen.stdout || this.seen.stderr;
    const complete = marker !== undefined && STREAMS.every((s) => this.offset[s] >= marker[s]);
    return { complete, found, ...(marker ? { marker } : {}) };
  }

  /** Stops without a last read. */
  stop(): void {
    this.halt();
  }

  private halt(): void {
    if (!this.stopped && this.started !== undefined) this.options.budget?.leave();
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
  }

  private schedule(): void {
    if (this.stopped) return;
    const own = (this.options.delayMs ?? tailDelayMs)(Date.now() - (this.started ?? Date.now()));
    const delay = Math.max(own, this.options.budget?.minDelayMs() ?? 0);
    this.timer = setTimeout(() => {
      this.busy = this.readAll();
      void this.busy.then(() => this.schedule());
    }, delay);
  }

  private async readAll(): Promise<void> {
    await Promise.all(STREAMS.map((s) => this.read(s)));
  }

  private async read(stream: LogStream): Promise<void> {
    try {
      let got = await this.readSegment(stream, this.segment[stream]);
      for (;;) {
        if (got === undefined) {
          // Missing: not written yet, or (below the marker's count) a segment that could not be saved.
          if (this.segment[stream] + 1 >= this.count[stream]) return;
        } else {
          this.seen[stream] = true;
          this.take(stream, got);
          const closedAt = this.count[stream] > this.segment[stream] + 1 ? 0 : LOG_REWRITE_BYTES;
          if (this.inSegment[stream] < closedAt) return;
        }
        const next = await this.readSegment(stream, this.segment[stream] + 1, 0);
        // Segment n + 1 missing: n is still the open one, unless the marker counts n + 1 (then it was lost).
        if (next === undefined && this.segment[stream] + 1 >= this.count[stream] - 1) return;
        // Segment n is closed: read its last bytes, then go on with n + 1.
        if (got !== undefined) this.take(stream, await this.readSegment(stream, this.segment[stream]));
        this.segment[stream]++;
        this.inSegment[stream] = 0;
        this.tag[stream] = undefined;
        this.seen[stream] = true;
        got = next;
      }
    } catch (err) {
      const key = `${this.options.prefix}${logSegmentName(stream, this.segment[stream])}`;
      if (this.errors++ < 3) this.options.onError?.(`reading ${key}: ${errorMessage(err)}`);
    }
  }

  /** New bytes of segment `n` (from what was read of it, or from `from`); `undefined` when it is missing. */
  private async readSegment(
    stream: LogStream,
    n: number,
    from?: number,
  ): Promise<RangedRead | 'unchanged' | undefined> {
    const key = `${this.options.prefix}${logSegmentName(stream, n)}`;
    const { storage } = this.options;
    const offset = from ?? this.inSegment[stream];
    const tag = from === undefined ? this.tag[stream] : undefined;
    this.reads++;
    if (storage.readFrom) return await storage.readFrom(key, offset, tag ? { ifNoneMatch: tag } : {});
    const whole = await storage.get(key);
    return whole && { bytes: whole.subarray(offset) };
  }

  private take(stream: LogStream, got: RangedRead | 'unchanged' | undefined): void {
    if (got === undefined || got === 'unchanged') return;
    this.tag[stream] = got.tag;
    if (got.bytes.byteLength === 0) return;
    this.offset[stream] += got.bytes.byteLength;
    this.inSegment[stream] += got.bytes.byteLength;
    this.split(stream, got.bytes);
  }

  private split(stream: LogStream, bytes: Buffer): void {
    let from = 0;
    for (let nl = bytes.indexOf(10); nl !== -1; nl = bytes.indexOf(10, from)) {
      const piece = bytes.subarray(from, nl + 1);
      const parts = this.partial[stream];
      this.options.push(stream, parts.length > 0 ? Buffer.concat([...parts, piece]) : Buffer.from(piece));
      this.partial[stream] = [];
      from = nl + 1;
    }
    if (from < bytes.byteLength) this.partial[stream].push(Buffer.from(bytes.subarray(from)));
  }
}
