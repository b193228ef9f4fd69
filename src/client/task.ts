/**
 * `Task`: one task of a run, its attempts, artifacts and logs.
 *
 * @module
 */
import type {
  AttemptDoneRecord,
  AttemptStartRecord,
  FlowDatastore,
  ForeachFrame,
  LogStream,
  TaskDatastore,
  TaskErrorInfo,
} from '../datastore/index.js';
import { readJsonRecord } from '../datastore/index.js';
import { DataArtifact } from './artifact.js';
import { NotFoundError } from './errors.js';
import { mapLimit, READ_CONCURRENCY } from './pool.js';

/**
 * How an attempt (or a task, by its current attempt) ended. `unfinished`: no done record yet — the
 * attempt is running, or its process died without the runtime recording it.
 *
 * @example
 * ```ts
 * if (task.exitStatus === 'failed') console.error(task.exception?.message);
 * ```
 */
export type AttemptStatus = 'successful' | 'failed' | 'killed' | 'unfinished';

/**
 * One attempt of a task, from its start and done records.
 *
 * @example
 * ```ts
 * for (const a of await task.attempts()) console.log(a.attempt, a.status, a.error?.message);
 * ```
 */
export interface AttemptInfo {
  readonly attempt: number;
  readonly status: AttemptStatus;
  /** True when the attempt succeeded. */
  readonly ok: boolean;
  /** True when it has a done record. */
  readonly finished: boolean;
  /** True when the runtime stopped it (timeout, interrupt) or recorded it after its process died. */
  readonly killed: boolean;
  readonly startedAt?: Date;
  readonly endedAt?: Date;
  readonly error?: TaskErrorInfo;
  readonly host?: string;
  /** Pathspec of the task `resume` cloned this attempt from. */
  readonly clonedFrom?: string;
  /** Timing and volume figures (artifact bytes and milliseconds). */
  readonly metrics?: Readonly<Record<string, number>>;
  /** What a compute layer or decorator kept with the attempt's start record (resources, job id, ...). */
  readonly extra?: Readonly<Record<string, unknown>>;
}

const ATTEMPT_FILE = /^(\d+)\.(attempt|done)\.json$/;
/** `<attempt>.<name>.json` records a compute layer or decorator keeps beside the attempt's own. */
const SIDE_RECORD = /^(\d+)\.([a-z][a-z0-9-]*)\.json$/;
/** The attempt's own records (and the log record), which are not side records. */
const OWN_RECORDS = new Set(['attempt', 'done', 'data', 'logs']);

/** The records a {@link Task} is built from. */
interface TaskRecords {
  readonly attempts: readonly number[];
  readonly done: readonly number[];
  readonly start?: AttemptStartRecord;
  readonly latestDone?: AttemptDoneRecord;
}

/**
 * One task (`Flow/run/step/task`). Its state (attempts, status, foreach position) is read when the
 * object is made; artifacts and logs are read on demand. Artifacts are those of the latest attempt
 * that finished (ok or not: a failed attempt keeps what it set before throwing).
 *
 * @example
 * ```ts
 * const task = await run.step('train').then((s) => s.task());
 * if (task.successful) console.log(await (await task.artifact('score')).value());
 * else console.error(task.exception?.stack);
 * console.log(await task.stdout());
 * ```
 */
export class Task {
  /** Discriminates the objects {@link getByPathspec} returns. */
  readonly kind = 'task' as const;
  readonly flowName: string;
  readonly runId: string;
  readonly stepName: string;
  readonly id: string;
  /** `Flow/run/step/task`. */
  readonly pathspec: string;
  /** Attempts that started or finished, ascending. */
  readonly attemptNumbers: readonly number[];
  /** The highest attempt started (0 when none has). */
  readonly currentAttempt: number;
  private readonly records: TaskRecords;
  private readonly datastore: FlowDatastore;
  private readonly td: TaskDatastore;

  private constructor(datastore: FlowDatastore, td: TaskDatastore, records: TaskRecords) {
    this.datastore = datastore;
    this.td = td;
    this.records = records;
    this.flowName = td.flow;
    this.runId = td.runId;
    this.stepName = td.step;
    this.id = td.taskId;
    this.pathspec = td.pathspec;
    this.attemptNumbers = records.attempts;
    this.currentAttempt = records.attempts.at(-1) ?? 0;
  }

