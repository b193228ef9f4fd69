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
  /** Reads a key; `undefined` when it does not exist. */
  get(key: string): Promise<Buffer | undefined>;
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
