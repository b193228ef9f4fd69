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
 * The inputs file's content: the input paths and, when the runtime knew them, each input's data (written
 * as `{ inputs, inputData }`; a plain JSON array of paths is read too).
 *
 * @example
 * ```ts
 * const file: InputsFile = { inputs: ['work/3', 'work/4'], inputData: [null, null] };
 * ```
 */
export interface InputsFile {
  readonly inputs: readonly string[];
  readonly inputData?: TaskSpec['inputData'];
}

/**
 * Reads the inputs stored at `key` (run-relative `step/taskId` paths, and what the runtime knew of them).
 *
 * @example
 * ```ts
 * const { inputs, inputData } = spec.inputsKey ? await readInputsFile(storage, spec.inputsKey, pathspec) : spec;
 * ```
 */
export async function readInputsFile(
  storage: StorageBackend,
  key: NonNullable<TaskSpec['inputsKey']>,
  pathspec: string,
): Promise<InputsFile> {
  const body = await storage.get(key);
  if (!body) {
    throw new TaskError(
      `the inputs file ${key} of ${pathspec} does not exist; its launcher did not store it`,
      {
        pathspec,
      },
    );
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString('utf8'));
  } catch (err) {
    throw new TaskError(`the inputs file ${key} of ${pathspec} is not valid JSON`, { pathspec, cause: err });
  }
  const file = (Array.isArray(parsed) ? { inputs: parsed } : parsed) as Partial<InputsFile> | null;
  const inputs: unknown = file?.inputs;
  if (!Array.isArray(inputs) || !inputs.every((i) => typeof i === 'string')) {
    throw new TaskError(`the inputs file ${key} of ${pathspec} is not a list of task paths`, { pathspec });
  }
  const data = file?.inputData;
  if (data !== undefined && (!Array.isArray(data) || data.length !== inputs.length)) {
    throw new TaskError(
      `the inputs file ${key} of ${pathspec} has input data that does not match its inputs`,
      {
        pathspec,
      },
    );
  }
  return { inputs, ...(data ? { inputData: data } : {}) };
}
