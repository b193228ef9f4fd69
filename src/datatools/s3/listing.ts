/**
 * Requests that move no object bytes: HEAD (info) and ListObjectsV2 (list).
 *
 * @module
 */

import { errorCode, httpStatus } from './classify.js';
import { S3NoSuchBucketError } from './errors.js';
import { type ObjectInfo, objectInfo } from './object-info.js';
import type { Transfer } from './transfer.js';
import type { S3Location } from './url.js';

/**
 * HEADs `loc`: its info, or undefined when the object does not exist. A 404 on a bucket that does
 * not exist throws {@link S3NoSuchBucketError} (a HEAD reply has no body to tell the two apart, so
 * the bucket is checked then).
 *
 * @example
 * ```ts
 * const info = await headObject(transfer, parseS3Url('s3://b/k'));
 * if (info) console.log(info.size, info.contentType);
 * ```
 */
export async function headObject(t: Transfer, loc: S3Location): Promise<ObjectInfo | undefined> {
  try {
    const res = await t.attempts(loc, 'info', () =>
      t.client.send(new t.sdk.HeadObjectCommand({ Bucket: loc.bucket, Key: loc.key })),
    );
    return objectInfo(res, true);
  } catch (err) {
    if (httpStatus(err) !== 404 && errorCode(err) !== 'NotFound' && errorCode(err) !== 'NoSuchKey') {
      throw t.error(err, loc, 'info');
    }
  }
  if (!(await bucketExists(t, loc)))
    throw new S3NoSuchBucketError(loc.url, loc.bucket, { operation: 'info' });
  return undefined;
}

/** Buckets known to exist (or not), per tool: a run of missing keys costs one HeadBucket. */
const bucketCache = new WeakMap<Transfer, Map<string, Promise<boolean>>>();

function bucketExists(t: Transfer, loc: S3Location): Promise<boolean> {
  let known = bucketCache.get(t);
  if (!known) bucketCache.set(t, (known = new Map()));
  let answer = known.get(loc.bucket);
  if (!answer) known.set(loc.bucket, (answer = headBucket(t, loc)));
  return answer;
}

async function headBucket(t: Transfer, loc: S3Location): Promise<boolean> {
  try {
    await t.attempts(loc, 'info', () => t.client.send(new t.sdk.HeadBucketCommand({ Bucket: loc.bucket })));
    return true;
  } catch (err) {
    // 403: the bucket exists but HeadBucket is not allowed; assume the object is what is missing.
    return httpStatus(err) !== 404;
  }
}

/**
 * One entry of a listing: an object (with its size) or, for a one-level listing, a common prefix.
 *
 * @example
 * ```ts
 * const entry: ListEntry = { url: 's3://b/data/x.csv', size: 120, lastModified: new Date(), isPrefix: false };
 * ```
 */
export interface ListEntry {
  readonly url: string;
  readonly size?: number;
  readonly lastModified?: Date;
  readonly etag?: string;
  /** True for a "directory" (a common prefix of a one-level listing). */
  readonly isPrefix: boolean;
}

/**
 * Lists what is under `loc` (a folder: `dir` means `dir/`), page by page. `recursive` lists every
 * object below, plus the object named by the key itself if there is one; otherwise one level, with
 * sub-folders as prefixes.
 *
 * @example
 * ```ts
 * const entries = await listObjects(transfer, parseS3Url('s3://b/data'), false);
 * ```
 */
export async function listObjects(t: Transfer, loc: S3Location, recursive: boolean): Promise<ListEntry[]> {
  const folder = loc.key === '' || loc.key.endsWith('/') ? loc.key : `${loc.key}/`;
  // Recursive: also the object named by the key itself (as Metaflow), but not its siblings that only
  // share the characters (listing run 1 must not return run 10's files).
  const prefix = recursive ? loc.key : folder;
  const wanted = (key: string) => key === loc.key || key.startsWith(folder);
  const entries: ListEntry[] = [];
  let token: string | undefined;
  do {
    const page = await t.call(loc, 'list', () =>
      t.client.send(
        new t.sdk.ListObjectsV2Command({
          Bucket: loc.bucket,
          Prefix: prefix,
          Delimiter: recursive ? undefined : '/',
          ContinuationToken: token,
        }),
      ),
    );
    for (const p of page.CommonPrefixes ?? []) {
      if (p.Prefix !== undefined) entries.push({ url: `s3://${loc.bucket}/${p.Prefix}`, isPrefix: true });
    }
    for (const o of page.Contents ?? []) {
      if (o.Key === undefined || !wanted(o.Key)) continue;
      entries.push({
        url: `s3://${loc.bucket}/${o.Key}`,
        size: o.Size,
        lastModified: o.LastModified,
        etag: o.ETag,
        isPrefix: false,
      });
    }
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token !== undefined);
  return entries.sort((a, b) => (a.url < b.url ? -1 : a.url > b.url ? 1 : 0));
}
