/**
 * The content-addressed store: blobs named by the sha256 of their serialized bytes, stored under
 * `<flow>/data/<sha[0:2]>/<sha>` with a 1-byte frame header (`0x00` raw, `0x01` gzip).
 *
 * @module
 */

import { createHash } from 'node:crypto';
import { promisify } from 'node:util';
import { constants, gunzip, gunzipSync, gzip } from 'node:zlib';
import { mapBounded } from '../common/index.js';
import { ArtifactNotFoundError, CorruptBlobError, DatastoreError } from './errors.js';
import { blobKey, checkSegment, checkSha } from './keys.js';
import type { StorageBackend } from './storage.js';

const gzipAsync = promisify(gzip);
const gunzipAsync = promisify(gunzip);

/**
 * Frame header bytes of stored blobs: `FRAME_RAW` (body as is) and `FRAME_GZIP` (gzip'd body).
 *
 * @example
 * ```ts
 * const stored = await storage.get(blobKey('MyFlow', sha));
 * const compressed = stored?.[0] === FRAME_GZIP;
 * ```
 */
export const FRAME_RAW = 0x00;
/** Frame header byte of a gzip-compressed blob (see {@link FRAME_RAW}). */
export const FRAME_GZIP = 0x01;
/**
 * Compression policy: blobs of at most `COMPRESS_MAX_BYTES` are gzipped when that shrinks them to at
 * most `COMPRESS_MAX_RATIO` of their size; larger blobs are always stored raw.
 *
 * @example
 * ```ts
 * const mayCompress = size <= COMPRESS_MAX_BYTES;
 * ```
 */
export const COMPRESS_MAX_BYTES = 1024 * 1024;
/** See {@link COMPRESS_MAX_BYTES}. */
export const COMPRESS_MAX_RATIO = 0.9;
const GZIP_LEVEL = 3;

/**
 * A blob to save: one buffer, or chunks that are stored as their concatenation.
 *
 * @example
 * ```ts
 * const body: BlobBody = [prefix, new Uint8Array(floats.buffer)];
 * ```
 */
export type BlobBody = Uint8Array | readonly Uint8Array[];

/**
 * Options of a {@link ContentStore}.
 *
 * @example
 * ```ts
 * new ContentStore(storage, { verifyOnLoad: false, concurrency: 8 });
 * ```
 */
export interface ContentStoreOptions {
  /** Check the sha256 of every loaded blob (default true; costs ~1 s per GB). */
  readonly verifyOnLoad?: boolean;
  /** How many blobs to write at once (default 4). */
  readonly concurrency?: number;
}

/**
 * Counters of what a {@link ContentStore} did, for task metrics.
 *
 * @example
 * ```ts
 * const { bytesSaved, bytesLoaded } = datastore.contentStore.stats;
 * ```
 */
export interface ContentStoreStats {
  blobsWritten: number;
  blobsSkipped: number;
  /** Serialized (uncompressed) bytes handed to `saveBlobs`. */
  bytesSaved: number;
  /** Bytes actually written to storage (after compression, including frame headers). */
  bytesWritten: number;
  blobsLoaded: number;
  /** Serialized (uncompressed) bytes returned by `loadBlob`. */
  bytesLoaded: number;
}

/**
 * The sha256 (hex) of a blob given as one buffer or chunks.
 *
 * @example
 * ```ts
 * sha256Hex(Buffer.from('')); // 'e3b0c442…'
 * ```
 */
export function sha256Hex(body: BlobBody): string {
  const hash = createHash('sha256');
  for (const chunk of body instanceof Uint8Array ? [body] : body) hash.update(chunk);
  return hash.digest('hex');
}

/**
 * Content-addressed blobs over any {@link StorageBackend}. Saving the same bytes twice writes
 * once; loading checks the frame and (by default) the sha256.
 *
 * @example
 * ```ts
 * const cas = new ContentStore(new LocalStorage('/tmp/.stepflow'));
 * const [sha] = await cas.saveBlobs('MyFlow', [Buffer.from('hello')]);
 * const bytes = await cas.loadBlob('MyFlow', sha); // Buffer 'hello'
 * ```
 */
export class ContentStore {
  readonly storage: StorageBackend;
  readonly verifyOnLoad: boolean;
  readonly concurrency: number;
  private readonly prefetched = new Map<string, { body: Buffer; used: boolean }>();
  readonly stats: ContentStoreStats = {
    blobsWritten: 0,
    blobsSkipped: 0,
    bytesSaved: 0,
    bytesWritten: 0,
    blobsLoaded: 0,
    bytesLoaded: 0,
  };

