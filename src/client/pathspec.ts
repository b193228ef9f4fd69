/**
 * Looking objects up by pathspec: `Flow`, `Flow/run`, `Flow/run/step`, `Flow/run/step/task`,
 * `Flow/run/step/task/artifact`.
 *
 * @module
 */
import type { DataArtifact } from './artifact.js';
import type { ClientOptions } from './config.js';
import { ClientError } from './errors.js';
import { Flow } from './flow.js';
import type { Run } from './run.js';
import type { Step } from './step.js';
import type { Task } from './task.js';

/**
 * Any object the client hands out; `kind` tells which.
 *
 * @example
 * ```ts
 * const obj: ClientObject = await getByPathspec('TrainFlow/17/train');
 * if (obj.kind === 'step') console.log((await obj.tasks()).length);
 * ```
 */
export type ClientObject = Flow | Run | Step | Task | DataArtifact;

/**
 * The parts of a pathspec.
 *
 * @example
 * ```ts
 * parsePathspec('TrainFlow/17/train'); // { flow: 'TrainFlow', runId: '17', step: 'train' }
 * ```
 */
export interface PathspecParts {
  readonly flow: string;
  readonly runId?: string;
  readonly step?: string;
  readonly taskId?: string;
  readonly artifact?: string;
}

/**
 * Splits a pathspec into its parts; throws a `ClientError` for an empty part or more than five.
 *
 * @example
 * ```ts
 * parsePathspec('TrainFlow/17/train/3/model'); // { flow, runId: '17', step: 'train', taskId: '3', artifact: 'model' }
 * ```
 */
export function parsePathspec(pathspec: string): PathspecParts {
  const parts = String(pathspec).split('/');
  if (parts.length > 5 || parts.some((p) => p === '')) {
    throw new ClientError(
      `Invalid pathspec "${pathspec}": expected Flow, Flow/run, Flow/run/step, Flow/run/step/task or ` +
        'Flow/run/step/task/artifact (non-empty parts separated by "/").',
    );
  }
  const [flow, runId, step, taskId, artifact] = parts;
  return { flow, runId, step, taskId, artifact };
}

/**
 * The object a pathspec names: a `Flow`, `Run`, `Step`, `Task` or `DataArtifact` (by the number of
 * parts). A run outside the namespace throws a `NamespaceMismatchError` (pass `{ namespace: null }`
 * to read any run); a missing object throws a `NotFoundError` naming what exists.
 *
 * @example
 * ```ts
 * const task = await getByPathspec('TrainFlow/17/train/3');
 * if (task.kind === 'task') console.log(await task.stdout());
 * ```
 */
export async function getByPathspec(pathspec: string, options?: ClientOptions): Promise<ClientObject> {
  const parts = parsePathspec(pathspec);
  const flow = new Flow(parts.flow, options);
  if (parts.runId === undefined) {
    await flow.runIds(); // throws NotFoundError when the flow does not exist
    return flow;
  }
  const run = await flow.run(parts.runId);
  if (parts.step === undefined) return run;
  const step = await run.step(parts.step);
  if (parts.taskId === undefined) return step;
  const task = await step.task(parts.taskId);
  if (parts.artifact === undefined) return task;
  return await task.artifact(parts.artifact);
}
