/**
 * `stepflow dump <Flow/run/step[/task]> [--json]`: the artifacts of past tasks, as a table or as JSON.
 *
 * @module
 */
import { once } from 'node:events';
import {
  ClientError,
  type DataArtifact,
  getByPathspec,
  type JsonValue,
  type Task,
  toTaggedJson,
} from '../../client/index.js';
import { mapAhead } from '../../common/index.js';
import { readAnyRun, readErrorExit } from './logs.js';

/**
 * Options of {@link dumpCommand}.
 *
 * @example
 * ```ts
 * const options: DumpOptions = { json: true, datastoreRoot: '/tmp/ds' };
 * ```
 */
export interface DumpOptions {
  /** Print the values as (tagged) JSON instead of a table of names, types and sizes. */
  readonly json?: boolean;
  readonly datastoreRoot?: string;
}

/**
 * The help text after the options of `stepflow dump --help`: what is printed, and the tagged JSON form.
 *
 * @example
 * ```ts
 * command.addHelpText('after', DUMP_HELP);
 * ```
 */
export const DUMP_HELP = `
Without --json, prints a table of each task's artifacts (name, type, size, and a preview of small
scalars). With --json, prints {name: value} for a task and {taskId: {name: value}} for a step.
Artifacts are those of each task's latest finished attempt. Any run can be read, whatever its
namespace. The datastore is --datastore-root (a folder, or s3://bucket/prefix for the S3 datastore), else
the configured one (METAFLOW_DEFAULT_DATASTORE and its METAFLOW_DATASTORE_SYSROOT_*), else ./.stepflow.

Values with no JSON form are written as objects tagged with "$type" (never dropped):
  undefined                      {"$type":"Undefined"}
  NaN, Infinity, -Infinity, -0   {"$type":"Number","value":"NaN"}
  BigInt                         {"$type":"BigInt","value":"123"}
  Date                           {"$type":"Date","value":"2026-01-02T03:04:05.000Z"}
  RegExp                         {"$type":"RegExp","source":"a+","flags":"g"}
  Map                            {"$type":"Map","entries":[[key,value],...]}
  Set                            {"$type":"Set","values":[...]}
  typed array                    {"$type":"Float64Array","values":[...]}  (BigInt64 values as strings)
  Buffer, ArrayBuffer, DataView  {"$type":"Buffer","base64":"..."}
  Error                          {"$type":"Error","name":"...","message":"...","stack":"...","cause":...}
  boxed primitive                {"$type":"Boxed","value":...}
  sparse array hole              {"$type":"Hole"}
  object with its own "$type"    {"$type":"Object","value":{...}}
  reference to an enclosing value {"$type":"Cycle","path":"$.a.b"}  (a path into this artifact's JSON)
Tags nest (a Map's keys and values are tagged too). The client's fromTaggedJson() reads this form back.

Examples:
  stepflow dump TrainFlow/1764081234567123/end
  stepflow dump TrainFlow/1764081234567123/train --json`;

/**
 * Prints the artifacts a pathspec names; returns the exit code (1 with one error line when it names
 * nothing that exists).
 *
 * @example
 * ```ts
 * process.exitCode = await dumpCommand('TrainFlow/17/end', { json: true });
 * ```
 */
export async function dumpCommand(pathspec: string, options: DumpOptions = {}): Promise<number> {
  try {
    const target = await getByPathspec(pathspec, readAnyRun(options.datastoreRoot));
    if (target.kind !== 'task' && target.kind !== 'step') {
      throw new ClientError(
        `stepflow dump takes a step or task pathspec (Flow/run/step or Flow/run/step/task), not "${pathspec}".`,
      );
    }
    if (target.kind === 'task') {
      const text = options.json
        ? JSON.stringify(await taskJson(target), null, 2)
        : formatTable(await target.artifacts()).slice(0, -1);
      await write(`${text}\n`);
      return 0;
    }
    // A step: its tasks read DUMP_READ_AHEAD at a time ahead of the one printed, and printed as they come,
    // so a 10,000-task step neither waits for each read in turn nor is held in memory whole.
    const step = target;
    const ids = await step.taskIds();
    const read = async (id: string): Promise<string> => {
      const [task] = await step.tasksOf([id]);
      return options.json
        ? `  ${JSON.stringify(id)}: ${JSON.stringify(await taskJson(task), null, 2).replaceAll('\n', '\n  ')}`
        : `==> ${task.pathspec} <==\n${formatTable(await task.artifacts())}`;
    };
    if (options.json && ids.length === 0) await write('{}\n');
    let first = true;
    for await (const text of mapAhead(ids, DUMP_READ_AHEAD, read)) {
      await write(options.json ? `${first ? '{\n' : ',\n'}${text}` : `${first ? '' : '\n'}${text}`);
      first = false;
    }
    if (options.json && ids.length > 0) await write('\n}\n');
    return 0;
  } catch (err) {
    return readErrorExit(err);
  }
}

/**
 * Tasks of a step read ahead of the one `stepflow dump` prints (the client's read concurrency).
 *
 * @example
 * ```ts
 * for await (const text of mapAhead(ids, DUMP_READ_AHEAD, read)) await write(text);
 * ```
 */
export const DUMP_READ_AHEAD = 32;

/** Writes to stdout, waiting for it to drain when its buffer is full. */
async function write(text: string): Promise<void> {
  if (!process.stdout.write(text)) await once(process.stdout, 'drain');
}

async function taskJson(task: Task): Promise<JsonValue> {
  const values = await task.data();
  const out: Record<string, JsonValue> = {};
  for (const [name, value] of Object.entries(values)) out[name] = toTaggedJson(value);
  return out;
}

function formatTable(artifacts: readonly DataArtifact[]): string {
  if (artifacts.length === 0) return '(no artifacts)\n';
  const rows = [
    ['NAME', 'TYPE', 'SIZE', 'PREVIEW'],
    ...artifacts.map((a) => [a.name, a.type, formatSize(a.size), a.preview ?? '']),
  ];
  const widths = [0, 1, 2].map((c) => Math.max(...rows.map((r) => r[c].length)));
  return rows
    .map((r) =>
      [r[0].padEnd(widths[0]), r[1].padEnd(widths[1]), r[2].padStart(widths[2]), r[3]].join('  ').trimEnd(),
    )
    .map((line) => `${line}\n`)
    .join('');
}

function formatSize(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(1)} ${units[unit]}`;
}
