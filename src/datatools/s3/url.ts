/**
 * `s3://bucket/key` URLs: parsing, joining keys onto a root, and HTTP byte ranges.
 *
 * @module
 */

import { S3InvalidRangeError, S3UrlError } from './errors.js';

/**
 * A parsed `s3://bucket/key` URL.
 *
 * @example
 * ```ts
 * const loc: S3Location = { bucket: 'b', key: 'data/x.csv', url: 's3://b/data/x.csv' };
 * ```
 */
export interface S3Location {
  readonly bucket: string;
  /** The object key, without a leading `/`; empty for the bucket itself. */
  readonly key: string;
  readonly url: string;
}

/**
 * True when `value` starts with `s3://`.
 *
 * @example
 * ```ts
 * isS3Url('s3://b/k'); // true
 * ```
 */
export function isS3Url(value: string): boolean {
  return value.startsWith('s3://');
}

/**
 * Parses `s3://bucket/key`; throws {@link S3UrlError} for anything else.
 *
 * @example
 * ```ts
 * parseS3Url('s3://bucket/a/b.txt'); // { bucket: 'bucket', key: 'a/b.txt', url: 's3://bucket/a/b.txt' }
 * ```
 */
export function parseS3Url(url: string): S3Location {
  if (!isS3Url(url)) throw new S3UrlError(url, 'an S3 URL starts with s3://');
  const rest = url.slice('s3://'.length);
  const slash = rest.indexOf('/');
  const bucket = slash < 0 ? rest : rest.slice(0, slash);
  const key = slash < 0 ? '' : rest.slice(slash + 1);
  if (!/^[a-zA-Z0-9][a-zA-Z0-9._-]{0,254}$/.test(bucket)) {
    throw new S3UrlError(url, `"${bucket}" is not a bucket name`);
  }
  return { bucket, key, url };
}

/**
 * Joins a relative key onto a root URL with one `/` between them. An empty key gives the root.
 *
 * @example
 * ```ts
 * joinKey('s3://b/data/', '/x.csv'); // 's3://b/data/x.csv'
 * ```
 */
export function joinKey(root: string, key: string): string {
  const base = root.replace(/\/+$/, '');
  const rel = key.replace(/^\/+/, '');
  return rel === '' ? base : `${base}/${rel}`;
}

/**
 * The HTTP `Range` header for a byte range, Metaflow style: `offset` alone reads to the end, `offset`
 * with `length` reads `length` bytes, a negative `length` reads the last `-length` bytes, and
 * `length` alone reads from the start. `undefined` when no range is asked for.
 *
 * @example
 * ```ts
 * rangeHeader('s3://b/k', 10, 5);          // 'bytes=10-14'
 * rangeHeader('s3://b/k', undefined, -100); // 'bytes=-100'
 * rangeHeader('s3://b/k', 7);              // 'bytes=7-'
 * ```
 */
export function rangeHeader(url: string, offset?: number, length?: number): string | undefined {
  if (offset === undefined && length === undefined) return undefined;
  const bad = (detail: string) =>
    new S3InvalidRangeError(url, `offset=${offset ?? '-'} length=${length ?? '-'}`, { detail });
  if (offset !== undefined && (!Number.isSafeInteger(offset) || offset < 0)) {
    throw bad('offset must be an integer ≥ 0');
  }
  if (length !== undefined && (!Number.isSafeInteger(length) || length === 0)) {
    throw bad('length must be a non-zero integer');
  }
  if (length !== undefined && length < 0) {
    if (offset !== undefined && offset !== 0) throw bad('a negative length (the last bytes) takes no offset');
    return `bytes=-${-length}`;
  }
  const start = offset ?? 0;
  return length === undefined ? `bytes=${start}-` : `bytes=${start}-${start + length - 1}`;
}

/**
 * Parses a `Content-Range` header (`bytes 0-9/100`).
 *
 * @example
 * ```ts
 * parseContentRange('bytes 10-19/100'); // { start: 10, end: 19, total: 100 }
 * ```
 */
export function parseContentRange(
  header: string | undefined,
): { start: number; end: number; total: number } | undefined {
  const m = header === undefined ? null : /^bytes (\d+)-(\d+)\/(\d+|\*)$/.exec(header.trim());
  if (!m) return undefined;
  return { start: Number(m[1]), end: Number(m[2]), total: m[3] === '*' ? Number.NaN : Number(m[3]) };
}
