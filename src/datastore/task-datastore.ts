/**
 * The records of one task: per attempt, its start record, artifact refs, logs and done record.
 *
 * @module
 */

import { CorruptBlobError } from './errors.js';
import { type AttemptFileKind, attemptFile, taskPrefix } from './keys.js';
import { LOG_RECORD_NAME, type LogRecord, logSegmentName } from './log-segments.js';
import { LogWriter, type LogWriterOptions } from './log-writer.js';
import type { StorageBackend } from './storage.js';
import type { ArtifactRef, AttemptDoneRecord, AttemptStartRecord } from './types.js';

/**
 * Which captured stream a log holds.
 *
 * @example
 * ```ts
 * await task.readLog(0, 'stderr' satisfies LogStream);
 * ```
 */
export type LogStream = 'stdout' | 'stderr';

/**
 * The content of `<attempt>.data.json`.
 *
 * @example
 * ```ts
 * const record: TaskDataRecord = { artifacts: { alpha: ref } };
 * ```
 */
export interface TaskDataRecord {
  readonly artifacts: Record<string, ArtifactRef>;
}

const DONE_FILE = /^(\d+)\.done\.json$/;
const START_FILE = /^(\d+)\.attempt\.json$/;

/**
 * One task's folder (`<flow>/<runId>/<step>/<taskId>/`). An attempt is visible only once its
 * `done.json` exists, and that file is written last; everything else of an attempt without it is
 * garbage from a crash or an attempt still running.
 *
 * @example
 * ```ts
 * const task = datastore.task('17', 'train', '3');
 * await task.writeAttemptStart({ attempt: 0, startedAt: new Date().toISOString(), inputs: [], foreachStack: [] });
 * await task.writeData(0, refs);
 * await task.writeDone(0, { attempt: 0, ok: true, endedAt: new Date().toISOString() });
 * await task.latestDoneAttempt(); // 0
 * ```
 */
export class TaskDatastore {
  readonly storage: StorageBackend;
  readonly flow: string;
  readonly runId: string;
  readonly step: string;
  readonly taskId: string;
  /** The task folder's key prefix, ending in `/`. */
  readonly prefix: string;

  constructor(storage: StorageBackend, flow: string, runId: string, step: string, taskId: string) {
    this.storage = storage;
    this.flow = flow;
    this.runId = runId;
    this.step = step;
    this.taskId = taskId;
    this.prefix = taskPrefix(flow, runId, step, taskId);
  }

  /** The pathspec `<flow>/<runId>/<step>/<taskId>`. */
  get pathspec(): string {
    return `${this.flow}/${this.runId}/${this.step}/${this.taskId}`;
  }

  /** The key of one of an attempt's files. */
  key(attempt: number, kind: AttemptFileKind): string {
    return this.prefix + attemptFile(attempt, kind);
  }

  /** Writes `<attempt>.attempt.json` (call first, when the attempt starts). */
  async writeAttemptStart(record: AttemptStartRecord): Promise<void> {
    await this.writeJson(this.key(record.attempt, 'attempt.json'), record);
  }

  /** Reads `<attempt>.attempt.json`, or `undefined`. */
  async readAttemptStart(attempt: number): Promise<AttemptStartRecord | undefined> {
    return await this.readJson<AttemptStartRecord>(this.key(attempt, 'attempt.json'));
  }

  /** Writes `<attempt>.data.json`: the artifact refs of the attempt. */
  async writeData(attempt: number, artifacts: Record<string, ArtifactRef>): Promise<void> {
    const record: TaskDataRecord = { artifacts };
    await this.writeJson(this.key(attempt, 'data.json'), record);
  }

  /** Reads the artifact refs of an attempt (`data.json`), or `undefined` when it wrote none. */
  async readData(attempt: number): Promise<Record<string, ArtifactRef> | undefined> {
    return (await this.readJson<TaskDataRecord>(this.key(attempt, 'data.json')))?.artifacts;
  }

  /** Writes `<attempt>.done.json` — last, since it makes the attempt visible. */
  async writeDone(attempt: number, record: AttemptDoneRecord): Promise<void> {
    await this.writeJson(this.key(attempt, 'done.json'), record);
  }

  /** Reads `<attempt>.done.json`, or `undefined` when the attempt is not (yet) complete. */
  async readDone(attempt: number): Promise<AttemptDoneRecord | undefined> {
    return await this.readJson<AttemptDoneRecord>(this.key(attempt, 'done.json'));
  }

  /** The highest attempt that has a `done.json` (ok or failed), or `undefined` when none has. */
  async latestDoneAttempt(): Promise<number | undefined> {
    const done = await this.attemptsWith(DONE_FILE);
    return done.length > 0 ? done[done.length - 1] : undefined;
  }

