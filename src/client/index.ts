/**
 * The client API: read past runs, their tasks, artifacts and logs from the datastore, from any
 * machine that can reach it. Reads only the datastore (never the runtime). See `ARCHITECTURE.md`.
 *
 * @example
 * ```ts
 * import { Flow, namespace, getByPathspec } from 'stepflow';
 * namespace(null);
 * const run = await new Flow('TrainFlow').latestSuccessfulRun();
 * const task = await getByPathspec(`TrainFlow/${run?.id}/end/7`);
 * ```
 *
 * @module
 */

export { DataArtifact } from './artifact.js';
export {
  type ClientOptions,
  defaultNamespace,
  getDatastore,
  getNamespace,
  namespace,
  setDatastore,
} from './config.js';
export { ClientError, NamespaceMismatchError, NotFoundError, type ObjectKind } from './errors.js';
export { Flow } from './flow.js';
export { type ClientObject, getByPathspec, type PathspecParts, parsePathspec } from './pathspec.js';
export { Run, type RunStatus } from './run.js';
export { Step, type TaskState } from './step.js';
export { fromTaggedJson, type JsonValue, toTaggedJson } from './tagged-json.js';
export { type AttemptInfo, type AttemptStatus, Task } from './task.js';
