/**
 * The S3 storage backend (kind `s3`): keys are objects under `s3://bucket/prefix/`.
 *
 * The AWS SDK is loaded on first use (see `sdk.ts`), the synchronous reader's worker thread on first
 * {@link S3Storage.getSync}, so opening the backend costs nothing until it is used.
 *
 * @module
 */

import type { S3Client, ServerSideEncryption } from '@aws-sdk/client-s3';
import { StorageError } from '../errors.js';
import { keyProblem } from '../keys.js';
import type {
  ListEntry,
  PutOptions,
  RangedRead,
  ReadFromOptions,
  StorageBackend,
  StorageSpec,
} from '../storage.js';
import { isNotFound, type S3ErrorContext, toS3StorageError } from './errors.js';
import { uploadMultipart } from './multipart.js';
import {
  DEFAULT_MAX_ATTEMPTS,
  DEFAULT_PART_SIZE,
  parseS3Root,
  type S3StorageOptions,
  s3OptionsFromEnv,
} from './s3-options.js';
import { createS3Client, resolveS3SdkPath, type S3Sdk, s3ClientConfig } from './sdk.js';
import { type SyncReadErrorInfo, SyncReader } from './sync-reader.js';

const DEFAULT_SYNC_TIMEOUT_MS = 15 * 60 * 1000;

/**
 * A {@link StorageBackend} over an S3 bucket (or any S3-compatible endpoint).
 *
 * Puts are atomic by nature (PutObject, or CompleteMultipartUpload for bodies above the multipart
 * threshold), so readers never see partial objects. `ifAbsent` puts ask HeadObject first and skip
 * objects already present (content-addressed blobs). Requests retry adaptively on throttling, 5xx
 * and network errors; failures become {@link S3StorageError}s that name the bucket and what to check.
 *
 * @example
 * ```ts
 * const storage = new S3Storage('s3://my-bucket/stepflow', { sse: 'AES256' });
 * await storage.put('MyFlow/1/_meta/run.json', Buffer.from('{}'));
 * const bytes = await storage.get('MyFlow/1/_meta/run.json'); // Buffer
 * storage.close();
 * ```
 */
export class S3Storage implements StorageBackend {
  readonly kind = 's3';
  /** The normalized root, `s3://bucket` or `s3://bucket/prefix`. */
  readonly root: string;
  readonly bucket: string;
  /** The key prefix inside the bucket, without leading or trailing `/`. */
  readonly prefix: string;
  private readonly options: S3StorageOptions;
  private readonly maxAttempts: number;
  private clientPromise: Promise<{ sdk: S3Sdk; client: S3Client }> | undefined;
  private reader: SyncReader | undefined;

  /**
   * @param root `s3://bucket[/prefix]`
   * @param options client and transfer options (see {@link S3StorageOptions}); environment variables
   *   are not read here (use {@link openS3Storage} for that)
   */
  constructor(root: string, options: S3StorageOptions = {}) {
    const parsed = parseS3Root(root);
    this.bucket = parsed.bucket;
    this.prefix = parsed.prefix;
    this.root = `s3://${parsed.bucket}${parsed.prefix ? `/${parsed.prefix}` : ''}`;
    this.maxAttempts = Math.max(1, Math.floor(options.maxAttempts ?? DEFAULT_MAX_ATTEMPTS));
    this.options = { ...options, maxAttempts: this.maxAttempts };
  }

  /** The `s3://` URL of a key. */
  url(key: string): string {
    return `s3://${this.bucket}/${this.objectKey(key)}`;
  }

