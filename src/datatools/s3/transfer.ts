/**
 * The transfer engine: every S3 request of the tool goes through {@link Transfer.call}, which bounds
 * the requests in flight, retries transient failures with jittered backoff and turns permanent ones
 * into named errors. Many-object calls fan out with {@link Transfer.many}; big objects are split into
 * ranged or multipart parts by `download.ts` and `upload.ts`.
 *
 * @module
 */

import { open } from 'node:fs/promises';
import { describeFailure, toS3Error } from './classify.js';
import { type S3Operation, S3RetriesExhaustedError } from './errors.js';
import { Limiter, mapBounded } from './limiter.js';
import { type RetryPolicy, withRetries } from './retry.js';
import type { S3Sdk, S3SdkClient } from './sdk.js';
import type { S3Location } from './url.js';

/**
 * The part of an open file a download writes to (a subset of `fs.promises.FileHandle`).
 *
 * @example
 * ```ts
 * const file: WritableFile = await open(path, 'w');
 * ```
 */
export interface WritableFile {
  writev(buffers: Buffer[], position: number): Promise<unknown>;
  close(): Promise<void>;
}

/**
 * How downloads open their local files; replaced in tests by a fake that fails like a full disk.
 *
 * @example
 * ```ts
 * const fileOps: FileOps = { openForWrite: (path) => open(path, 'w') };
 * ```
 */
export interface FileOps {
  openForWrite(path: string): Promise<WritableFile>;
}

/**
 * The real file system.
 *
 * @example
 * ```ts
 * const file = await NODE_FILE_OPS.openForWrite('/tmp/x');
 * ```
 */
export const NODE_FILE_OPS: FileOps = { openForWrite: (path) => open(path, 'w') };

/**
 * Sizes of the pieces big objects are cut into.
 *
 * @example
 * ```ts
 * const sizes: PartSizes = { partSize: 16 * 2 ** 20, multipartThreshold: 16 * 2 ** 20, partConcurrency: 16 };
 * ```
 */
export interface PartSizes {
  /** Bytes per ranged GET / multipart part. */
  readonly partSize: number;
  /** Uploads larger than this use multipart. */
  readonly multipartThreshold: number;
  /** Parts of one object in flight at once (all objects together stay within the concurrency). */
  readonly partConcurrency: number;
}

/**
 * 1 MiB.
 *
 * @example
 * ```ts
 * const partSize = 16 * MiB;
 * ```
 */
export const MiB = 1024 * 1024;

/**
 * The default part sizes: 16 MiB parts, multipart above 16 MiB, 16 parts of one object at once.
 *
 * @example
 * ```ts
 * const parts: PartSizes = { ...DEFAULT_PART_SIZES, partSize: 8 * MiB };
 * ```
 */
export const DEFAULT_PART_SIZES: PartSizes = {
  partSize: 16 * MiB,
  multipartThreshold: 16 * MiB,
  partConcurrency: 16,
};

/**
 * What {@link Transfer} needs.
 *
 * @example
 * ```ts
 * const transfer = new Transfer({ sdk, client, concurrency: 64, retry, parts: DEFAULT_PART_SIZES, fileOps: NODE_FILE_OPS, tempdir });
 * ```
 */
export interface TransferContext {
  readonly sdk: S3Sdk;
  readonly client: S3SdkClient;
  /** Requests in flight at once, over all objects. */
  readonly concurrency: number;
  readonly retry: RetryPolicy;
  readonly parts: PartSizes;
  readonly fileOps: FileOps;
  /** The temp dir downloads go to (for error messages). */
  readonly tempdir: () => string | undefined;
  /** Hears of each transient failure about to be retried (e.g. to log it). */
  readonly onRetry?: (url: string, err: unknown, attempt: number, delayMs: number) => void;
}

/**
 * Extra context for error messages.
 *
 * @example
 * ```ts
 * await transfer.call(loc, 'get', send, { range: 'bytes=0-99' } satisfies CallContext);
 * ```
 */
export interface CallContext {
  readonly range?: string;
}

/**
 * Bounded, retrying access to S3 shared by every operation of one {@link S3} tool.
 *
 * @example
 * ```ts
 * const head = await transfer.call(loc, 'info', () => client.send(new sdk.HeadObjectCommand({ Bucket, Key })));
 * ```
 */
export class Transfer {
  readonly sdk: S3Sdk;
  readonly client: S3SdkClient;
  readonly parts: PartSizes;
  readonly fileOps: FileOps;
  readonly #limiter: Limiter;
  readonly #retry: RetryPolicy;
  readonly #tempdir: () => string | undefined;
  readonly #onRetry: TransferContext['onRetry'];

  constructor(ctx: TransferContext) {
    this.sdk = ctx.sdk;
    this.client = ctx.client;
    this.parts = ctx.parts;
    this.fileOps = ctx.fileOps;
    this.#limiter = new Limiter(ctx.concurrency);
    this.#retry = ctx.retry;
    this.#tempdir = ctx.tempdir;
    this.#onRetry = ctx.onRetry;
  }

  /** The bound on requests in flight. */
  get concurrency(): number {
    return this.#limiter.max;
  }

  /**
   * Runs one request (`fn` should send it and consume its body) within the concurrency bound,
   * retrying transient failures; a permanent failure is thrown as a named {@link S3Error}.
   */
  async call<T>(
    loc: S3Location,
    operation: S3Operation,
    fn: () => Promise<T>,
    ctx: CallContext = {},
  ): Promise<T> {
    try {
      return await this.attempts(loc, operation, fn);
    } catch (err) {
      throw this.error(err, loc, operation, ctx);
    }
  }

  /**
   * Like {@link Transfer.call}, but a failure is thrown as it came (unmapped), for callers that handle
   * some codes themselves (a 404 that means "missing", a 416 on an empty object).
   */
  attempts<T>(loc: S3Location, operation: S3Operation, fn: () => Promise<T>): Promise<T> {
    return withRetries(() => this.#limiter.run(fn), this.#retry, {
      onRetry: (err, attempt, delayMs) => {
        this.#onRetry?.(loc.url, err, attempt, delayMs);
      },
      exhausted: (err, attempts) =>
        new S3RetriesExhaustedError(loc.url, attempts, {
          operation,
          cause: err,
          detail: describeFailure(err),
        }),
    });
  }

  /** Maps a failure of `operation` on `loc` to a named error. */
  error(err: unknown, loc: S3Location, operation: S3Operation, ctx: CallContext = {}): Error {
    return toS3Error(err, loc.url, {
      operation,
      bucket: loc.bucket,
      range: ctx.range,
      tempdir: this.#tempdir(),
    });
  }

  /**
   * Runs `fn` over many items in parallel, keeping their order. Items start in order as slots free up;
   * the requests they make share the tool's concurrency bound.
   */
  many<T, R>(items: readonly T[], fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
    return mapBounded(items, this.#limiter.max, fn);
  }
}
