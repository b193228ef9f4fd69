/**
 * The operations behind the {@link S3} tool's methods, on one object or one prefix at a time; the
 * tool fans them out over many keys with `Transfer.many`.
 *
 * @module
 */

import { downloadObject } from './download.js';
import { S3NotFoundError } from './errors.js';
import { headObject, listObjects } from './listing.js';
import { encodeMetadata } from './object-info.js';
import { type S3GetObject, S3Object, type S3ObjectFields, type S3PutOptions } from './objects.js';
import { removePath } from './temp-dir.js';
import type { Transfer } from './transfer.js';
import { type UploadSource, uploadObject } from './upload.js';
import { rangeHeader, type S3Location } from './url.js';

/**
 * Options of reads that may meet a missing object.
 *
 * @example
 * ```ts
 * const obj = await s3.get('maybe.json', { returnMissing: true } satisfies S3GetOptions);
 * ```
 */
export interface S3GetOptions {
  /** Return an object with `exists === false` instead of throwing {@link S3NotFoundError}. */
  readonly returnMissing?: boolean;
}

/**
 * Options of uploads.
 *
 * @example
 * ```ts
 * await s3.putMany(items, { overwrite: false } satisfies S3OverwriteOptions);
 * ```
 */
export interface S3OverwriteOptions {
  /** Replace existing objects (default true); false skips keys that exist (one HEAD each). */
  readonly overwrite?: boolean;
}

/**
 * One uploaded object: the key it was given and its full URL.
 *
 * @example
 * ```ts
 * const [{ key, url }] = await s3.putMany([{ key: 'a', value: 'x' }]);
 * ```
 */
export interface S3PutResult {
  readonly key: string;
  readonly url: string;
}

/**
 * What the operations need from the tool.
 *
 * @example
 * ```ts
 * const obj = await getOne(ctx, 'data.csv', {});
 * ```
 */
export interface OpContext {
  readonly transfer: Transfer;
  /** The tool's root, the `prefix` of the objects returned. */
  readonly root: string | undefined;
  /** Default `ServerSideEncryption` of uploads. */
  readonly encryption: string | undefined;
  /** A key (relative or `s3://`) as a location. */
  loc(key: string): S3Location;
  /** A new file in the tool's temp dir for a download of `loc`. */
  tempFile(loc: S3Location): Promise<string>;
}

function newObject(ctx: OpContext, fields: Omit<S3ObjectFields, 'prefix'>): S3Object {
  return new S3Object({ ...fields, prefix: ctx.root });
}

/**
 * Downloads one key (or a range of it) into the temp dir.
 *
 * @example
 * ```ts
 * const obj = await getOne(ctx, { key: 'big.bin', length: -1024 }, {});
 * ```
 */
export async function getOne(
  ctx: OpContext,
  key: string | S3GetObject,
  options: S3GetOptions,
): Promise<S3Object> {
  const spec = typeof key === 'string' ? { key } : key;
  const loc = ctx.loc(spec.key);
  const range = rangeHeader(loc.url, spec.offset, spec.length);
  const file = await ctx.tempFile(loc);
  try {
    const { size, info, rangeInfo } = await downloadObject(ctx.transfer, loc, range, file);
    return newObject(ctx, {
      ...info,
      url: loc.url,
      exists: true,
      path: file,
      size,
      rangeInfo,
      hasInfo: true,
    });
  } catch (err) {
    if (err instanceof S3NotFoundError && options.returnMissing) {
      await removePath(file);
      return newObject(ctx, { url: loc.url, exists: false });
    }
    throw err;
  }
}

/**
 * The info of one key, without its bytes.
 *
 * @example
 * ```ts
 * const { size } = await infoOne(ctx, 'model.bin', {});
 * ```
 */
export async function infoOne(ctx: OpContext, key: string, options: S3GetOptions): Promise<S3Object> {
  const loc = ctx.loc(key);
  const info = await headObject(ctx.transfer, loc);
  if (info === undefined) {
    if (!options.returnMissing) throw new S3NotFoundError(loc.url, { operation: 'info' });
    return newObject(ctx, { url: loc.url, exists: false });
  }
  return newObject(ctx, { ...info, url: loc.url, exists: true, hasInfo: true });
}

/**
 * Uploads many values or files; returns the ones uploaded (existing keys skipped without overwrite).
 *
 * @example
 * ```ts
 * await putAll(ctx, [{ key: 'a', value: 'x' }], (item) => toSource(item.value), {});
 * ```
 */
export async function putAll<T extends S3PutOptions & { readonly key: string }>(
  ctx: OpContext,
  items: readonly T[],
  source: (item: T) => UploadSource,
  options: S3OverwriteOptions,
): Promise<S3PutResult[]> {
  const t = ctx.transfer;
  const done = await t.many(items, async (item) => {
    const loc = ctx.loc(item.key);
    if (options.overwrite === false && (await headObject(t, loc)) !== undefined) return undefined;
    await uploadObject(t, loc, source(item), {
      contentType: item.contentType,
      metadata: encodeMetadata(item.metadata, loc.url),
      encryption: item.encryption ?? ctx.encryption,
    });
    return { key: item.key, url: loc.url };
  });
  return done.filter((r): r is S3PutResult => r !== undefined);
}

/**
 * Lists each key as a folder (one level, or everything below with `recursive`).
 *
 * @example
 * ```ts
 * const entries = await listAll(ctx, ['logs/'], true);
 * ```
 */
export async function listAll(
  ctx: OpContext,
  keys: readonly string[],
  recursive: boolean,
): Promise<S3Object[]> {
  const t = ctx.transfer;
  const lists = await t.many(keys, (key) => listObjects(t, ctx.loc(key), recursive));
  return lists.flat().map((e) =>
    newObject(ctx, {
      url: e.url,
      exists: !e.isPrefix,
      size: e.size,
      lastModified: e.lastModified,
      etag: e.etag,
    }),
  );
}

/**
 * Downloads every object under each key.
 *
 * @example
 * ```ts
 * const shards = await getUnder(ctx, ['shards/']);
 * ```
 */
export async function getUnder(ctx: OpContext, keys: readonly string[]): Promise<S3Object[]> {
  const listed = await listAll(ctx, keys, true);
  const urls = [...new Set(listed.map((o) => o.url))];
  return ctx.transfer.many(urls, (url) => getOne(ctx, url, {}));
}

/**
 * A value to upload as bytes: strings as UTF-8.
 *
 * @example
 * ```ts
 * toSource('hello'); // { kind: 'bytes', data: <Buffer 68 65 6c 6c 6f> }
 * ```
 */
export function toSource(value: string | Uint8Array): UploadSource {
  if (typeof value === 'string') return { kind: 'bytes', data: Buffer.from(value, 'utf8') };
  if (value instanceof Uint8Array) return { kind: 'bytes', data: value };
  throw new TypeError(`S3 put takes a string or bytes (Uint8Array/Buffer), not ${typeof value}`);
}