  async put(key: string, body: Uint8Array | readonly Uint8Array[], options?: PutOptions): Promise<boolean> {
    const objectKey = this.objectKey(key);
    const chunks: readonly Uint8Array[] = body instanceof Uint8Array ? [body] : body;
    let size = 0;
    for (const chunk of chunks) size += chunk.byteLength;
    try {
      const { sdk, client } = await this.client();
      if (options?.ifAbsent && (await this.head(sdk, client, objectKey))) return false;
      const sse = this.options.sse as ServerSideEncryption | undefined;
      if (size > (this.options.multipartThreshold ?? DEFAULT_PART_SIZE)) {
        await uploadMultipart({
          sdk,
          client,
          bucket: this.bucket,
          key: objectKey,
          chunks,
          size,
          partSize: this.options.partSize ?? DEFAULT_PART_SIZE,
          concurrency: Math.max(1, this.options.concurrency ?? 4),
          sse,
        });
      } else {
        const joined = chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, size);
        await client.send(
          new sdk.PutObjectCommand({
            Bucket: this.bucket,
            Key: objectKey,
            Body: joined,
            ContentLength: size,
            ...(sse ? { ServerSideEncryption: sse } : {}),
          }),
        );
      }
      return true;
    } catch (err) {
      throw this.failure('write', key, objectKey, err);
    }
  }

  /**
   * One PutObject with `If-None-Match: *`: S3 answers 412 (PreconditionFailed) when the object exists, or
   * 409 (ConditionalRequestConflict) when another conditional write of the key is in flight; both mean
   * another writer has (or is about to have) the key, so the answer is false and nothing was written.
   * Bodies are small records (never multipart).
   */
  async createExclusive(key: string, body: Uint8Array | readonly Uint8Array[]): Promise<boolean> {
    const objectKey = this.objectKey(key);
    const joined = body instanceof Uint8Array ? body : Buffer.concat(body);
    try {
      const { sdk, client } = await this.client();
      const sse = this.options.sse as ServerSideEncryption | undefined;
      await client.send(
        new sdk.PutObjectCommand({
          Bucket: this.bucket,
          Key: objectKey,
          Body: joined,
          ContentLength: joined.byteLength,
          IfNoneMatch: '*',
          ...(sse ? { ServerSideEncryption: sse } : {}),
        }),
      );
      return true;
    } catch (err) {
      const meta = (err as { $metadata?: { httpStatusCode?: number; attempts?: number } })?.$metadata;
      if (meta?.httpStatusCode !== 412 && meta?.httpStatusCode !== 409) {
        throw this.failure('write', key, objectKey, err);
      }
      // A retried request can be refused because its own first try (whose answer was lost) wrote the key.
      if ((meta.attempts ?? 1) > 1)
        return Buffer.from(joined).equals((await this.get(key)) ?? Buffer.alloc(0));
      return false;
    }
  }

  async get(key: string): Promise<Buffer | undefined> {
    const objectKey = this.objectKey(key);
    try {
      const { sdk, client } = await this.client();
      const out = await client.send(new sdk.GetObjectCommand({ Bucket: this.bucket, Key: objectKey }));
      return await readBody(out.Body as AsyncIterable<Uint8Array>, out.ContentLength);
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw this.failure('read', key, objectKey, err);
    }
  }

  /**
   * Reads the bytes of `key` from `offset` on with one ranged GetObject (`Range: bytes=<offset>-`), sent
   * with `If-None-Match` when a tag is given: 304 (same ETag) and 416 (nothing past the offset) answer
   * `'unchanged'`, 404 `undefined`.
   */
  async readFrom(
    key: string,
    offset: number,
    options?: ReadFromOptions,
  ): Promise<RangedRead | 'unchanged' | undefined> {
    const objectKey = this.objectKey(key);
    try {
      const { sdk, client } = await this.client();
      const out = await client.send(
        new sdk.GetObjectCommand({
          Bucket: this.bucket,
          Key: objectKey,
          Range: `bytes=${offset}-`,
          ...(options?.ifNoneMatch ? { IfNoneMatch: options.ifNoneMatch } : {}),
        }),
      );
      const bytes = await readBody(out.Body as AsyncIterable<Uint8Array>, out.ContentLength);
      const total = /\/(\d+)$/.exec(out.ContentRange ?? '')?.[1];
      return {
        bytes,
        size: total !== undefined ? Number(total) : offset + bytes.byteLength,
        ...(out.ETag ? { tag: out.ETag } : {}),
      };
    } catch (err) {
      if (isNotFound(err)) return undefined;
      const status = (err as { $metadata?: { httpStatusCode?: number } })?.$metadata?.httpStatusCode;
      if (status === 304 || status === 416) return 'unchanged';
      throw this.failure('read', key, objectKey, err);
    }
  }

  /**
   * Reads a key synchronously (for lazy artifact access), blocking this thread while a worker thread
   * fetches it; `undefined` when it does not exist. The worker starts on the first call.
   */
  getSync(key: string): Buffer | undefined {
    return this.getManySync([key])[0];
  }

  /**
   * Reads several keys synchronously, blocking this thread once while the worker thread fetches them with
   * at most `concurrency` (default 64) GETs in flight; `undefined` for a key that does not exist. Lazy
   * access to one artifact of each of a join's 10,000 inputs reads ahead with it.
   */
  getManySync(keys: readonly string[], concurrency = 64): (Buffer | undefined)[] {
    const objectKeys = keys.map((key) => this.objectKey(key));
    let answers: { body?: Buffer; error?: SyncReadErrorInfo }[];
    try {
      this.reader ??= new SyncReader(
        resolveS3SdkPath(),
        s3ClientConfig(this.options),
        this.options.syncTimeoutMs ?? DEFAULT_SYNC_TIMEOUT_MS,
      );
      answers =
        objectKeys.length === 1
          ? [this.reader.read(this.bucket, objectKeys[0])]
          : this.reader.readMany(this.bucket, objectKeys, concurrency);
    } catch (err) {
      this.reader?.close();
      this.reader = undefined;
      throw this.failure('read', keys[0], objectKeys[0], err);
    }
    return answers.map((answer, i) => {
      if (!answer.error) return answer.body;
      const err = rebuildError(answer.error);
      if (isNotFound(err)) return undefined;
      throw this.failure('read', keys[i], objectKeys[i], err);
    });
  }

  async exists(key: string): Promise<boolean> {
    const objectKey = this.objectKey(key);
    try {
      const { sdk, client } = await this.client();
      return await this.head(sdk, client, objectKey);
    } catch (err) {
      throw this.failure('read', key, objectKey, err);
    }
  }

  async list(prefix: string, options?: { readonly recursive?: boolean }): Promise<ListEntry[]> {
    if (prefix !== '') {
      const problem = keyProblem(prefix.endsWith('/') ? prefix.slice(0, -1) : prefix);
      if (problem) throw new StorageError('list', prefix, this.root, { detail: problem });
    }
    const base = this.prefix ? `${this.prefix}/` : '';
    const full = base + prefix;
    const out: ListEntry[] = [];
    try {
      const { sdk, client } = await this.client();
      let token: string | undefined;
      do {
        const page = await client.send(
          new sdk.ListObjectsV2Command({
            Bucket: this.bucket,
            Prefix: full,
            MaxKeys: this.options.listPageSize ?? 1000,
            ...(options?.recursive ? {} : { Delimiter: '/' }),
            ...(token ? { ContinuationToken: token } : {}),
          }),
        );
        for (const item of page.Contents ?? []) {
          // Keys ending in "/" are console "folder" markers, not objects of this key space.
          if (item.Key && !item.Key.endsWith('/'))
            out.push({ key: item.Key.slice(base.length), isPrefix: false });
        }
        for (const item of page.CommonPrefixes ?? []) {
          if (item.Prefix) out.push({ key: item.Prefix.slice(base.length), isPrefix: true });
        }
        token = page.IsTruncated ? page.NextContinuationToken : undefined;
      } while (token);
    } catch (err) {
      throw this.failure('list', prefix, full, err);
    }
    return out.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }

  async delete(key: string): Promise<void> {
    const objectKey = this.objectKey(key);
    try {
      const { sdk, client } = await this.client();
      await client.send(new sdk.DeleteObjectCommand({ Bucket: this.bucket, Key: objectKey }));
    } catch (err) {
      if (isNotFound(err)) return;
      throw this.failure('delete', key, objectKey, err);
    }
  }

  /** Stops the synchronous reader's worker thread and the client's connections (idempotent). */
  close(): void {
    this.reader?.close();
    this.reader = undefined;
    const pending = this.clientPromise;
    this.clientPromise = undefined;
    pending?.then(({ client }) => client.destroy()).catch(() => undefined);
  }

  private client(): Promise<{ sdk: S3Sdk; client: S3Client }> {
    if (!this.clientPromise) {
      const created = createS3Client(this.options);
      this.clientPromise = created;
      created.catch(() => {
        if (this.clientPromise === created) this.clientPromise = undefined;
      });
    }
    return this.clientPromise;
  }

  private async head(sdk: S3Sdk, client: S3Client, objectKey: string): Promise<boolean> {
    try {
      await client.send(new sdk.HeadObjectCommand({ Bucket: this.bucket, Key: objectKey }));
      return true;
    } catch (err) {
      if (isNotFound(err)) return false;
      throw err;
    }
  }

  private objectKey(key: string): string {
    const problem = keyProblem(key);
    if (problem) throw new StorageError('key', key, this.root, { detail: problem });
    return this.prefix ? `${this.prefix}/${key}` : key;
  }

  private failure(operation: string, key: string, objectKey: string, err: unknown): StorageError {
    if (err instanceof StorageError) return err;
    const ctx: S3ErrorContext = {
      bucket: this.bucket,
      objectKey,
      region: this.options.region ?? 'us-east-1',
      maxAttempts: this.maxAttempts,
      ...(this.options.endpoint ? { endpoint: this.options.endpoint } : {}),
    };
    return toS3StorageError(operation, key, this.root, err, ctx);
  }
}

