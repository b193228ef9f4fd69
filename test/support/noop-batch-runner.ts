/**
 * An in-process child runner for the job-runner stand-in (scripts/lib/batch-fault-proxy.mjs, `runner.child`)
 * that runs each AWS Batch job or array child as a NO-OP task: it finds the task the way the container
 * bootstrap does — an array child reads chunk ⌊i/100⌋ of the manifest under `STEPFLOW_ARRAY_MANIFEST`
 * (the contract of issue #14) and takes its entry; a plain job's TaskSpec is the last word of its command —
 * and calls `runNoopTask` (test/support/noop-task.ts) on it, which writes the records of a successful
 * attempt through the real datastore. For tests and benchmarks at a width (10,000 children) where a
 * process or container per task costs too much. The graph comes from the run's record.
 *
 * @module
 */
import { FlowDatastore } from '../../src/datastore/flow-datastore.js';
import type { StorageBackend } from '../../src/datastore/storage.js';
import type { TaskSpec } from '../../src/decorators/contract.js';
import type { FlowGraph } from '../../src/graph/types.js';
import { runNoopTask } from './noop-task.js';

/** The manifest chunk of the contract: `{ version: 1, first, children: [{ task, env }] }`. */
interface ManifestChunk {
  readonly version: number;
  readonly first: number;
  readonly children: readonly { readonly task: TaskSpec; readonly env?: Record<string, string> }[];
}

/**
 * What the stand-in hands the runner (a `RunnerJob` of batch-fault-proxy.d.mts).
 *
 * @example
 * ```ts
 * const job: NoopRunnerJob = { jobId: 'p:7', command: [], environment: { STEPFLOW_ARRAY_MANIFEST: 's3://b/r/' } };
 * ```
 */
export interface NoopRunnerJob {
  readonly jobId: string;
  readonly command: readonly string[];
  readonly environment: Readonly<Record<string, string>>;
}

/**
 * Options of {@link noopChildRunner}.
 *
 * @example
 * ```ts
 * const options: NoopChildRunnerOptions = { storage, inputName: 'item' };
 * ```
 */
export interface NoopChildRunnerOptions {
  /** The run's datastore (the manifest lives under its root). */
  readonly storage: StorageBackend;
  /** Under a foreach, the artifact the frame's item is stored as (as `runNoopTask`'s `inputName`). */
  readonly inputName?: string | null;
  /** Called with each task the runner ran (for assertions). */
  readonly onTask?: (task: TaskSpec, index: number | undefined) => void;
}

/**
 * The storage with each listing made once: the no-op task lists only its input tasks' folders (to find
 * their latest attempt), which are final once their step ended. Real S3 lists by prefix in an index;
 * moto scans every key of the bucket on each list (O(keys)), which at 10,000 children × ~50,000 keys
 * would be the test's whole time, not the runtime's.
 */
function listingOnce(storage: StorageBackend): StorageBackend {
  const lists = new Map<string, ReturnType<StorageBackend['list']>>();
  return new Proxy(storage, {
    get(target, key, receiver) {
      if (key !== 'list') {
        const value = Reflect.get(target, key, receiver);
        return typeof value === 'function' ? value.bind(target) : value;
      }
      return (prefix: string, opts?: { readonly recursive?: boolean }) => {
        const id = `${opts?.recursive ? 'r' : 'd'}:${prefix}`;
        let found = lists.get(id);
        if (!found) {
          found = target.list(prefix, opts);
          lists.set(id, found);
        }
        return found;
      };
    },
  });
}

/**
 * Size of a manifest chunk (contract: chunk k holds children 100k .. 100k+99).
 *
 * @example
 * ```ts
 * const key = `${prefix}${Math.floor(index / MANIFEST_CHUNK)}.json`;
 * ```
 */
export const MANIFEST_CHUNK = 100;

/**
 * A child runner for `startFaultProxy({ runner: { child } })` that runs every job as a no-op task.
 *
 * @example
 * ```ts
 * const proxy = await startFaultProxy({ target: moto.url, runner: { concurrency: 64, child: noopChildRunner({ storage }) } });
 * ```
 */
export function noopChildRunner(
  options: NoopChildRunnerOptions,
): (job: NoopRunnerJob, index: number | undefined) => Promise<number> {
  const storage = listingOnce(options.storage);
  const chunks = new Map<string, Promise<ManifestChunk>>();
  const graphs = new Map<string, Promise<FlowGraph>>();
  const cache = new Map<string, unknown>();
  const root = `${options.storage.root.replace(/\/+$/, '')}/`;

  const chunk = (url: string): Promise<ManifestChunk> => {
    let found = chunks.get(url);
    if (!found) {
      if (!url.startsWith(root)) throw new Error(`manifest ${url} is not under the datastore root ${root}`);
      found = storage.get(url.slice(root.length)).then((body) => {
        if (!body) throw new Error(`manifest chunk ${url} not found`);
        return JSON.parse(body.toString('utf8')) as ManifestChunk;
      });
      chunks.set(url, found);
    }
    return found;
  };
  const graphOf = (task: TaskSpec): Promise<FlowGraph> => {
    const key = `${task.flowName}/${task.runId}`;
    let found = graphs.get(key);
    if (!found) {
      found = new FlowDatastore(storage, task.flowName).readRun(task.runId).then((run) => {
        if (!run) throw new Error(`run ${key} has no run record`);
        return run.graph as FlowGraph;
      });
      graphs.set(key, found);
    }
    return found;
  };

  return async (job, index) => {
    let task: TaskSpec;
    if (index !== undefined) {
      const prefix = job.environment.STEPFLOW_ARRAY_MANIFEST;
      if (!prefix) throw new Error(`array child ${job.jobId} has no STEPFLOW_ARRAY_MANIFEST`);
      const k = Math.floor(index / MANIFEST_CHUNK);
      const c = await chunk(`${prefix}${k}.json`);
      const entry = c.children[index - c.first];
      if (!entry) throw new Error(`manifest chunk ${prefix}${k}.json has no child ${index}`);
      task = entry.task;
    } else {
      task = JSON.parse(job.command.at(-1) ?? 'null') as TaskSpec;
    }
    options.onTask?.(task, index);
    await runNoopTask(task, { graph: await graphOf(task), storage, inputName: options.inputName, cache });
    return 0;
  };
}
