/**
 * `DataArtifact`: one stored artifact of a task, its metadata at hand and its value loaded on demand.
 *
 * @module
 */
import type { ArtifactRef, FlowDatastore } from '../datastore/index.js';

/**
 * One artifact of a task (`Flow/run/step/task/name`). The metadata comes from the task's record;
 * {@link DataArtifact.value} loads and decodes the bytes (once; later calls return the same value).
 *
 * @example
 * ```ts
 * const artifact = await task.artifact('weights');
 * console.log(artifact.type, artifact.size); // 'Float64Array' 8192
 * const weights = await artifact.value();
 * ```
 */
export class DataArtifact {
  /** Discriminates the objects {@link getByPathspec} returns. */
  readonly kind = 'artifact' as const;
  /** The artifact's name (the field of `this` the step set). */
  readonly name: string;
  /** `Flow/run/step/task/name`. */
  readonly pathspec: string;
  /** Where and how it is stored. */
  readonly ref: ArtifactRef;
  private readonly datastore: FlowDatastore;
  private loaded: Promise<unknown> | undefined;

  constructor(datastore: FlowDatastore, taskPathspec: string, name: string, ref: ArtifactRef) {
    this.datastore = datastore;
    this.name = name;
    this.pathspec = `${taskPathspec}/${name}`;
    this.ref = ref;
  }

  /** A short description of the value's type (`number`, `Map`, `Float64Array`, `object`, ...). */
  get type(): string {
    return this.ref.type;
  }

  /** Size of the serialized bytes. */
  get size(): number {
    return this.ref.size;
  }

  /** sha256 of the serialized bytes (equal values have equal shas). */
  get sha(): string {
    return this.ref.sha;
  }

  /** The serializer that wrote it (`v8`, `typed-array`, ...). */
  get encoding(): string {
    return this.ref.encoding;
  }

  /** A short JSON preview of small scalars (`3`, `"hello"`), when the writer recorded one. */
  get preview(): string | undefined {
    return this.ref.preview;
  }

  /** Loads and decodes the value (cached). */
  value(): Promise<unknown> {
    this.loaded ??= this.datastore.loadArtifact(this.ref);
    const loading = this.loaded;
    loading.catch(() => {
      if (this.loaded === loading) this.loaded = undefined;
    });
    return loading;
  }
}
