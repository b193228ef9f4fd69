/**
 * Uploads: one PutObject for small objects; a multipart upload with parts sent in parallel for big
 * ones. File parts are read one at a time as they are sent, so memory stays at
 * `partConcurrency × partSize` whatever the file's size.
 *
 * @module
 */

import { open, stat } from 'node:fs/promises';
import type { CompletedPart, ServerSideEncryption } from '@aws-sdk/client-s3';
import { errorMessage } from '../../common/index.js';
import { S3Error } from './errors.js';
import { mapBounded } from './limiter.js';
import type { Transfer } from './transfer.js';
import type { S3Location } from './url.js';

/**
 * What to upload: bytes in memory, or a local file.
 *
 * @example
 * ```ts
 * const source: UploadSource = { kind: 'file', path: '/tmp/model.bin' };
 * ```
 */
export type UploadSource =
  | { readonly kind: 'bytes'; readonly data: Uint8Array }
  | { readonly kind: 'file'; readonly path: string };

/**
 * Headers of the new object.
 *
 * @example
 * ```ts
 * const headers: UploadHeaders = { contentType: 'text/csv', metadata: encodeMetadata({ a: 1 }, url) };
 * ```
 */
export interface UploadHeaders {
  readonly contentType?: string;
  /** The SDK `Metadata` map (see `encodeMetadata`). */
  readonly metadata?: Record<string, string>;
  readonly encryption?: string;
}

/** The S3 limit on parts per upload. */
const MAX_PARTS = 10_000;

async function sizeOf(loc: S3Location, source: UploadSource): Promise<number> {
  if (source.kind === 'bytes') return source.data.byteLength;
  try {
    const s = await stat(source.path);
    if (!s.isFile()) throw new Error(`${source.path} is not a file`);
    return s.size;
  } catch (err) {
    throw new S3Error(
      `Cannot upload ${source.path} to ${loc.url}: ${errorMessage(err)}. Check the local path.`,
      loc.url,
      { operation: 'put', cause: err },
    );
  }
}

/** Bytes `start..start+length` of the source; a file is read then (one part in memory at a time). */
async function readSlice(
  loc: S3Location,
  source: UploadSource,
  start: number,
  length: number,
): Promise<Uint8Array> {
  if (source.kind === 'bytes') return source.data.subarray(start, start + length);
  try {
    const handle = await open(source.path, 'r');
    try {
      const buf = Buffer.allocUnsafe(length);
      let at = 0;
      while (at < length) {
        const { bytesRead } = await handle.read(buf, at, length - at, start + at);
        if (bytesRead === 0) throw new Error('the file shrank while it was being uploaded');
        at += bytesRead;
      }
      return buf;
    } finally {
      await handle.close();
    }
  } catch (err) {
    throw new S3Error(
      `Cannot read ${source.path} for ${loc.url}: ${errorMessage(err)}. Check the local file.`,
      loc.url,
      { operation: 'put', cause: err },
    );
  }
}

/**
 * Uploads `source` to `loc` with `headers`; big sources go multipart (aborted on failure).
 *
 * @example
 * ```ts
 * await uploadObject(transfer, parseS3Url('s3://b/k'), { kind: 'bytes', data: Buffer.from('hi') }, {});
 * ```
 */
export async function uploadObject(
  t: Transfer,
  loc: S3Location,
  source: UploadSource,
  headers: UploadHeaders,
): Promise<void> {
  const size = await sizeOf(loc, source);
  const common = {
    Bucket: loc.bucket,
    Key: loc.key,
    ContentType: headers.contentType,
    Metadata: headers.metadata,
    ServerSideEncryption: headers.encryption as ServerSideEncryption | undefined,
  };
  if (size <= t.parts.multipartThreshold) {
    await t.call(loc, 'put', async () => {
      const body = await readSlice(loc, source, 0, size);
      await t.client.send(new t.sdk.PutObjectCommand({ ...common, Body: body, ContentLength: size }));
    });
    return;
  }
  const partSize = Math.max(t.parts.partSize, Math.ceil(size / MAX_PARTS));
  const created = await t.call(loc, 'put', () =>
    t.client.send(new t.sdk.CreateMultipartUploadCommand({ ...common, ChecksumAlgorithm: 'CRC32' })),
  );
  const uploadId = created.UploadId;
  try {
    const count = Math.ceil(size / partSize);
    const numbers = Array.from({ length: count }, (_, i) => i + 1);
    const parts = await mapBounded(numbers, t.parts.partConcurrency, async (n): Promise<CompletedPart> => {
      const start = (n - 1) * partSize;
      const length = Math.min(partSize, size - start);
      const body = await readSlice(loc, source, start, length);
      const res = await t.call(loc, 'put', () =>
        t.client.send(
          new t.sdk.UploadPartCommand({
            Bucket: loc.bucket,
            Key: loc.key,
            UploadId: uploadId,
            PartNumber: n,
            Body: body,
            ContentLength: length,
            ChecksumAlgorithm: 'CRC32',
          }),
        ),
      );
      return { PartNumber: n, ETag: res.ETag, ChecksumCRC32: res.ChecksumCRC32 };
    });
    await t.call(loc, 'put', () =>
      t.client.send(
        new t.sdk.CompleteMultipartUploadCommand({
          Bucket: loc.bucket,
          Key: loc.key,
          UploadId: uploadId,
          MultipartUpload: { Parts: parts },
        }),
      ),
    );
  } catch (err) {
    await t.client
      .send(new t.sdk.AbortMultipartUploadCommand({ Bucket: loc.bucket, Key: loc.key, UploadId: uploadId }))
      .catch(() => undefined);
    throw err;
  }
}
