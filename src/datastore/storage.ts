/**
 * The storage backend contract: a flat key space of immutable or overwritable byte blobs.
 *
 * Keys are `/`-separated relative paths (`MyFlow/data/ab/ab12…`). The datastore logic above this
 * interface never touches the file system or S3 directly, so a new backend drops in without changes.
 *
 * @module
 */

/** One entry of a {@link StorageBackend.list} answer. */
export interface ListEntry {
  /** The full key (for an object) or the common prefix ending in `/` (for a "directory"). */
  readonly key: string;
  /** True when this entry is a common prefix rather than an object. */
  readonly isPrefix: boolean;
}

/** Options for {@link StorageBackend.put}. */
export interface PutOptions {
  /** Skip the write when the key already exists (content-addressed writes). */
  readonly ifAbsent?: boolean;
}

/**
 * What {@link StorageBackend.readFrom} found past an offset: the new bytes, the object's size and a
 * version tag (an ETag) to pass back as `ifNoneMatch`. `'unchanged'` when the object still has that tag or
 * has nothing past the offset; `undefined` when it does not exist.
 *
 * @example
 * ```ts
 * const got: RangedRead | 'unchanged' | undefined = await storage.readFrom?.(key, 0);
 * if (got && got !== 'unchanged') offset += got.bytes.byteLength;
 * ```
 */
export interface RangedRead {
  /** The bytes from the offset to the end of the object. */
  readonly bytes: Buffer;
  /** The whole object's size, when the backend knows it. */
  readonly size?: number;
  /** The object's version tag (ETag); pass it back to skip an unchanged object. */
  readonly tag?: string;
}

/** Options of {@link StorageBackend.readFrom}. */
export interface ReadFromOptions {
  /** The tag of the last read: answer `'unchanged'` without a body when the object still has it. */
  readonly ifNoneMatch?: string;
}

/**
 * A place that stores bytes by key. Every write is atomic: a reader sees the whole new value or
 * nothing, never a partial object.
 *
 * @example
 * ```ts
 * const storage = new LocalStorage('/tmp/.stepflow');
 * await storage.put('MyFlow/1/_meta/run.json', Buffer.from('{}'));
 * const bytes = await storage.get('MyFlow/1/_meta/run.json');
 * ```
 */
export interface StorageBackend {
  /** `local`, `s3`, ... */
  readonly kind: string;
  /** The root as the user names it (a folder, or `s3://bucket/prefix`). */
  readonly root: string;
  /**
   * Writes `body` under `key` atomically. Returns false when `ifAbsent` skipped the write.
   * A body given as several chunks is stored as their concatenation (so a header and a large
   * payload can be written without copying them into one buffer).
   */
  put(key: string, body: Uint8Array | readonly Uint8Array[], options?: PutOptions): Promise<boolean>;
  /**
   * Creates `key` with `body` only when no object has that key, as one atomic step: of several writers
   * racing on the same key (in other processes or on other machines) exactly one gets `true`; the others
   * get `false` and write nothing. Used to claim names (a run id), unlike `put`'s `ifAbsent`, which only
   * skips a write of identical content and may let two writers both write.
   */
  createExclusive(key: string, body: Uint8Array | readonly Uint8Array[]): Promise<boolean>;
  /** Reads a key; `undefined` when it does not exist. */
  get(key: string): Promise<Buffer | undefined>;
  /**
   * Reads only the bytes of `key` from `offset` on (a ranged, conditional read, for tailing a growing
   * object such as a running task's log). Optional: callers fall back to {@link StorageBackend.get}.
   */
  readFrom?(
    key: string,
    offset: number,
    options?: ReadFromOptions,
  ): Promise<RangedRead | 'unchanged' | undefined>;
  /** True when the key exists. */
  exists(key: string): Promise<boolean>;
  /**
   * Lists what is under `prefix` (which should end in `/`). With `recursive: false` (the default)
   * deeper keys are folded into common prefixes, like S3's delimiter `/`.
   */
  list(prefix: string, options?: { readonly recursive?: boolean }): Promise<ListEntry[]>;
  /** Deletes a key; no error when it does not exist. */
  delete(key: string): Promise<void>;
}

/** The description of a storage backend that a task process needs to open the same one. */
export interface StorageSpec {
  readonly kind: string;
  readonly root: string;
}
