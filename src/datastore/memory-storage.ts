/**
 * An in-memory storage backend, for tests and for callers that need a scratch datastore.
 *
 * @module
 */

import type { ListEntry, PutOptions, RangedRead, ReadFromOptions, StorageBackend } from './storage.js';

/**
 * A {@link StorageBackend} kept in a `Map` (kind `memory`). It cannot read synchronously, like a
 * remote backend, so it also exercises the prefetch path.
 *
 * @example
 * ```ts
 * const storage = new MemoryStorage();
 * await storage.put('MyFlow/1/_meta/run.json', Buffer.from('{}'));
 * storage.objects.size; // 1
 * ```
 */
export class MemoryStorage implements StorageBackend {
  readonly kind = 'memory';
  readonly root: string;
  /** The stored objects by key. */
  readonly objects = new Map<string, Buffer>();
  /** How many puts wrote an object (skipped `ifAbsent` puts are not counted). */
  writes = 0;
  private readonly tags = new WeakMap<Buffer, string>();

  constructor(root = 'memory://') {
    this.root = root;
  }

  async put(key: string, body: Uint8Array | readonly Uint8Array[], options?: PutOptions): Promise<boolean> {
    if (options?.ifAbsent && this.objects.has(key)) return false;
    const stored = Buffer.concat(body instanceof Uint8Array ? [body] : [...body]);
    this.objects.set(key, stored);
    this.writes++;
    this.tags.set(stored, `v${this.writes}`);
    return true;
  }

  /** Stores `body` unless `key` exists (a `Map` is changed by one caller at a time, so this is atomic). */
  async createExclusive(key: string, body: Uint8Array | readonly Uint8Array[]): Promise<boolean> {
    return await this.put(key, body, { ifAbsent: true });
  }

  async get(key: string): Promise<Buffer | undefined> {
    const body = this.objects.get(key);
    return body ? Buffer.from(body) : undefined;
  }

  /** Reads the bytes of `key` from `offset` on; the tag is the put count that wrote it. */
  async readFrom(
    key: string,
    offset: number,
    options?: ReadFromOptions,
  ): Promise<RangedRead | 'unchanged' | undefined> {
    const body = this.objects.get(key);
    if (!body) return undefined;
    const tag = this.tags.get(body) ?? 'v0';
    if (tag === options?.ifNoneMatch || body.byteLength <= offset) return 'unchanged';
    return { bytes: Buffer.from(body.subarray(offset)), size: body.byteLength, tag };
  }

  async exists(key: string): Promise<boolean> {
    return this.objects.has(key);
  }

  async list(prefix: string, options?: { readonly recursive?: boolean }): Promise<ListEntry[]> {
    const out = new Map<string, ListEntry>();
    for (const key of this.objects.keys()) {
      if (!key.startsWith(prefix)) continue;
      const slash = options?.recursive ? -1 : key.indexOf('/', prefix.length);
      if (slash < 0) out.set(key, { key, isPrefix: false });
      else out.set(key.slice(0, slash + 1), { key: key.slice(0, slash + 1), isPrefix: true });
    }
    return [...out.values()].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }

  async delete(key: string): Promise<void> {
    this.objects.delete(key);
  }
}