/**
 * Opens the S3 backend a spec describes, with the client options read from the environment
 * (`AWS_REGION`, `METAFLOW_S3_ENDPOINT_URL`, `METAFLOW_S3_SERVER_SIDE_ENCRYPTION`,
 * `METAFLOW_S3_RETRY_COUNT`). This is the factory `openStorage({ kind: 's3', root })` uses.
 *
 * @example
 * ```ts
 * const storage = openS3Storage({ kind: 's3', root: 's3://my-bucket/stepflow' });
 * ```
 */
export function openS3Storage(spec: StorageSpec, env: NodeJS.ProcessEnv = process.env): S3Storage {
  return new S3Storage(spec.root, s3OptionsFromEnv(env));
}

/** Reads a GetObject body into one buffer of its Content-Length (one copy, no concatenation). */
async function readBody(
  body: AsyncIterable<Uint8Array> | undefined,
  length: number | undefined,
): Promise<Buffer> {
  if (!body) return Buffer.alloc(0);
  if (length === undefined) {
    const chunks: Uint8Array[] = [];
    for await (const chunk of body) chunks.push(chunk);
    return Buffer.concat(chunks);
  }
  const out = Buffer.allocUnsafeSlow(length);
  let offset = 0;
  for await (const chunk of body) {
    if (offset + chunk.byteLength > length) throw new Error('the object is longer than its Content-Length');
    out.set(chunk, offset);
    offset += chunk.byteLength;
  }
  if (offset !== length) throw new Error(`the object ended after ${offset} of ${length} bytes`);
  return out;
}

/** An Error shaped like the SDK's, from what the sync reader's worker reported. */
function rebuildError(info: SyncReadErrorInfo): Error {
  const err = new Error(info.message) as Error & Record<string, unknown>;
  err.name = info.name;
  if (info.code) err.code = info.code;
  if (info.Code) err.Code = info.Code;
  if (info.nestedCode) err.errors = [{ code: info.nestedCode }];
  err.$metadata = { httpStatusCode: info.status, attempts: info.attempts };
  return err;
}