  /**
   * Reads a task's records. Internal: use `step.task(id)` or {@link getByPathspec}.
   *
   * @example
   * ```ts
   * const task = await Task.load(fds, '17', 'train', '3');
   * ```
   */
  static async load(datastore: FlowDatastore, runId: string, step: string, taskId: string): Promise<Task> {
    const td = datastore.task(runId, step, taskId);
    const started = new Set<number>();
    const done = new Set<number>();
    for (const entry of await td.storage.list(td.prefix)) {
      const match = entry.isPrefix ? null : ATTEMPT_FILE.exec(entry.key.slice(td.prefix.length));
      if (match) (match[2] === 'done' ? done : started).add(Number(match[1]));
    }
    const attempts = [...new Set([...started, ...done])].sort((a, b) => a - b);
    const doneList = [...done].sort((a, b) => a - b);
    const current = attempts.at(-1);
    const lastDone = doneList.at(-1);
    const [start, latestDone] = await Promise.all([
      current === undefined ? undefined : td.readAttemptStart(current),
      lastDone === undefined ? undefined : td.readDone(lastDone),
    ]);
    return new Task(datastore, td, { attempts, done: doneList, start, latestDone });
  }

  /** True when the current attempt has a done record. */
  get finished(): boolean {
    const last = this.records.latestDone;
    return last !== undefined && last.attempt >= this.currentAttempt;
  }

  /** True when the current attempt finished and succeeded. */
  get successful(): boolean {
    return this.finished && this.records.latestDone?.ok === true;
  }

  /** How the current attempt ended. */
  get exitStatus(): AttemptStatus {
    return this.finished ? statusOf(this.records.latestDone) : 'unfinished';
  }

  /**
   * The exception of the latest finished attempt when it failed (as in Metaflow, `undefined` once a
   * retry succeeded: see {@link Task.attempts} for earlier failures).
   */
  get exception(): TaskErrorInfo | undefined {
    return errorOf(this.records.latestDone);
  }

  /** When the current attempt started. */
  get startedAt(): Date | undefined {
    return dateOf(this.records.start?.startedAt);
  }

  /** When the current attempt ended (`undefined` while unfinished). */
  get finishedAt(): Date | undefined {
    return this.finished ? dateOf(this.records.latestDone?.endedAt) : undefined;
  }

  /** The foreach splits this task descends from, outermost first (empty outside a foreach). */
  get foreachStack(): readonly ForeachFrame[] {
    return this.records.start?.foreachStack ?? [];
  }

  /** This task's index in the innermost foreach, if any. */
  get index(): number | undefined {
    return this.foreachStack.at(-1)?.index;
  }

  /** Pathspecs (`Flow/run/step/task`) of the tasks whose artifacts this task received. */
  get inputs(): readonly string[] {
    return (this.records.start?.inputs ?? []).map((i) => `${this.flowName}/${this.runId}/${i}`);
  }

  /** Pathspec of the task `resume` cloned this one from, if it was cloned. */
  get clonedFrom(): string | undefined {
    return this.records.latestDone?.clonedFrom;
  }

  /** The attempt whose artifacts {@link Task.artifacts} shows: the latest finished one. */
  get artifactsAttempt(): number | undefined {
    return this.records.latestDone?.attempt;
  }

  /** Every attempt with its start and done records, ascending. */
  async attempts(): Promise<AttemptInfo[]> {
    return await mapLimit(this.attemptNumbers, READ_CONCURRENCY, async (attempt) => {
      const [start, done] = await Promise.all([this.td.readAttemptStart(attempt), this.td.readDone(attempt)]);
      return attemptInfo(attempt, start, done);
    });
  }

  /**
   * The records a compute layer or decorator kept beside an attempt's own (`<attempt>.<name>.json`, e.g.
   * `batch`: the AWS Batch job id, queue, status reason, log stream), by name. Empty when there are none.
   *
   * @example
   * ```ts
   * const { batch } = await task.attemptRecords(0);
   * ```
   */
  async attemptRecords(attempt: number = this.currentAttempt): Promise<Record<string, unknown>> {
    const names: string[] = [];
    for (const entry of await this.td.storage.list(this.td.prefix)) {
      const match = entry.isPrefix ? null : SIDE_RECORD.exec(entry.key.slice(this.td.prefix.length));
      if (match && Number(match[1]) === attempt && !OWN_RECORDS.has(match[2])) names.push(match[2]);
    }
    const values = await mapLimit(names.sort(), READ_CONCURRENCY, (name) =>
      readJsonRecord<unknown>(this.td.storage, `${this.td.prefix}${attempt}.${name}.json`),
    );
    return Object.fromEntries(names.map((name, i) => [name, values[i]]).filter(([, v]) => v !== undefined));
  }

  /** The artifacts of the latest finished attempt, in the order the task stored them. */
  async artifacts(): Promise<DataArtifact[]> {
    const attempt = this.artifactsAttempt;
    if (attempt === undefined) return [];
    const refs = (await this.td.readData(attempt)) ?? {};
    return Object.entries(refs).map(
      ([name, ref]) => new DataArtifact(this.datastore, this.pathspec, name, ref),
    );
  }

