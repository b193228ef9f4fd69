/**
 * `Step`: the tasks one step of a run ran (one, or one per foreach split).
 *
 * @module
 */
import type { FlowDatastore } from '../datastore/index.js';
import { NotFoundError } from './errors.js';
import { mapLimit, READ_CONCURRENCY } from './pool.js';
import { Task } from './task.js';

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