  constructor(storage: StorageBackend, options?: ContentStoreOptions) {
    this.storage = storage;
    this.verifyOnLoad = options?.verifyOnLoad ?? true;
    this.concurrency = Math.max(1, options?.concurrency ?? 4);
  }

  /** Saves blobs (at most `concurrency` at a time) and returns their sha256s, in order. */
  async saveBlobs(flow: string, blobs: readonly BlobBody[]): Promise<string[]> {
    checkSegment('flow name', flow);
    const shas = blobs.map((blob) => sha256Hex(blob));
    const todo = new Map<string, BlobBody>();
    for (let i = 0; i < shas.length; i++) todo.set(shas[i], blobs[i]);
    await mapBounded([...todo], this.concurrency, async ([sha, blob]) => {
      const { frame, size } = await frameBlob(blob);
      const written = await this.storage.put(blobKey(flow, sha), frame, { ifAbsent: true });
      this.stats.bytesSaved += size;
      if (written) {
        this.stats.blobsWritten++;
        for (const chunk of frame) this.stats.bytesWritten += chunk.byteLength;
      } else {
        this.stats.blobsSkipped++;
      }
    });
    return shas;
  }

  /** Loads a blob's serialized bytes. Throws {@link ArtifactNotFoundError} or {@link CorruptBlobError}. */
  async loadBlob(flow: string, sha: string): Promise<Buffer> {
    const key = this.keyOf(flow, sha);
    const cached = this.takePrefetched(key);
    if (cached) return cached;
    const stored = await this.storage.get(key);
    if (!stored) throw new ArtifactNotFoundError(flow, sha, key);
    let body: Buffer;
    if (stored[0] === FRAME_GZIP) {
      try {
        body = await gunzipAsync(stored.subarray(1));
      } catch (err) {
        throw new CorruptBlobError(key, 'gzip data cannot be decompressed', { cause: err });
      }
    } else {
      body = rawBody(key, stored);
    }
    return this.accept(key, sha, body);
  }

  /**
   * Loads a blob synchronously: from the blobs {@link ContentStore.prefetch} loaded, or straight
   * from a backend that can read synchronously (the local one). Other backends need a prefetch.
   */
  loadBlobSync(flow: string, sha: string): Buffer {
    const key = this.keyOf(flow, sha);
    const cached = this.takePrefetched(key);
    if (cached) return cached;
    if (!supportsSyncGet(this.storage)) {
      throw new DatastoreError(
        `Blob ${sha} of flow ${flow} was not prefetched, and the "${this.storage.kind}" storage backend ` +
          'cannot read synchronously. Prefetch the artifacts (FlowDatastore.prefetchArtifacts) before reading them.',
      );
    }
    const stored = this.storage.getSync(key);
    if (!stored) throw new ArtifactNotFoundError(flow, sha, key);
    return this.accept(key, sha, unframeSync(key, stored));
  }

  /**
   * Prefetches blobs synchronously, in one blocking batch of parallel reads, when the backend can
   * (`getManySync`: S3, through its reader thread); false (nothing read) when it cannot or need not (the
   * local backend reads synchronously at disk speed). Blobs already prefetched are not read again.
   */
  prefetchSync(flow: string, shas: readonly string[]): boolean {
    const storage = this.storage as Partial<SyncGetStorage>;
    if (typeof storage.getManySync !== 'function') return false;
    const keys = [...new Set(shas.map((sha) => this.keyOf(flow, sha)))].filter(
      (k) => !this.prefetched.has(k),
    );
    const bodies = storage.getManySync(keys);
    keys.forEach((key, i) => {
      const stored = bodies[i];
      if (!stored) return; // loadBlobSync says it is missing, when it is read
      const sha = key.slice(key.lastIndexOf('/') + 1);
      this.prefetched.set(key, { body: this.accept(key, sha, unframeSync(key, stored)), used: false });
    });
    return true;
  }

  /** Loads blobs into memory (at most `concurrency` at a time) so that `loadBlobSync` finds them. */
  async prefetch(flow: string, shas: readonly string[]): Promise<void> {
    await mapBounded([...new Set(shas)], this.concurrency, async (sha) => {
      const body = await this.loadBlob(flow, sha);
      this.prefetched.set(this.keyOf(flow, sha), { body, used: false });
    });
  }

