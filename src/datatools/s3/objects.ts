/**
 * What the S3 data tool takes (keys with ranges, values and files to upload) and what it returns
 * ({@link S3Object}).
 *
 * @module
 */

import { createReadStream, type ReadStream, readFileSync } from 'node:fs';
import { S3Error, S3NotFoundError } from './errors.js';

/**
 * User metadata of an object: any JSON object. It is stored as one JSON header
 * (`x-amz-meta-metaflow-user-attributes`), as Metaflow does, so both tools read each other's.
 *
 * @example
 * ```ts
 * const metadata: S3Metadata = { source: 'train', rows: 1000 };
 * ```
 */
export type S3Metadata = Readonly<Record<string, unknown>>;

/**
 * A key to download, optionally only a byte range of it: `offset` (default 0) and `length`; a
 * negative `length` means the last `-length` bytes.
 *
 * @example
 * ```ts
 * const head: S3GetObject = { key: 'big.bin', offset: 0, length: 1024 };
 * const tail: S3GetObject = { key: 'big.bin', length: -1024 };
 * ```
 */
export interface S3GetObject {
  readonly key: string;
  readonly offset?: number;
  readonly length?: number;
}

/**
 * Options shared by uploads.
 *
 * @example
 * ```ts
 * await s3.put('a.json', '{}', { contentType: 'application/json', metadata: { v: 2 }, encryption: 'AES256' });
 * ```
 */
export interface S3PutOptions {
  /** `Content-Type` of the object. */
  readonly contentType?: string;
  /** User metadata (a JSON object). */
  readonly metadata?: S3Metadata;
  /** `ServerSideEncryption` (`AES256`, `aws:kms`); default `METAFLOW_S3_SERVER_SIDE_ENCRYPTION`. */
  readonly encryption?: string;
}

/**
 * A value to upload with {@link S3.putMany}.
 *
 * @example
 * ```ts
 * const item: S3PutObject = { key: 'a.json', value: JSON.stringify(a), contentType: 'application/json' };
 * ```
 */
export interface S3PutObject extends S3PutOptions {
  readonly key: string;
  /** A string (written as UTF-8) or bytes. */
  readonly value: string | Uint8Array;
}

/**
 * A local file to upload with {@link S3.putFiles}.
 *
 * @example
 * ```ts
 * const file: S3PutFile = { key: 'model.bin', path: '/tmp/model.bin' };
 * ```
 */
export interface S3PutFile extends S3PutOptions {
  readonly key: string;
  /** The local file's path. */
  readonly path: string;
}

/**
 * Where a ranged download sits in its object.
 *
 * @example
 * ```ts
 * const info: S3RangeInfo = { totalSize: 1000, offset: 10, length: 20 };
 * ```
 */
export interface S3RangeInfo {
  /** The whole object's size. */
  readonly totalSize: number;
  /** First byte downloaded. */
  readonly offset: number;
  /** Bytes downloaded. */
  readonly length: number;
}

/**
 * The key of `url` relative to `prefix` (a root URL); the URL itself when it is not under the prefix.
 *
 * @example
 * ```ts
 * relativeKey('s3://b/data/x/y.csv', 's3://b/data'); // 'x/y.csv'
 * ```
 */
export function relativeKey(url: string, prefix: string | undefined): string {
  if (prefix === undefined) return url;
  const root = prefix.replace(/\/+$/, '');
  if (url === root) return '';
  return url.startsWith(`${root}/`) ? url.slice(root.length + 1) : url;
}

/**
 * The fields an {@link S3Object} is built from (internal).
 *
 * @example
 * ```ts
 * new S3Object({ url: 's3://b/k', prefix: undefined, exists: true, size: 3 } satisfies S3ObjectFields);
 * ```
 */
export interface S3ObjectFields {
  readonly url: string;
  readonly prefix: string | undefined;
  readonly exists: boolean;
  readonly path?: string;
  readonly size?: number;
  readonly metadata?: S3Metadata;
  readonly contentType?: string;
  readonly lastModified?: Date;
  readonly encryption?: string;
  readonly etag?: string;
  readonly rangeInfo?: S3RangeInfo;
  /** True when the fields come from a GET/HEAD (metadata and content type are known). */
  readonly hasInfo?: boolean;
}

