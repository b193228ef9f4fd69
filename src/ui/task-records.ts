/**
 * The states, rows and timeline bars of a step's tasks, from a listing ({@link StepScan}) and the few
 * records each needs: a task's state from its latest done record, a row or bar from its start and done
 * records, resubmissions from its side records (see {@link scanStep}). Records of finished attempts come from the
 * {@link RecordCache}, so a refresh reads only what appeared since; reads run 32 at a time.
 *
 * @module
 */
import type { AttemptStatus } from '../client/index.js';
import { mapBounded } from '../common/limit.js';
import {
  type AttemptDoneRecord,
  type AttemptStartRecord,
  readJsonRecord,
  runPrefix,
  type StorageBackend,
  taskPrefix,
} from '../datastore/index.js';
import type { Resubmit, TaskSummary, TimelineBar, UiState } from './api-types.js';
import { finishedKey, type RecordCache, type StepScan, type TaskFiles } from './run-scan.js';
import { resubmitsOf } from './side-records.js';
import type { SideRecordWatch } from './side-watch.js';

/** Reads in flight at once. */
export const READS_IN_FLIGHT = 32;

interface StartSummary {
  readonly startedAt: string;
  readonly index?: number;
}

interface DoneSummary {
  readonly status: AttemptStatus;
  readonly endedAt: string;
}

/**
 * A task's state as the pages show it: unfinished ones of a run that ended were stopped with it.
 *
 * @example
 * ```ts
 * uiState('unfinished', 'failed'); // 'interrupted'
 * ```
 */
export function uiState(status: AttemptStatus, runStatus: UiState): UiState {
  if (status !== 'unfinished') return status;
  return runStatus === 'running' ? 'running' : 'interrupted';
}

/**
 * Reads what the pages need of one step's tasks.
 *
 * @example
 * ```ts
 * const reader = new StepReader(storage, cache, 'MyFlow', '17', 'train', scan);
 * const states = await reader.states('running');
 * ```
 */
export class StepReader {
  constructor(
    private readonly storage: StorageBackend,
    private readonly cache: RecordCache,
    private readonly flow: string,
    private readonly runId: string,
    private readonly step: string,
    readonly scan: StepScan,
    private readonly watch?: SideRecordWatch,
  ) {}

  /**
   * Every task's state, in task id order (only latest done records are read, each once). A task that
   * succeeded keeps its keys in the cache: its folder is not listed again ({@link scanStep}).
   */
  async states(runStatus: UiState): Promise<{ id: string; state: UiState }[]> {
    const stepPrefix = `${runPrefix(this.flow, this.runId)}${this.step}/`;
    const doneKeys = this.scan.ids.flatMap((id) => {
      const files = this.files(id);
      const attempt = latest(files);
      return files.done.has(attempt) ? [this.doneKey(id, attempt)] : [];
    });
    await this.cache.prefetch(this.storage, doneKeys, summarizeDone);
    return await mapBounded(this.scan.ids, READS_IN_FLIGHT, async (id) => {
      const files = this.files(id);
      const status = await this.status(files, latest(files));
      if (status === 'successful') this.cache.keep(finishedKey(stepPrefix, id), files.keys);
      return { id, state: uiState(status, runStatus) };
    });
  }

  /** The rows of the tasks `ids`, in that order. */
  async rows(ids: readonly string[], runStatus: UiState): Promise<TaskSummary[]> {
    return await mapBounded(ids, READS_IN_FLIGHT, async (id): Promise<TaskSummary> => {
      const files = this.files(id);
      const attempt = latest(files);
      const [start, done] = await Promise.all([this.start(id, attempt), this.done(files, attempt)]);
      return {
        id,
        state: uiState(done?.status ?? 'unfinished', runStatus),
        attempt,
        ...(start?.index === undefined ? {} : { index: start.index }),
        ...(start ? { startedAt: start.startedAt } : {}),
        ...(done ? { endedAt: done.endedAt } : {}),
      };
    });
  }