  /** Forgets prefetched blobs (all of them, or those of the given shas). */
  releasePrefetched(flow?: string, shas?: readonly string[]): void {
    if (flow === undefined || shas === undefined) this.prefetched.clear();
    else for (const sha of shas) this.prefetched.delete(this.keyOf(flow, sha));
  }

  /** True when the blob exists. */
  async hasBlob(flow: string, sha: string): Promise<boolean> {
    return await this.storage.exists(this.keyOf(flow, sha));
  }

  /**
   * A prefetched body: the buffer itself the first time, a copy afterwards, because deserialized
   * typed arrays may be views into it and two artifacts must never share memory.
   */
  private takePrefetched(key: string): Buffer | undefined {
    const entry = this.prefetched.get(key);
    if (!entry) return undefined;
    if (!entry.used) {
      entry.used = true;
      return entry.body;
    }
    return Buffer.from(entry.body);
  }

  private keyOf(flow: string, sha: string): string {
    return blobKey(checkSegment('flow name', flow), checkSha(sha));
  }

  /** Verifies (when enabled) and counts a loaded body. */
  private accept(key: string, sha: string, body: Buffer): Buffer {
    if (this.verifyOnLoad) {
      const actual = sha256Hex(body);
      if (actual !== sha) throw new CorruptBlobError(key, `its sha256 is ${actual}`);
    }
    this.stats.blobsLoaded++;
    this.stats.bytesLoaded += body.byteLength;
    return body;
  }
}

/**
 * A backend that can also read synchronously (the local one), which lets
 * {@link ContentStore.loadBlobSync} work without a prefetch.
 *
 * @example
 * ```ts
 * if (supportsSyncGet(storage)) storage.getSync('MyFlow/1/_meta/run.json');
 * ```
 */
export interface SyncGetStorage extends StorageBackend {
  /** Reads a key synchronously; `undefined` when it does not exist. */
  getSync(key: string): Buffer | undefined;
  /** Reads several keys synchronously, in parallel (a remote backend); `undefined` for a missing key. */
  getManySync?(keys: readonly string[]): (Buffer | undefined)[];
}

/**
 * True when a backend implements {@link SyncGetStorage.getSync}.
 *
 * @example
 * ```ts
 * supportsSyncGet(new LocalStorage('/tmp/x')); // true
 * ```
 */
export function supportsSyncGet(storage: StorageBackend): storage is SyncGetStorage {
  return typeof (storage as Partial<SyncGetStorage>).getSync === 'function';
}

/** A stored blob's serialized bytes: gunzipped or unframed. */
function unframeSync(key: string, stored: Buffer): Buffer {
  if (stored[0] !== FRAME_GZIP) return rawBody(key, stored);
  try {
    return gunzipSync(stored.subarray(1));
  } catch (err) {
    throw new CorruptBlobError(key, 'gzip data cannot be decompressed', { cause: err });
  }
}

function rawBody(key: string, stored: Buffer): Buffer {
  if (stored.byteLength > 0 && stored[0] === FRAME_RAW) return stored.subarray(1);
  const what = stored.byteLength === 0 ? 'the object is empty' : `unknown frame header 0x${hex(stored[0])}`;
  throw new CorruptBlobError(key, what);
}

/** Frames a blob: gzip for small blobs when it saves enough, raw otherwise (never copying big ones). */
async function frameBlob(blob: BlobBody): Promise<{ frame: Uint8Array[]; size: number }> {
  const chunks = blob instanceof Uint8Array ? [blob] : [...blob];
  let size = 0;
  for (const chunk of chunks) size += chunk.byteLength;
  if (size > 0 && size <= COMPRESS_MAX_BYTES) {
    const joined = chunks.length === 1 ? chunks[0] : Buffer.concat(chunks);
    const packed = await gzipAsync(joined, { level: GZIP_LEVEL, strategy: constants.Z_DEFAULT_STRATEGY });
    if (packed.byteLength <= size * COMPRESS_MAX_RATIO) {
      return { frame: [Uint8Array.of(FRAME_GZIP), packed], size };
    }
  }
  return { frame: [Uint8Array.of(FRAME_RAW), ...chunks], size };
}

function hex(byte: number): string {
  return byte.toString(16).padStart(2, '0');
}
