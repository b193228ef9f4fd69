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

/** The real file system. */
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

/** 1 MiB. */
export const MiB = 1024 * 1024;

/** The default part sizes (see bench/s3-tool.bench.mjs). */
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
}

/** Extra context for error messages. */
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
  #retries = 0;

  constructor(ctx: TransferContext) {
    this.sdk = ctx.sdk;
    this.client = ctx.client;
    this.parts = ctx.parts;
    this.fileOps = ctx.fileOps;
    this.#limiter = new Limiter(ctx.concurrency);
    this.#retry = ctx.retry;
    this.#tempdir = ctx.tempdir;
  }

  /** The bound on requests in flight. */
  get concurrency(): number {
    return this.#limiter.max;
  }

  /** The most requests that were ever in flight at once. */
  get peakConcurrency(): number {
    return this.#limiter.peak;
  }

  /** Transient failures retried so far. */
  get retriesSoFar(): number {
    return this.#retries;
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
      onRetry: () => {
        this.#retries++;
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
