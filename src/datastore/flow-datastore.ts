/**
 * The datastore of one flow: run records, task folders and artifacts.
 *
 * @module
 */

import { ContentStore, type ContentStoreOptions } from './content-store.js';
import { CorruptBlobError, DatastoreError } from './errors.js';
import {
  blobKey,
  checkSegment,
  META_DIR,
  PARAMETERS_STEP,
  PARAMETERS_TASK,
  runIdsNewestFirst,
  runPrefix,
  sortIds,
} from './keys.js';
import { deserializeArtifact, serializeArtifact } from './serializers.js';
import type { StorageBackend } from './storage.js';
import { readJsonRecord, TaskDatastore } from './task-datastore.js';
import type { ArtifactRef, RunRecord, RunStatusRecord } from './types.js';

const DONE_FILE = /^(\d+)\.done\.json$/;

/**
 * Options of a {@link FlowDatastore}.
 *
 * @example
 * ```ts
 * new FlowDatastore(storage, 'TrainFlow', { verifyOnLoad: false });
 * ```
 */
export interface FlowDatastoreOptions extends ContentStoreOptions {
  /** Share one content store (and its counters) between several datastores. */
  readonly contentStore?: ContentStore;
}

/**
 * Everything stored for one flow in one backend. Never touches the file system itself: all I/O
 * goes through the {@link StorageBackend}.
 *
 * @example
 * ```ts
 * const ds = new FlowDatastore(new LocalStorage('/tmp/.stepflow'), 'TrainFlow');
 * const refs = await ds.saveArtifacts({ alpha: 0.1, weights: new Float64Array(1024) });
 * await ds.task('17', 'start', '0').writeData(0, refs);
 * const weights = await ds.loadArtifact(refs.weights); // Float64Array
 * ```
 */
export class FlowDatastore {
  readonly storage: StorageBackend;
  readonly flow: string;
  readonly contentStore: ContentStore;

  constructor(storage: StorageBackend, flow: string, options?: FlowDatastoreOptions) {
    this.storage = storage;
    this.flow = checkSegment('flow name', flow);
    this.contentStore = options?.contentStore ?? new ContentStore(storage, options);
  }

  /** Writes `_meta/run.json` (at run start). */
  async writeRun(record: RunRecord): Promise<void> {
    this.checkFlow(record);
    await this.writeJson(this.metaKey(record.runId, 'run.json'), record);
  }

  private checkFlow(record: RunRecord): void {
    if (record.flowName !== this.flow) {
      throw new DatastoreError(
        `Run record of flow "${record.flowName}" cannot be written to the datastore of flow "${this.flow}".`,
      );
    }
  }

  /**
   * Creates `_meta/run.json` only when the run id is free (atomically, see
   * {@link StorageBackend.createExclusive}): true when this call created the run, false when the id is
   * taken (nothing is written then). This is how a run is named.
   */
  async createRun(record: RunRecord): Promise<boolean> {
    this.checkFlow(record);
    return await this.storage.createExclusive(
      this.metaKey(record.runId, 'run.json'),
      Buffer.from(`${JSON.stringify(record, null, 2)}\n`),
    );
  }

  /** Reads `_meta/run.json`, or `undefined` when the run does not exist. */
  async readRun(runId: string): Promise<RunRecord | undefined> {
    return await readJsonRecord<RunRecord>(this.storage, this.metaKey(runId, 'run.json'));
  }

  /** Writes `_meta/status.json` (at run end). */
  async writeRunStatus(runId: string, record: RunStatusRecord): Promise<void> {
    await this.writeJson(this.metaKey(runId, 'status.json'), record);
  }

  /** Reads `_meta/status.json`, or `undefined` while the run is unfinished (or was killed). */
  async readRunStatus(runId: string): Promise<RunStatusRecord | undefined> {
    return await readJsonRecord<RunStatusRecord>(this.storage, this.metaKey(runId, 'status.json'));
  }

  /**
   * Ids of the flow's runs that have a folder, newest first. The one listing of runs (client, resume,
   * `batch list` use it): folders that are not run ids (`old-copy`, `17-bak`, the blobs' `data`) and files
   * are left out.
   */
  async listRunIds(): Promise<string[]> {
    return runIdsNewestFirst(await this.childNames(`${this.flow}/`));
  }

  /** Steps that have task folders in a run (excluding `_meta` and the `_parameters` pseudo step). */
  async listSteps(runId: string): Promise<string[]> {
    const steps = await this.childNames(
      runPrefix(this.flow, runId),
      (n) => n !== META_DIR && n !== PARAMETERS_STEP,
    );
    return steps.sort();
  }

  /** Task ids of a step in a run (numeric ids in numeric order). */
  async listTasks(runId: string, step: string): Promise<string[]> {
    return sortIds(
      await this.childNames(`${runPrefix(this.flow, runId)}${checkSegment('step name', step)}/`),
    );
  }

