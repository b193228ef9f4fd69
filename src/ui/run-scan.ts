/**
 * What the pages read first: one listing of a run (or a step, or a task), turned into each task's
 * attempts and records, with a signature of the keys (the pages' cheap version: a record appearing
 * anywhere changes it). Records of finished attempts never change, so {@link RecordCache} keeps what
 * the pages need of them across polls and only new records are read.
 *
 * @module
 */
import { createHash } from 'node:crypto';
import { mapBounded } from '../common/limit.js';
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
  /** Side records (`batch`, ...) by attempt. */
  readonly records: Map<number, string[]>;
  /** The task's keys that were grouped. */
  readonly keys: string[];
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
      task = { id, attempts: [], done: new Set(), records: new Map(), keys: [] };
      tasks.set(id, task);
    }
    task.keys.push(key);
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
  const match = RECORD_FILE.exec(file);
  if (!match) return;
  const attempt = Number(match[1]);
  const name = match[2] as string;
  if (name === 'attempt' || name === 'done') {
    if (!task.attempts.includes(attempt)) task.attempts.push(attempt);
    if (name === 'done') task.done.add(attempt);
  } else if (!OWN_RECORDS.has(name)) {
    task.records.set(attempt, [...(task.records.get(attempt) ?? []), name].sort());
  }
}

/**
 * The attempt of a side record's key (`.../<attempt>.<name>.json` with a name not of the attempt's own
 * records), else `undefined`.
 *
 * @example
 * ```ts
 * sideRecordAttempt('F/1/s/2/1.batch.json'); // 1
 * ```
 */
export function sideRecordAttempt(key: string): number | undefined {
  const match = RECORD_FILE.exec(key.slice(key.lastIndexOf('/') + 1));
  if (!match || OWN_RECORDS.has(match[2] as string)) return undefined;
  return Number(match[1]);
}

function sortTaskIds(ids: string[]): string[] {
  const numeric = (s: string) => /^\d+$/.test(s);
  return ids.sort((a, b) => {
    if (numeric(a) && numeric(b)) return Number(a) - Number(b) || a.localeCompare(b);
    if (numeric(a) !== numeric(b)) return numeric(a) ? -1 : 1;
    return a < b ? -1 : a > b ? 1 : 0;
  });
}

/** Records read synchronously between two yields to the event loop. */
const SYNC_BATCH = 200;
/** Folders listed at once. */
const LISTS_IN_FLIGHT = 32;
/** Above this many task folders to list, a backend other than local lists the step in one go. */
const FOLDER_LISTS_MAX = 20;

/**
 * Keys the run and step pages follow: not the logs (`*.log`) nor the log record, which they do not show
 * (a growing log must not make them rebuild).
 *
 * @example
 * ```ts
 * followed('F/1/s/2/0.done.json'); // true
 * ```
 */
export function followed(key: string): boolean {
  return !key.endsWith('.log') && !key.endsWith('.logs.json');
}

/**
 * The key under which a task known to have succeeded keeps the keys it had (they no longer change).
 *
 * @example
 * ```ts
 * cache.keep(finishedKey('F/1/s/', '2'), files.keys);
 * ```
 */
export function finishedKey(stepPrefix: string, id: string): string {
  return `${stepPrefix}${id}/#keys`;
}

/**
 * A step's tasks from listings, and the signature of their keys. Tasks known to have succeeded are not
 * listed again (their keys come from the cache); the others' folders are listed 32 at a time, or (not
 * local, many of them) the step at once. The signature is the same whichever way a task's keys came.
 *
 * @example
 * ```ts
 * const { scan, signature } = await scanStep(storage, cache, 'MyFlow/17/', 'train');
 * ```
 */
