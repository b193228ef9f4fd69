/**
 * Multipart uploads over client-s3's own commands (no `@aws-sdk/lib-storage`): the body, given as
 * chunks, is cut into parts that are uploaded a few at a time; the object appears only when
 * CompleteMultipartUpload succeeds, and a failure aborts the upload so no parts linger.
 *
 * @module
 */

import type { CompletedPart, S3Client, ServerSideEncryption } from '@aws-sdk/client-s3';
import { mapBounded } from '../../common/index.js';
import { MIN_PART_SIZE } from './s3-options.js';
import type { S3Sdk } from './sdk.js';

/** S3's limit on the number of parts of one upload. */
export const MAX_PARTS = 10_000;

/** What {@link uploadMultipart} needs. */
export interface MultipartRequest {
  readonly sdk: S3Sdk;
  readonly client: S3Client;
  readonly bucket: string;
  readonly key: string;
  readonly chunks: readonly Uint8Array[];
  readonly size: number;
  readonly partSize: number;
  readonly concurrency: number;
  readonly sse?: ServerSideEncryption;
}

/**
 * The part size to use for a body: the requested one, raised (to a whole MiB) when the body would
 * need more than {@link MAX_PARTS} parts, and never below S3's 5 MiB minimum.
 *
 * @example
 * ```ts
 * effectivePartSize(40 * 2 ** 20, 8 * 2 ** 20); // 8 MiB
 * ```
 */
export function effectivePartSize(size: number, requested: number): number {
  let partSize = Math.max(MIN_PART_SIZE, Math.floor(requested));
  if (Math.ceil(size / partSize) > MAX_PARTS) {
    const mib = 1024 * 1024;
    partSize = Math.ceil(size / MAX_PARTS / mib) * mib;
  }
  return partSize;
}

/**
 * The bytes `[start, end)` of a body given as chunks: a view when they sit in one chunk, else a
 * copy of just that range.
 *
 * @example
 * ```ts
 * sliceChunks([Uint8Array.of(1, 2), Uint8Array.of(3, 4)], 1, 3); // Uint8Array [2, 3]
 * ```
 */
export function sliceChunks(chunks: readonly Uint8Array[], start: number, end: number): Uint8Array {
  const pieces: Uint8Array[] = [];
  let offset = 0;
  for (const chunk of chunks) {
    const chunkEnd = offset + chunk.byteLength;
    if (chunkEnd > start && offset < end) {
      pieces.push(chunk.subarray(Math.max(0, start - offset), Math.min(chunk.byteLength, end - offset)));
    }
    offset = chunkEnd;
    if (offset >= end) break;
  }
  return pieces.length === 1 ? pieces[0] : Buffer.concat(pieces);
}

/**
 * Uploads a body as a multipart upload with at most `concurrency` parts in flight; aborts the upload
 * when anything fails (and rethrows the first error).
 *
 * @example
 * ```ts
 * await uploadMultipart({ sdk, client, bucket, key, chunks, size, partSize: 16 * 2 ** 20, concurrency: 4 });
 * ```
 */
export async function uploadMultipart(req: MultipartRequest): Promise<void> {
  const { sdk, client, bucket, key } = req;
  const partSize = effectivePartSize(req.size, req.partSize);
  const count = Math.max(1, Math.ceil(req.size / partSize));
  const created = await client.send(
    new sdk.CreateMultipartUploadCommand({
      Bucket: bucket,
      Key: key,
      ChecksumAlgorithm: 'CRC32',
      ...(req.sse ? { ServerSideEncryption: req.sse } : {}),
    }),
  );
  const uploadId = created.UploadId;
  if (!uploadId) throw new Error('CreateMultipartUpload returned no UploadId');
  const parts: CompletedPart[] = new Array(count);
  const upload = async (index: number): Promise<void> => {
    const start = index * partSize;
    const body = sliceChunks(req.chunks, start, Math.min(req.size, start + partSize));
    const out = await client.send(
      new sdk.UploadPartCommand({
        Bucket: bucket,
        Key: key,
        UploadId: uploadId,
        PartNumber: index + 1,
        Body: body,
        ContentLength: body.byteLength,
        ChecksumAlgorithm: 'CRC32',
      }),
    );
    parts[index] = {
      PartNumber: index + 1,
      ETag: out.ETag,
      ...(out.ChecksumCRC32 ? { ChecksumCRC32: out.ChecksumCRC32 } : {}),
    };
  };
  try {
    // The shared bounded map starts no part after a failure and settles every part in flight before it
    // throws, so no part is still in flight when the upload is aborted.
    await mapBounded(
      Array.from({ length: count }, (_, i) => i),
      req.concurrency,
      upload,
    );
    await client.send(
      new sdk.CompleteMultipartUploadCommand({
        Bucket: bucket,
        Key: key,
        UploadId: uploadId,
        MultipartUpload: { Parts: parts },
      }),
    );
  } catch (err) {
    await client
      .send(new sdk.AbortMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId: uploadId }))
      .catch(() => undefined);
    throw err;
  }
}