/**
 * One object as returned by the S3 tool: its URL and key, and, depending on the call, its local copy
 * (`path`, `blob`, `text`), its size and its info (`metadata`, `contentType`, `lastModified`). A
 * downloaded file lives in the tool's temp dir and disappears when the tool is closed.
 *
 * @example
 * ```ts
 * await using s3 = new S3({ run: this });
 * const obj = await s3.get('config.json');
 * const config = JSON.parse(obj.text);
 * console.log(obj.url, obj.size, obj.contentType, obj.metadata, obj.lastModified);
 * ```
 */
export class S3Object {
  /** The full `s3://bucket/key` URL. */
  readonly url: string;
  /** The root the key is relative to (the tool's S3 root), or undefined for full URLs. */
  readonly prefix: string | undefined;
  /** The key relative to `prefix`, or the full URL when there is no prefix. */
  readonly key: string;
  /** False for a missing object (with `returnMissing`) and for "directories" returned by `list`. */
  readonly exists: boolean;
  /** The local file holding the downloaded bytes; undefined unless downloaded. */
  readonly path: string | undefined;
  /** Size in bytes (of the downloaded range, for a ranged get); undefined when unknown. */
  readonly size: number | undefined;
  /** User metadata; undefined when there is none or when the info was not fetched (list). */
  readonly metadata: S3Metadata | undefined;
  /** The `Content-Type`; undefined when not fetched. */
  readonly contentType: string | undefined;
  /** When the object was last written; undefined when not fetched. */
  readonly lastModified: Date | undefined;
  /** The server-side encryption of the object, if any. */
  readonly encryption: string | undefined;
  /** The object's ETag (quoted, as S3 sends it). */
  readonly etag: string | undefined;
  /** For a ranged get: where the bytes sit in the object. */
  readonly rangeInfo: S3RangeInfo | undefined;
  /** True when `metadata`, `contentType` and `lastModified` were fetched (get, info). */
  readonly hasInfo: boolean;

  /** Internal: objects are made by the {@link S3} tool. */
  constructor(fields: S3ObjectFields) {
    this.url = fields.url;
    this.prefix = fields.prefix;
    this.key = relativeKey(fields.url, fields.prefix);
    this.exists = fields.exists;
    this.path = fields.path;
    this.size = fields.size;
    this.metadata = fields.metadata;
    this.contentType = fields.contentType;
    this.lastModified = fields.lastModified;
    this.encryption = fields.encryption;
    this.etag = fields.etag;
    this.rangeInfo = fields.rangeInfo;
    this.hasInfo = fields.hasInfo ?? false;
  }

  /** True when the bytes are in a local file (`path`). */
  get downloaded(): boolean {
    return this.path !== undefined;
  }

  /** The downloaded bytes, read from `path` on each access. Throws if nothing was downloaded. */
  get blob(): Buffer {
    return readFileSync(this.#localPath());
  }

  /** The downloaded bytes as UTF-8 text, read from `path` on each access. */
  get text(): string {
    return readFileSync(this.#localPath(), 'utf8');
  }

  /**
   * A stream of the downloaded bytes, for files too big to hold in memory.
   *
   * @example
   * ```ts
   * for await (const chunk of obj.createReadStream()) hash.update(chunk);
   * ```
   */
  createReadStream(): ReadStream {
    return createReadStream(this.#localPath());
  }

  /** A short description for logs. */
  toString(): string {
    return `<S3Object ${this.url}${this.size === undefined ? '' : ` (${this.size} bytes)`}>`;
  }

  #localPath(): string {
    if (this.path !== undefined) return this.path;
    if (!this.exists) throw new S3NotFoundError(this.url, { operation: 'get' });
    throw new S3Error(
      `${this.url} was not downloaded (it came from info() or list()); use get() to read its bytes.`,
      this.url,
      { operation: 'get' },
    );
  }
}