  /** Attempts that started (have an `attempt.json`), ascending; some may have no `done.json`. */
  async startedAttempts(): Promise<number[]> {
    return await this.attemptsWith(START_FILE);
  }

  /** The key prefix of an attempt's files (`<task prefix><attempt>.`). */
  attemptPrefix(attempt: number): string {
    return this.key(attempt, 'attempt.json').slice(0, -'attempt.json'.length);
  }

  /**
   * A writer of an attempt's logs in segments (see log-segments.ts); its `close()` writes the log record
   * `<attempt>.logs.json`, which marks the logs whole.
   */
  logWriter(attempt: number, options: Omit<LogWriterOptions, 'storage' | 'prefix'> = {}): LogWriter {
    return new LogWriter({ ...options, storage: this.storage, prefix: this.attemptPrefix(attempt) });
  }

  /** Reads `<attempt>.logs.json`, or `undefined` when the logs are not (yet) whole. */
  async readLogRecord(attempt: number): Promise<LogRecord | undefined> {
    return await this.readJson<LogRecord>(this.key(attempt, 'logs.json'));
  }

  /**
   * The segments of a captured log, in order, read one at a time (memory: one segment). With a log
   * record, its segment count is read (a segment that could not be saved is skipped); without one (a
   * running task, or logs cut short), segments up to the first missing one. A log of earlier versions is
   * one segment.
   */
  async *logSegments(attempt: number, stream: LogStream): AsyncGenerator<Buffer> {
    const prefix = this.attemptPrefix(attempt);
    const record = await this.readLogRecord(attempt);
    const count = record?.segments?.[stream];
    for (let n = 0; count === undefined || n < count; n++) {
      const bytes = await this.storage.get(prefix + logSegmentName(stream, n));
      if (bytes) yield bytes;
      else if (count === undefined) return;
    }
  }

  /**
   * Stores a whole log as its only segment, replacing segment 0 (the layout of earlier versions; live
   * capture uses {@link TaskDatastore.logWriter}).
   */
  async saveLog(
    attempt: number,
    stream: LogStream,
    bytes: Uint8Array | readonly Uint8Array[],
  ): Promise<void> {
    await this.storage.put(this.key(attempt, `${stream}.log`), bytes);
  }

  /** Reads a captured log whole (all its segments), or `undefined` when there is none. */
  async readLog(attempt: number, stream: LogStream): Promise<Buffer | undefined> {
    const parts: Buffer[] = [];
    for await (const part of this.logSegments(attempt, stream)) parts.push(part);
    return parts.length > 0 ? Buffer.concat(parts) : undefined;
  }

  /**
   * Copies an attempt's logs (segments, then the log record) to an attempt of another task, one
   * segment at a time.
   */
  async copyLogs(attempt: number, to: TaskDatastore, toAttempt: number): Promise<void> {
    const record = await this.readLogRecord(attempt);
    const target = to.attemptPrefix(toAttempt);
    for (const stream of ['stdout', 'stderr'] as const) {
      let n = 0;
      for await (const part of this.logSegments(attempt, stream)) {
        await to.storage.put(target + logSegmentName(stream, n++), part);
      }
    }
    if (record)
      await to.storage.put(target + LOG_RECORD_NAME, Buffer.from(`${JSON.stringify(record, null, 2)}\n`));
  }

  private async attemptsWith(pattern: RegExp): Promise<number[]> {
    const found: number[] = [];
    for (const entry of await this.storage.list(this.prefix)) {
      const match = entry.isPrefix ? null : pattern.exec(entry.key.slice(this.prefix.length));
      if (match) found.push(Number(match[1]));
    }
    return found.sort((a, b) => a - b);
  }

  private async writeJson(key: string, value: unknown): Promise<void> {
    await this.storage.put(key, Buffer.from(`${JSON.stringify(value, null, 2)}\n`));
  }

  private async readJson<T>(key: string): Promise<T | undefined> {
    return await readJsonRecord<T>(this.storage, key);
  }
}

/**
 * Reads and parses a JSON record; `undefined` when the key does not exist.
 *
 * @example
 * ```ts
 * const run = await readJsonRecord<RunRecord>(storage, 'MyFlow/17/_meta/run.json');
 * ```
 */
export async function readJsonRecord<T>(storage: StorageBackend, key: string): Promise<T | undefined> {
  const bytes = await storage.get(key);
  if (!bytes) return undefined;
  try {
    return JSON.parse(bytes.toString('utf8')) as T;
  } catch (err) {
    throw new CorruptBlobError(key, 'it is not valid JSON', { cause: err });
  }
}
