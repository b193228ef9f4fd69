/**
 * `Step`: the tasks one step of a run ran (one, or one per foreach split).
 *
 * @module
 */
import { type FlowDatastore, runPrefix, sortIds } from '../datastore/index.js';
import { NotFoundError } from './errors.js';
import { mapLimit, READ_CONCURRENCY } from './pool.js';
import { type AttemptStatus, Task } from './task.js';

/**
 * How one task of a step stands, as {@link Step.taskStates} reads it.
 *
 * @example
 * ```ts
 * const running = (await step.taskStates()).filter((t) => t.status === 'unfinished');
 * ```
 */
export interface TaskState {
  readonly id: string;
  /** The highest attempt started (0 when none has). */
  readonly attempt: number;
  /** How that attempt ended (`unfinished` without a done record), as `Task.exitStatus`. */
  readonly status: AttemptStatus;
}

const ATTEMPT_FILE = /^(\d+)\.(attempt|done)\.json$/;

/**
 * One step of a run (`Flow/run/step`).
 *
 * @example
 * ```ts
 * const step = await run.step('train');
 * for (const task of await step.tasks()) console.log(task.pathspec, task.exitStatus);
 * const first = await step.task();
 * ```
 */
export class Step {
  /** Discriminates the objects {@link getByPathspec} returns. */
  readonly kind = 'step' as const;
  readonly flowName: string;
  readonly runId: string;
  readonly name: string;
  /** `Flow/run/step`. */
  readonly pathspec: string;
  private readonly datastore: FlowDatastore;

  /** Internal: use `run.step(name)`, `run.steps()` or {@link getByPathspec}. */
  constructor(datastore: FlowDatastore, runId: string, name: string) {
    this.datastore = datastore;
    this.flowName = datastore.flow;
    this.runId = runId;
    this.name = name;
    this.pathspec = `${datastore.flow}/${runId}/${name}`;
  }

  /** The ids of the step's tasks, numeric ids in numeric order. */
  async taskIds(): Promise<string[]> {
    return await this.datastore.listTasks(this.runId, this.name);
  }

  /** Every task of the step, in task id order (read with bounded parallelism). */
  async tasks(): Promise<Task[]> {
    const ids = await this.taskIds();
    return await mapLimit(ids, READ_CONCURRENCY, (id) =>
      Task.load(this.datastore, this.runId, this.name, id),
    );
  }

  /**
   * The tasks with these ids (from {@link Step.taskIds} or {@link Step.taskStates}), in the order given,
   * without listing the step again: a page of a wide step.
   *
   * @example
   * ```ts
   * const page = await step.tasksOf(ids.slice(0, 100));
   * ```
   */
  async tasksOf(ids: readonly string[]): Promise<Task[]> {
    return await mapLimit([...ids], READ_CONCURRENCY, (id) =>
      Task.load(this.datastore, this.runId, this.name, id),
    );
  }

  /**
   * Every task's id, current attempt and state, read from one listing of the step and the tasks' latest
   * done records: a third of the reads of {@link Step.tasks} (which also reads each start record), for
   * wide foreach steps.
   */
  async taskStates(): Promise<TaskState[]> {
    const prefix = `${runPrefix(this.flowName, this.runId)}${this.name}/`;
    const files = new Map<string, { started: number; done: number }>();
    for (const entry of await this.datastore.storage.list(prefix, { recursive: true })) {
      const rest = entry.key.slice(prefix.length);
      const slash = rest.indexOf('/');
      if (entry.isPrefix || slash <= 0) continue;
      const id = rest.slice(0, slash);
      const seen = files.get(id) ?? { started: -1, done: -1 };
      files.set(id, seen);
      const match = ATTEMPT_FILE.exec(rest.slice(slash + 1));
      if (!match) continue;
      const n = Number(match[1]);
      if (match[2] === 'done') seen.done = Math.max(seen.done, n);
      else seen.started = Math.max(seen.started, n);
    }
    const ids = sortIds([...files.keys()]);
    return await mapLimit(ids, READ_CONCURRENCY, async (id): Promise<TaskState> => {
      const { started, done } = files.get(id) ?? { started: -1, done: -1 };
      const attempt = Math.max(0, started, done);
      if (done < attempt || done < 0) return { id, attempt, status: 'unfinished' };
      const record = await this.datastore.task(this.runId, this.name, id).readDone(done);
      const status: AttemptStatus = !record
        ? 'unfinished'
        : record.ok
          ? 'successful'
          : record.killed
            ? 'killed'
            : 'failed';
      return { id, attempt, status };
    });
  }

  /**
   * One task: the one with `id`, or without `id` the first (the only one, unless the step ran in a
   * foreach). Throws a `NotFoundError` listing the step's tasks when there is no such task.
   */
  async task(id?: string): Promise<Task> {
    const ids = await this.taskIds();
    const chosen = id ?? ids[0];
    if (chosen === undefined || !ids.includes(chosen)) {
      throw new NotFoundError({
        kind: 'task',
        pathspec: `${this.pathspec}/${id ?? '<any>'}`,
        nearby: ids,
        root: this.datastore.storage.root,
      });
    }
    return await Task.load(this.datastore, this.runId, this.name, chosen);
  }
}