  /** One bar per attempt of the tasks `ids`, with the jobs each attempt resubmitted. */
  async bars(ids: readonly string[], runStatus: UiState): Promise<TimelineBar[]> {
    const starts = ids.flatMap((id) => this.files(id).attempts.map((a) => this.startKey(id, a)));
    await this.cache.prefetch(this.storage, starts, summarizeStart);
    const perTask = await mapBounded(ids, READS_IN_FLIGHT, async (id) => {
      const files = this.files(id);
      const bars: TimelineBar[] = [];
      for (const attempt of files.attempts) {
        const [start, done, resubmits] = await Promise.all([
          this.start(id, attempt),
          this.done(files, attempt),
          this.resubmits(files, attempt),
        ]);
        bars.push({
          task: `${this.step}/${id}`,
          attempt,
          state: uiState(done?.status ?? 'unfinished', runStatus),
          ...(start ? { startedAt: start.startedAt } : {}),
          ...(done ? { endedAt: done.endedAt } : {}),
          ...(resubmits.length > 0 ? { resubmits } : {}),
        });
      }
      return bars;
    });
    return perTask.flat();
  }

  private files(id: string): TaskFiles {
    const files = this.scan.tasks.get(id);
    if (!files) throw new Error(`internal: task ${id} is not in the listing of ${this.step}`);
    return files;
  }

  private prefix(id: string): string {
    return taskPrefix(this.flow, this.runId, this.step, id);
  }

  private async status(files: TaskFiles, attempt: number): Promise<AttemptStatus> {
    return (await this.done(files, attempt))?.status ?? 'unfinished';
  }

  private startKey(id: string, attempt: number): string {
    return `${this.prefix(id)}${attempt}.attempt.json`;
  }

  private doneKey(id: string, attempt: number): string {
    return `${this.prefix(id)}${attempt}.done.json`;
  }

  private async start(id: string, attempt: number): Promise<StartSummary | undefined> {
    return await this.cache.read(this.storage, this.startKey(id, attempt), summarizeStart);
  }

  private async done(files: TaskFiles, attempt: number): Promise<DoneSummary | undefined> {
    if (!files.done.has(attempt)) return undefined;
    return await this.cache.read(this.storage, this.doneKey(files.id, attempt), summarizeDone);
  }

  /**
   * Side records change while the attempt runs (a job's status, a reclaim): read through the watch
   * (a conditional read; the kept bytes when unchanged), and kept in the cache once the attempt is done.
   */
  private async resubmits(files: TaskFiles, attempt: number): Promise<readonly Resubmit[]> {
    const names = files.records.get(attempt) ?? [];
    if (names.length === 0) return [];
    const key = `${this.prefix(files.id)}${attempt}.resubmits:${names.join(',')}`;
    const kept = this.cache.get<Resubmit[]>(key);
    if (kept) return kept;
    const finished = files.done.has(attempt);
    const records: Record<string, unknown> = {};
    for (const name of names) {
      const recordKey = `${this.prefix(files.id)}${attempt}.${name}.json`;
      if (finished || !this.watch) {
        records[name] = await readJsonRecord<unknown>(this.storage, recordKey);
        this.watch?.forget(recordKey);
      } else {
        records[name] = await this.watch.read(this.storage, recordKey);
      }
    }
    const found = resubmitsOf(records);
    if (finished) this.cache.keep(key, found);
    return found;
  }
}

function summarizeStart(r: AttemptStartRecord): StartSummary {
  const index = r.foreachStack?.at(-1)?.index;
  return { startedAt: r.startedAt, ...(index === undefined ? {} : { index }) };
}

function summarizeDone(r: AttemptDoneRecord): DoneSummary {
  return { status: r.ok ? 'successful' : r.killed ? 'killed' : 'failed', endedAt: r.endedAt };
}

function latest(files: TaskFiles): number {
  return files.attempts.at(-1) ?? 0;
}