  /**
   * The latest attempt with a done record of each task of a step, by task id, from one recursive listing
   * of the step (a few paginated LIST calls for 10,000 tasks on S3, instead of one listing per task).
   */
  async latestDoneAttempts(runId: string, step: string): Promise<Map<string, number>> {
    const prefix = `${runPrefix(this.flow, runId)}${checkSegment('step name', step)}/`;
    const latest = new Map<string, number>();
    for (const entry of await this.storage.list(prefix, { recursive: true })) {
      if (entry.isPrefix) continue;
      const rest = entry.key.slice(prefix.length);
      const slash = rest.indexOf('/');
      const match = slash > 0 ? DONE_FILE.exec(rest.slice(slash + 1)) : null;
      if (!match) continue;
      const id = rest.slice(0, slash);
      latest.set(id, Math.max(latest.get(id) ?? -1, Number(match[1])));
    }
    return latest;
  }

  /** The records of one task. */
  task(runId: string, step: string, taskId: string): TaskDatastore {
    return new TaskDatastore(this.storage, this.flow, runId, step, taskId);
  }

  /** The `_parameters/0` pseudo task, whose artifacts are the run's parameters. */
  parametersTask(runId: string): TaskDatastore {
    return this.task(runId, PARAMETERS_STEP, PARAMETERS_TASK);
  }

  /**
   * Serializes artifacts with the serializer registry and stores them content-addressed.
   * Throws {@link ArtifactSerializationError} (naming the artifact and path) before writing anything.
   */
  async saveArtifacts(values: Record<string, unknown>): Promise<Record<string, ArtifactRef>> {
    const names = Object.keys(values);
    const serialized = names.map((name) => serializeArtifact(name, values[name]));
    const shas = await this.contentStore.saveBlobs(
      this.flow,
      serialized.map((s) => s.chunks),
    );
    const refs: Record<string, ArtifactRef> = {};
    names.forEach((name, i) => {
      const { size, encoding, type, preview } = serialized[i];
      refs[name] = { sha: shas[i], size, encoding, type, ...(preview === undefined ? {} : { preview }) };
    });
    return refs;
  }

  /** Loads and deserializes one artifact. */
  async loadArtifact(ref: ArtifactRef): Promise<unknown> {
    return this.decode(ref, await this.contentStore.loadBlob(this.flow, ref.sha));
  }

  private decode(ref: ArtifactRef, bytes: Buffer): unknown {
    try {
      return deserializeArtifact(ref.encoding, bytes);
    } catch (err) {
      if (err instanceof DatastoreError) throw err;
      const reason = `it cannot be decoded as "${ref.encoding}" (${err instanceof Error ? err.message : String(err)})`;
      throw new CorruptBlobError(blobKey(this.flow, ref.sha), reason, { cause: err });
    }
  }

  /**
   * Loads one artifact synchronously, for lazy access from step code: from the blobs
   * {@link FlowDatastore.prefetchArtifacts} loaded, or directly when the backend can read
   * synchronously (local). Other backends throw unless the artifact was prefetched.
   */
  loadArtifactSync(ref: ArtifactRef): unknown {
    return this.decode(ref, this.contentStore.loadBlobSync(this.flow, ref.sha));
  }

  /** Loads the blobs of artifacts into memory so that {@link FlowDatastore.loadArtifactSync} finds them. */
  async prefetchArtifacts(refs: Iterable<ArtifactRef>): Promise<void> {
    await this.contentStore.prefetch(
      this.flow,
      [...refs].map((ref) => ref.sha),
    );
  }

  /**
   * Prefetches artifacts in one blocking batch of parallel reads when the backend reads remotely (S3), so
   * that step code reading one artifact of each of many inputs does not pay one round trip per input;
   * false when the backend reads synchronously anyway (local), and nothing was read.
   */
  prefetchArtifactsSync(refs: Iterable<ArtifactRef>): boolean {
    return this.contentStore.prefetchSync(
      this.flow,
      [...refs].map((ref) => ref.sha),
    );
  }

  /** Loads several artifacts by name. */
  async loadArtifacts(refs: Record<string, ArtifactRef>): Promise<Record<string, unknown>> {
    const names = Object.keys(refs);
    const values = await Promise.all(names.map((name) => this.loadArtifact(refs[name])));
    return Object.fromEntries(names.map((name, i) => [name, values[i]]));
  }

  private metaKey(runId: string, file: string): string {
    return `${runPrefix(this.flow, runId)}${META_DIR}/${file}`;
  }

  private async childNames(prefix: string, keep: (name: string) => boolean = () => true): Promise<string[]> {
    const entries = await this.storage.list(prefix);
    return entries
      .filter((entry) => entry.isPrefix)
      .map((entry) => entry.key.slice(prefix.length, -1))
      .filter(keep);
  }

  private async writeJson(key: string, value: unknown): Promise<void> {
    await this.storage.put(key, Buffer.from(`${JSON.stringify(value, null, 2)}\n`));
  }
}
