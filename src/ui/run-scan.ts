/**
 * What the pages read first: one listing of a run (or a step, or a task), turned into each task's
 * attempts and records, with a signature of the keys (the pages' cheap version: a record appearing
 * anywhere changes it). Records of finished attempts never change, so {@link RecordCache} keeps what
 * the pages need of them across polls and only new records are read.
 *
 * @module
 */
import { createHash } from 'node:crypto';
import { META_DIR, PARAMETERS_STEP, readJsonRecord, type StorageBackend } from '../datastore/index.js';

/** `<attempt>.<name>.json`: an attempt's own records and those a compute layer keeps beside them. */
const RECORD_FILE = /^(\d+)\.([a-z][a-z0-9-]*)\.json$/;
/** The attempt's own records (and the log record): the rest are side records (`batch`, ...). */
const OWN_RECORDS = new Set(['attempt', 'done', 'data', 'logs']);

/**
 * The files of one task, from a listing.
 *
 * @example
 * ```ts
 * const latest = files.attempt; // -1 before any attempt started
 * ```
 */
export interface TaskFiles {
  readonly id: string;
  /** Attempts with a start or done record, ascending. */
  readonly attempts: number[];
  /** Attempts with a done record. */
  readonly done: Set<number>;
  /** Attempts whose logs are whole (a `logs.json`). */
  readonly logsDone: Set<number>;
  /** Side records (`batch`, ...) by attempt. */
  readonly records: Map<number, string[]>;
  /** Log keys (`<attempt>.<stream>[.<n>].log`) by attempt. */
  readonly logs: Map<number, string[]>;
}

/**
 * A step's tasks, from a listing, in task id order (numeric ids by value).
 *
 * @example
 * ```ts
 * for (const id of scan.ids) console.log(scan.tasks.get(id)?.attempts);
 * ```
 */
export interface StepScan {
  readonly ids: string[];
  readonly tasks: Map<string, TaskFiles>;
}

/**
 * Groups the keys under `prefix` (`<step>/<task>/<file>` below a run) by step and task. Keys of other
 * shapes are left out.
 *
 * @example
 * ```ts
 * const steps = groupKeys(keys, 'MyFlow/17/');
 * ```
 */
export function groupKeys(keys: readonly string[], prefix: string): Map<string, StepScan> {
  const steps = new Map<string, Map<string, TaskFiles>>();
  for (const key of keys) {
    const parts = key.slice(prefix.length).split('/');
    if (parts.length !== 3) continue;
    const [step, id, file] = parts as [string, string, string];
    if (step === META_DIR || step === PARAMETERS_STEP) continue;
    let tasks = steps.get(step);
    if (!tasks) steps.set(step, (tasks = new Map()));
    let task = tasks.get(id);
    if (!task) {
      task = { id, attempts: [], done: new Set(), logsDone: new Set(), records: new Map(), logs: new Map() };
      tasks.set(id, task);
    }
    addFile(task, file);
  }
  const out = new Map<string, StepScan>();
  for (const [step, tasks] of steps) {
    for (const t of tasks.values()) t.attempts.sort((a, b) => a - b);
    out.set(step, { ids: sortTaskIds([...tasks.keys()]), tasks });
  }
  return out;
}

function addFile(task: TaskFiles, file: string): void {
  const log = /^(\d+)\.(stdout|stderr)(?:\.\d+)?\.log$/.exec(file);
  if (log) {
    const n = Number(log[1]);
    task.logs.set(n, [...(task.logs.get(n) ?? []), file]);
    return;
  }
  const match = RECORD_FILE.exec(file);
  if (!match) return;
  const attempt = Number(match[1]);
  const name = match[2] as string;
  if (name === 'attempt' || name === 'done') {
    if (!task.attempts.includes(attempt)) task.attempts.push(attempt);
    if (name === 'done') task.done.add(attempt);
  } else if (name === 'logs') {
    task.logsDone.add(attempt);
  } else if (!OWN_RECORDS.has(name)) {
    task.records.set(attempt, [...(task.records.get(attempt) ?? []), name].sort());
  }
}

function sortTaskIds(ids: string[]): string[] {
  const numeric = (s: string) => /^\d+$/.test(s);
  return ids.sort((a, b) => {
    if (numeric(a) && numeric(b)) return Number(a) - Number(b) || a.localeCompare(b);
    if (numeric(a) !== numeric(b)) return numeric(a) ? -1 : 1;
    return a < b ? -1 : a > b ? 1 : 0;
  });
}

/**
 * Every key under `prefix` (recursively) and their signature.
 *
 * @example
 * ```ts
 * const { keys, signature } = await listKeys(storage, 'MyFlow/17/');
 * ```
 */
export async function listKeys(
  storage: StorageBackend,
  prefix: string,
  keep: (key: string) => boolean = () => true,
): Promise<{ keys: string[]; signature: string }> {
  const keys = (await storage.list(prefix, { recursive: true }))
    .filter((e) => !e.isPrefix && keep(e.key))
    .map((e) => e.key);
  return { keys, signature: signatureOf(keys) };
}

/**
 * A short hash of strings (order matters).
 *
 * @example
 * ```ts
 * const etag = signatureOf(['a', 'b']);
 * ```
 */
export function signatureOf(parts: readonly string[]): string {
  const hash = createHash('sha1');
  for (const p of parts) hash.update(p).update('\n');
  return hash.digest('base64url');
}

/**
 * What a page needs of a record that never changes once written: an attempt's start record (written
 * once when it starts), its done record, and what the timeline draws of a finished attempt's side
 * records. Kept by key up to a bound (then dropped whole and filled again).
 *
 * @example
 * ```ts
 * const done = await cache.read(storage, key, (r: AttemptDoneRecord) => ({ ok: r.ok }));
 * ```
 */
export class RecordCache {
  private readonly entries = new Map<string, unknown>();

  constructor(private readonly maxEntries = 400_000) {}

  /** Entries held (for tests). */
  get size(): number {
    return this.entries.size;
  }

  /**
   * The summary of the record at `key`: from the cache, or read, summarized and kept (a missing record
   * is `undefined` and not kept).
   */
  async read<R, S>(
    storage: StorageBackend,
    key: string,
    summarize: (record: R) => S,
  ): Promise<S | undefined> {
    if (this.entries.has(key)) return this.entries.get(key) as S;
    const record = await readJsonRecord<R>(storage, key);
    if (record === undefined) return undefined;
    const summary = summarize(record);
    this.keep(key, summary);
    return summary;
  }

  /** Keeps a value computed from records that no longer change. */
  keep(key: string, value: unknown): void {
    if (this.entries.size >= this.maxEntries) this.entries.clear();
    this.entries.set(key, value);
  }

  /** A kept value, if any. */
  get<S>(key: string): S | undefined {
    return this.entries.get(key) as S | undefined;
  }
}