export async function scanStep(
  storage: StorageBackend,
  cache: RecordCache,
  runPrefix: string,
  step: string,
): Promise<{ scan: StepScan; signature: string }> {
  const prefix = `${runPrefix}${step}/`;
  const ids = (await storage.list(prefix))
    .filter((e) => e.isPrefix)
    .map((e) => e.key.slice(prefix.length, -1));
  const keys: string[] = [];
  const unknown: string[] = [];
  for (const id of ids) {
    const kept = cache.get<string[]>(finishedKey(prefix, id));
    if (kept) keys.push(...kept);
    else unknown.push(id);
  }
  if (storage.kind === 'local' || unknown.length <= FOLDER_LISTS_MAX) {
    const listed = await mapBounded(unknown, LISTS_IN_FLIGHT, (id) => storage.list(`${prefix}${id}/`));
    for (const entries of listed)
      for (const e of entries) if (!e.isPrefix && followed(e.key)) keys.push(e.key);
  } else if (unknown.length > 0) {
    const wanted = new Set(unknown);
    for (const e of await storage.list(prefix, { recursive: true })) {
      const id = e.key.slice(prefix.length, e.key.indexOf('/', prefix.length));
      if (!e.isPrefix && wanted.has(id) && followed(e.key)) keys.push(e.key);
    }
  }
  keys.sort();
  const scan = groupKeys(keys, runPrefix).get(step) ?? { ids: [], tasks: new Map() };
  return { scan, signature: signatureOf(keys) };
}

/**
 * Every step of a run ({@link scanStep} each) and the run's own records (`_meta/`: its status).
 *
 * @example
 * ```ts
 * const { steps, signature } = await scanRun(storage, cache, 'MyFlow/17/');
 * ```
 */
export async function scanRun(
  storage: StorageBackend,
  cache: RecordCache,
  runPrefix: string,
): Promise<{ steps: Map<string, StepScan>; signature: string }> {
  const names = (await storage.list(runPrefix))
    .filter((e) => e.isPrefix)
    .map((e) => e.key.slice(runPrefix.length, -1))
    .filter((n) => n !== META_DIR && n !== PARAMETERS_STEP)
    .sort();
  const [meta, ...scans] = await Promise.all([
    listKeys(storage, `${runPrefix}${META_DIR}/`),
    ...names.map((n) => scanStep(storage, cache, runPrefix, n)),
  ]);
  const steps = new Map(names.map((n, i) => [n, scans[i]?.scan ?? { ids: [], tasks: new Map() }]));
  return { steps, signature: signatureOf([meta.signature, ...names, ...scans.map((x) => x.signature)]) };
}

/**
 * Every key under `prefix` (recursively, sorted) that `keep` accepts, and their signature.
 *
 * @example
 * ```ts
 * const { keys, signature } = await listKeys(storage, 'MyFlow/17/start/1/');
 * ```
 */
export async function listKeys(
  storage: StorageBackend,
  prefix: string,
  keep: (key: string) => boolean = () => true,
): Promise<{ keys: string[]; signature: string }> {
  const entries = await storage.list(prefix, { recursive: true });
  const keys = entries.filter((e) => !e.isPrefix && keep(e.key)).map((e) => e.key);
  keys.sort();
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

  /**
   * Reads the records at `keys` not kept yet with the local backend's synchronous read, 200 at a time
   * with a yield to the event loop between: records of a local datastore sit in the page cache, where
   * 10,000 small async reads (open, stat, read, close on the thread pool) cost several times more than
   * sync ones. Other backends (S3's sync read is a worker round trip) are left to {@link RecordCache.read};
   * so is a record that is missing or not valid JSON here (read() says what is wrong).
   */
  async prefetch<R, S>(
    storage: StorageBackend,
    keys: readonly string[],
    summarize: (record: R) => S,
  ): Promise<void> {
    const sync = storage as StorageBackend & { getSync?: (key: string) => Buffer | undefined };
    if (storage.kind !== 'local' || typeof sync.getSync !== 'function') return;
    const missing = keys.filter((k) => !this.entries.has(k));
    for (let i = 0; i < missing.length; i += SYNC_BATCH) {
      for (const key of missing.slice(i, i + SYNC_BATCH)) {
        const bytes = sync.getSync(key);
        if (!bytes) continue;
        let record: R;
        try {
          record = JSON.parse(bytes.toString('utf8')) as R;
        } catch {
          continue;
        }
        this.keep(key, summarize(record));
      }
      await new Promise((resolve) => setImmediate(resolve));
    }
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