  /** One artifact; throws a `NotFoundError` listing the task's artifacts when it has no such one. */
  async artifact(name: string): Promise<DataArtifact> {
    const all = await this.artifacts();
    const found = all.find((a) => a.name === name);
    if (found) return found;
    throw new NotFoundError({
      kind: 'artifact',
      pathspec: `${this.pathspec}/${name}`,
      nearby: all.map((a) => a.name),
      root: this.td.storage.root,
      detail: this.artifactsAttempt === undefined ? 'The task has no finished attempt yet.' : undefined,
    });
  }

  /** The artifacts' values by name: all of them, or the `names` given. */
  async data(names?: readonly string[]): Promise<Record<string, unknown>> {
    const chosen = names ? await Promise.all(names.map((n) => this.artifact(n))) : await this.artifacts();
    const values = await mapLimit(chosen, READ_CONCURRENCY, (a) => a.value());
    return Object.fromEntries(chosen.map((a, i) => [a.name, values[i]]));
  }

  /** The captured stdout of an attempt (default: the current one); `''` when it printed nothing. */
  async stdout(attempt?: number): Promise<string> {
    return await this.log('stdout', attempt);
  }

  /** The captured stderr of an attempt (default: the current one); `''` when it printed nothing. */
  async stderr(attempt?: number): Promise<string> {
    return await this.log('stderr', attempt);
  }

  /**
   * The captured log of an attempt (default: the current one) as it is stored: its segments, in order, read
   * one at a time, so a log of any size is read in bounded memory. The logs of an attempt are whole once
   * its log record exists (`<attempt>.logs.json`); before that (a running task, or one stopped before its
   * logs were saved) this yields what was saved so far.
   *
   * @example
   * ```ts
   * for await (const part of task.logParts('stdout')) process.stdout.write(part);
   * ```
   */
  async *logParts(stream: LogStream, attempt?: number): AsyncGenerator<Buffer> {
    yield* this.td.logSegments(this.checkAttempt(attempt), stream);
  }

  /**
   * What could not be saved of an attempt's logs (default: the current one), from its log record
   * (`<attempt>.logs.json`); `[]` when everything was, or when there is no record.
   *
   * @example
   * ```ts
   * for (const w of await task.logWarnings()) console.warn(`${task.pathspec}: ${w}`);
   * ```
   */
  async logWarnings(attempt?: number): Promise<readonly string[]> {
    return (await this.td.readLogRecord(this.checkAttempt(attempt)))?.warnings ?? [];
  }

  private async log(stream: LogStream, attempt: number | undefined): Promise<string> {
    return (await this.td.readLog(this.checkAttempt(attempt), stream))?.toString('utf8') ?? '';
  }

  private checkAttempt(attempt: number | undefined): number {
    const which = attempt ?? this.currentAttempt;
    if (attempt !== undefined && !this.attemptNumbers.includes(attempt)) {
      throw new NotFoundError({
        kind: 'attempt',
        pathspec: this.pathspec,
        label: `Attempt ${attempt} of task ${this.pathspec}`,
        nearby: this.attemptNumbers.map(String),
        root: this.td.storage.root,
      });
    }
    return which;
  }
}

function statusOf(done: AttemptDoneRecord | undefined): AttemptStatus {
  if (!done) return 'unfinished';
  if (done.ok) return 'successful';
  return done.killed ? 'killed' : 'failed';
}

function errorOf(done: AttemptDoneRecord | undefined): TaskErrorInfo | undefined {
  if (!done || done.ok) return undefined;
  if (done.error) return done.error;
  return {
    type: done.killed ? 'Killed' : 'Failed',
    message: done.killed
      ? `attempt ${done.attempt} was stopped before it finished`
      : `attempt ${done.attempt} failed without recording an error`,
  };
}

function dateOf(iso: string | undefined): Date | undefined {
  return iso === undefined ? undefined : new Date(iso);
}

function attemptInfo(
  attempt: number,
  start: AttemptStartRecord | undefined,
  done: AttemptDoneRecord | undefined,
): AttemptInfo {
  const info: AttemptInfo = {
    attempt,
    status: statusOf(done),
    ok: done?.ok === true,
    finished: done !== undefined,
    killed: done?.killed === true,
    startedAt: dateOf(start?.startedAt),
    endedAt: dateOf(done?.endedAt),
    error: errorOf(done),
    host: start?.host,
    clonedFrom: done?.clonedFrom,
    metrics: done?.metrics,
    extra: start?.extra,
  };
  return Object.fromEntries(
    Object.entries(info).filter(([, v]) => v !== undefined),
  ) as unknown as AttemptInfo;
}
