/**
 * Downloads: one object (or a byte range of it) streamed into a local file, never held whole in memory.
 * An unranged get first asks for the first part; if the object is bigger, the other parts are fetched
 * in parallel (pinned to the first response's ETag) and written at their offsets in the same file.
 *
 * @module
 */

import type { GetObjectCommandOutput } from '@aws-sdk/client-s3';
import { errorCode, httpStatus, TransientDataError } from './classify.js';
import { S3Error } from './errors.js';
import { mapBounded } from './limiter.js';
import { type ObjectInfo, objectInfo } from './object-info.js';
import type { S3RangeInfo } from './objects.js';
import { MiB, type Transfer, type WritableFile } from './transfer.js';
import { parseContentRange, type S3Location } from './url.js';

/** Bytes gathered before one positional write. */
const WRITE_BATCH = 1024 * 1024;

/**
 * What a download learnt about the object.
 *
 * @example
 * ```ts
 * const result: DownloadResult = await downloadObject(transfer, loc, undefined, '/tmp/x');
 * console.log(result.size, result.info.contentType);
 * ```
 */
export interface DownloadResult {
  /** Bytes written to the file. */
  readonly size: number;
  readonly info: ObjectInfo;
  /** Set for a ranged download. */
  readonly rangeInfo?: S3RangeInfo;
}

/**
 * Streams `body` into `file` at `position`, in batched positional writes; returns the bytes written.
 * `onWritten` hears of every write, so a retry can resume where a broken body stopped.
 *
 * @example
 * ```ts
 * const n = await writeBody(response.Body, file, 0);
 * ```
 */
export async function writeBody(
  body: unknown,
  file: WritableFile,
  position: number,
  onWritten?: (bytes: number) => void,
): Promise<number> {
  if (body === undefined || body === null) return 0;
  const stream = body as AsyncIterable<Uint8Array> & { destroy?: (err?: Error) => void };
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  let at = position;
  const flush = async () => {
    if (pendingBytes === 0) return;
    const batch = pending;
    const bytes = pendingBytes;
    pending = [];
    pendingBytes = 0;
    await file.writev(batch, at);
    at += bytes;
    onWritten?.(bytes);
  };
  try {
    for await (const chunk of stream) {
      const buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk);
      pending.push(buf);
      pendingBytes += buf.length;
      if (pendingBytes >= WRITE_BATCH) await flush();
    }
    await flush();
  } catch (err) {
    stream.destroy?.();
    throw err;
  }
  return at - position;
}

/** Sends one GetObject and writes its body at `position`; checks the byte count. */
async function getInto(
  t: Transfer,
  loc: S3Location,
  file: WritableFile,
  position: number,
  range: string | undefined,
  ifMatch?: string,
  onWritten?: (bytes: number) => void,
): Promise<GetObjectCommandOutput> {
  const res = await t.client.send(
    new t.sdk.GetObjectCommand({ Bucket: loc.bucket, Key: loc.key, Range: range, IfMatch: ifMatch }),
  );
  const written = await writeBody(res.Body, file, position, onWritten);
  if (res.ContentLength !== undefined && written !== res.ContentLength) {
    throw new TransientDataError(`expected ${res.ContentLength} bytes from ${loc.url}, got ${written}`);
  }
  return res;
}

function rangeOf(res: GetObjectCommandOutput, written: number): S3RangeInfo | undefined {
  const cr = parseContentRange(res.ContentRange);
  if (!cr) return undefined;
  return { totalSize: cr.total, offset: cr.start, length: written };
}

/**
 * Downloads `loc` (or the `range` of it, an HTTP Range header) into a new file at `filePath`.
 * Throws the named errors of {@link Transfer.call}; a missing object throws {@link S3NotFoundError}.
 *
 * @example
 * ```ts
 * const { size, info } = await downloadObject(transfer, parseS3Url('s3://b/k'), 'bytes=0-99', '/tmp/k');
 * ```
 */
export async function downloadObject(
  t: Transfer,
  loc: S3Location,
  range: string | undefined,
  filePath: string,
): Promise<DownloadResult> {
  let file: WritableFile;
  try {
    file = await t.fileOps.openForWrite(filePath);
  } catch (err) {
    throw t.error(err, loc, 'get');
  }
  try {
    if (range !== undefined) {
      const res = await t.call(loc, 'get', () => getInto(t, loc, file, 0, range), { range });
      const size = res.ContentLength ?? 0;
      return { size, info: objectInfo(res), rangeInfo: rangeOf(res, size) };
    }
    return await downloadWhole(t, loc, file);
  } finally {
    await file.close().catch(() => undefined);
  }
}

/** Bytes `start..end` (inclusive) of the object with ETag `etag`, resuming after transient failures. */
async function getRange(
  t: Transfer,
  loc: S3Location,
  file: WritableFile,
  start: number,
  end: number,
  etag: string | undefined,
): Promise<void> {
  let next = start;
  const advance = (bytes: number) => {
    next += bytes;
  };
  try {
    await t.call(
      loc,
      'get',
      async () => {
        const range = `bytes=${next}-${end}`;
        await getInto(t, loc, file, next, range, etag, advance);
        if (next !== end + 1) throw new TransientDataError(`short range ${range} of ${loc.url}`);
      },
      { range: `bytes=${start}-${end}` },
    );
  } catch (err) {
    if (errorCode((err as S3Error).cause) !== 'PreconditionFailed') throw err;
    throw new S3Error(
      `${loc.url} changed while it was being downloaded (its ETag is no longer ${etag}); get it again.`,
      loc.url,
      { operation: 'get', cause: err },
    );
  }
}

/** The first part, then the rest in parallel. */
async function downloadWhole(t: Transfer, loc: S3Location, file: WritableFile): Promise<DownloadResult> {
  const { partSize, partConcurrency } = t.parts;
  const probe = `bytes=0-${partSize - 1}`;
  let first: GetObjectCommandOutput;
  try {
    first = await t.attempts(loc, 'get', () => getInto(t, loc, file, 0, probe));
  } catch (err) {
    // An empty object has no byte 0: S3 answers 416 to any range. Ask again without one.
    if (errorCode(err) !== 'InvalidRange' && httpStatus(err) !== 416) throw t.error(err, loc, 'get');
    first = await t.call(loc, 'get', () => getInto(t, loc, file, 0, undefined));
    return { size: first.ContentLength ?? 0, info: objectInfo(first) };
  }
  const cr = parseContentRange(first.ContentRange);
  const got = first.ContentLength ?? 0;
  if (!cr || !Number.isFinite(cr.total) || cr.total <= got) {
    return { size: got, info: objectInfo(first) };
  }
  const total = cr.total;
  // Few, big ranges: one per part worker (but no smaller than partSize), each resumed where it broke
  // off after a transient failure. Fewer requests cost less everywhere (and a lot on moto, which reads
  // the whole object to answer each range).
  const rangeSize = Math.max(partSize, Math.ceil((total - got) / partConcurrency / MiB) * MiB);
  const starts: number[] = [];
  for (let start = got; start < total; start += rangeSize) starts.push(start);
  await mapBounded(starts, partConcurrency, (start) =>
    getRange(t, loc, file, start, Math.min(total, start + rangeSize) - 1, first.ETag),
  );
  return { size: total, info: objectInfo(first) };
}
