/**
 * Inputs stored apart from the task spec: a launcher that cannot send a long input list with the spec (a
 * join after a very wide foreach on AWS Batch, whose SubmitJob request is limited to 30 KiB) stores it as
 * a JSON array and sets {@link TaskSpec.inputsKey}; the task reads it back here.
 *
 * @module
 */
import type { StorageBackend } from '../datastore/index.js';
import { TaskError } from './errors.js';
import type { TaskSpec } from './spec.js';

/**
 * Reads the input list stored at `key` (a JSON array of run-relative `step/taskId` paths).
 *
 * @example
 * ```ts
 * const inputs = spec.inputsKey ? await readInputsFile(storage, spec.inputsKey, pathspec) : spec.inputs;
 * ```
 */
export async function readInputsFile(
  storage: StorageBackend,
  key: NonNullable<TaskSpec['inputsKey']>,
  pathspec: string,
): Promise<string[]> {
  const body = await storage.get(key);
  if (!body) {
    throw new TaskError(
      `the inputs file ${key} of ${pathspec} does not exist; its launcher did not store it`,
      {
        pathspec,
      },
    );
  }
  let inputs: unknown;
  try {
    inputs = JSON.parse(body.toString('utf8'));
  } catch (err) {
    throw new TaskError(`the inputs file ${key} of ${pathspec} is not valid JSON`, { pathspec, cause: err });
  }
  if (!Array.isArray(inputs) || !inputs.every((i) => typeof i === 'string')) {
    throw new TaskError(`the inputs file ${key} of ${pathspec} is not a list of task paths`, { pathspec });
  }
  return inputs;
}
