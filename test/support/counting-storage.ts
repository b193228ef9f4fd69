/**
 * A storage backend that forwards to a real one and counts what it is asked: reads (`get`, `getSync`
 * when the inner backend has it, `readFrom`) by key and listings. For tests that check what a reader reads, not what it gets.
 *
 * @module
 */
import type {
  ListEntry,
  PutOptions,
  RangedRead,
  ReadFromOptions,
  StorageBackend,
} from '../../src/datastore/index.js';

/**
 * Counts the reads made through it.
 *
 * @example
 * ```ts
 * const storage = new CountingStorage(new LocalStorage(dir));
 * await model.run('F', '1');
 * storage.reads.filter((k) => k.endsWith('.done.json')).length;
 * ```
 */
export class CountingStorage implements StorageBackend {
  readonly kind: string;
  readonly root: string;
  /** Keys read with `get`, `getSync` or `readFrom` (when it returned bytes), in order. */
  readonly reads: string[] = [];
  /** Keys `readFrom` answered `'unchanged'` (a conditional read with no body), in order. */
  readonly unchanged: string[] = [];
  /** Bytes returned by `readFrom`. */
  rangedBytes = 0;
  lists = 0;

  constructor(private readonly inner: StorageBackend) {
    this.kind = inner.kind;
    this.root = inner.root;
  }

  /** Forgets what was counted. */
  reset(): void {
    this.reads.length = 0;
    this.unchanged.length = 0;
    this.rangedBytes = 0;
    this.lists = 0;
  }

  put(key: string, body: Uint8Array | readonly Uint8Array[], options?: PutOptions): Promise<boolean> {
    return this.inner.put(key, body, options);
  }

  createExclusive(key: string, body: Uint8Array | readonly Uint8Array[]): Promise<boolean> {
    return this.inner.createExclusive(key, body);
  }

  get(key: string): Promise<Buffer | undefined> {
    this.reads.push(key);
    return this.inner.get(key);
  }

  /** The inner backend's synchronous read, counted (absent when the inner backend has none). */
  get getSync(): ((key: string) => Buffer | undefined) | undefined {
    const inner = this.inner as StorageBackend & { getSync?: (key: string) => Buffer | undefined };
    if (typeof inner.getSync !== 'function') return undefined;
    return (key: string) => {
      this.reads.push(key);
      return inner.getSync?.(key);
    };
  }

  async readFrom(
    key: string,
    offset: number,
    options?: ReadFromOptions,
  ): Promise<RangedRead | 'unchanged' | undefined> {
    const got = this.inner.readFrom
      ? await this.inner.readFrom(key, offset, options)
      : await this.inner
          .get(key)
          .then((b) => (b ? { bytes: b.subarray(offset), size: b.length } : undefined));
    if (got === 'unchanged') this.unchanged.push(key);
    else this.reads.push(key);
    if (got && got !== 'unchanged') this.rangedBytes += got.bytes.length;
    return got;
  }

  exists(key: string): Promise<boolean> {
    return this.inner.exists(key);
  }

  list(prefix: string, options?: { readonly recursive?: boolean }): Promise<ListEntry[]> {
    this.lists++;
    return this.inner.list(prefix, options);
  }

  delete(key: string): Promise<void> {
    return this.inner.delete(key);
  }
}
