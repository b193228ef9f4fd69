/**
 * `S3`: Metaflow's S3 data tool for TypeScript. Gets, puts, infos and lists objects (one or many in
 * parallel), streaming downloads into a temp dir under `METAFLOW_TEMPDIR`: with `@batch({ useTmpfs })`
 * that dir is in memory. The dir is removed by `close()` (or `await using`).
 *
 * @module
 */

import { mkdtemp } from 'node:fs/promises';
import path from 'node:path';
import { errorMessage } from '../../common/index.js';
import { current } from '../../flow/index.js';
import { describeFailure } from './classify.js';
import { S3ConfigError, S3UrlError } from './errors.js';
import type { S3GetObject, S3Object, S3PutFile, S3PutObject, S3PutOptions } from './objects.js';
import {
  getOne,
  getUnder,
  infoOne,
  listAll,
  type OpContext,
  putAll,
  type S3GetOptions,
  type S3OverwriteOptions,
  type S3PutResult,
  toSource,
} from './operations.js';
import { resolveRoot, type S3Options } from './options.js';
import { createClient, loadSdk } from './sdk.js';
import { readS3Settings, type S3Settings } from './settings.js';
import { forgetTempDir, removePath, trackTempDir } from './temp-dir.js';
import { DEFAULT_PART_SIZES, type FileOps, MiB, NODE_FILE_OPS, Transfer } from './transfer.js';
import { isS3Url, joinKey, parseS3Url, type S3Location } from './url.js';

export type { S3GetOptions, S3OverwriteOptions, S3PutResult } from './operations.js';

/** With `METAFLOW_S3_LOG_TRANSIENT_RETRIES`: one stderr line per transient retry. */
function logRetry(retries: number) {
  return (url: string, err: unknown, attempt: number, delayMs: number) => {
    process.stderr.write(
      `S3 transient failure on ${url} (${describeFailure(err)}); retry ${attempt + 1}/${retries} in ${delayMs} ms\n`,
    );
  };
}

/** S3's smallest multipart part. */
const MIN_PART_SIZE = 5 * MiB;

/**
 * Metaflow's S3 client: `get`, `getMany`, `getRecursive`, `getAll`, `put`, `putMany`, `putFiles`,
 * `info`, `infoMany`, `list`, `listRecursive`. Keys are relative to the tool's root (`run`, `s3root`,
 * `bucket`) or full `s3://` URLs. Many-object calls run in parallel (at most `concurrency` requests
 * in flight) and retry only transient failures; permanent ones throw named errors that carry the URL.
 *
 * @example
 * ```ts
 * import { FlowSpec, S3, step } from 'stepflow';
 *
 * export default class DataFlow extends FlowSpec {
 *   @step async start() {
 *     await using s3 = new S3({ run: this });
 *     await s3.put('rows.json', JSON.stringify([1, 2, 3]), { contentType: 'application/json' });
 *     const rows = JSON.parse((await s3.get('rows.json')).text);
 *     const parts = await s3.getMany(['a.csv', 'b.csv']);   // files in the temp dir: part.path
 *     this.next(this.end);
 *   }
 *   @step end() {}
 * }
 * ```
 */
export class S3 implements AsyncDisposable {
  /** The root relative keys resolve against; undefined when only full URLs are accepted. */
  readonly s3root: string | undefined;
  /** The folder temp dirs are made in (`METAFLOW_TEMPDIR` or the working directory), absolute. */
  readonly tmproot: string;
  readonly #options: S3Options;
  readonly #settings: S3Settings;
  readonly #inFlow: boolean;
  #transfer: Promise<Transfer> | undefined;
  #tempdir: Promise<string> | undefined;
  #tempdirPath: string | undefined;
  #files = 0;
  #closed = false;
  readonly #pending = new Set<Promise<unknown>>();

  constructor(options: S3Options = {}) {
    this.#options = options;
    this.#settings = readS3Settings();
    this.#inFlow = current.isRunning;
    this.s3root = resolveRoot(options, this.#settings, {
      running: current.isRunning,
      flowName: current.flowName,
      runId: current.runId,
    });
    this.tmproot = path.resolve(options.tmproot ?? this.#settings.tempdir);
    const { partSize } = options;
    if (partSize !== undefined && (!Number.isSafeInteger(partSize) || partSize < MIN_PART_SIZE)) {
      throw new S3ConfigError(`partSize must be an integer ≥ ${MIN_PART_SIZE} (5 MiB, S3's minimum part).`);
    }
  }

  /** The temp dir downloads are in, once the first download made it. */
  get tempdir(): string | undefined {
    return this.#tempdirPath;
  }

  /**
   * Downloads one object (or a byte range of it) into the temp dir. Without a key, the root itself.
   *
   * @example
   * ```ts
   * const obj = await s3.get('data.csv');
   * const head = await s3.get({ key: 'big.bin', offset: 0, length: 1024 });
   * const maybe = await s3.get('optional.json', { returnMissing: true });
   * if (maybe.exists) console.log(maybe.text);
   * ```
   */
  get(key?: string | S3GetObject, options: S3GetOptions = {}): Promise<S3Object> {
    return this.#op((ctx) => getOne(ctx, key ?? '', options));
  }

  /**
   * Downloads many objects in parallel, in the order given.
   *
   * @example
   * ```ts
   * const objs = await s3.getMany(['a.csv', { key: 'b.bin', length: -100 }]);
   * ```
   */
  getMany(keys: ReadonlyArray<string | S3GetObject>, options: S3GetOptions = {}): Promise<S3Object[]> {
    return this.#op((ctx) => ctx.transfer.many(keys, (key) => getOne(ctx, key, options)));
  }

  /**
   * Downloads every object under each prefix (a prefix is treated as a folder).
   *
   * @example
   * ```ts
   * const shards = await s3.getRecursive(['shards/']);
   * ```
   */
  getRecursive(keys: readonly string[]): Promise<S3Object[]> {
    return this.#op((ctx) => getUnder(ctx, keys));
  }

  /**
   * Downloads every object under the root.
   *
   * @example
   * ```ts
   * const everything = await new S3({ s3root: 's3://bucket/exports' }).getAll();
   * ```
   */
  getAll(): Promise<S3Object[]> {
    return this.#op((ctx) => getUnder(ctx, [this.#requireRoot('getAll()')]));
  }

  /**
   * Uploads a string (as UTF-8) or bytes; returns the object's URL.
   *
   * @example
   * ```ts
   * const url = await s3.put('rows.json', JSON.stringify(rows), { contentType: 'application/json', metadata: { n: rows.length } });
   * ```
   */
  put(
    key: string,
    value: string | Uint8Array,
    options: S3PutOptions & S3OverwriteOptions = {},
  ): Promise<string> {
    return this.#op(async (ctx) => {
      const url = ctx.loc(key).url;
      await putAll(ctx, [{ ...options, key }], () => toSource(value), options);
      return url;
    });
  }

  /**
   * Uploads many values in parallel; returns the keys and URLs uploaded (existing keys skipped with
   * `overwrite: false` are left out).
   *
   * @example
   * ```ts
   * await s3.putMany([{ key: 'a.txt', value: 'A' }, { key: 'b.bin', value: bytes, metadata: { kind: 'b' } }]);
   * ```
   */
  putMany(items: readonly S3PutObject[], options: S3OverwriteOptions = {}): Promise<S3PutResult[]> {
    return this.#op((ctx) => putAll(ctx, items, (item) => toSource(item.value), options));
  }

  /**
   * Uploads local files in parallel (big ones multipart, read part by part).
   *
   * @example
   * ```ts
   * await s3.putFiles([{ key: 'model.bin', path: '/tmp/model.bin', contentType: 'application/octet-stream' }]);
   * ```
   */
  putFiles(items: readonly S3PutFile[], options: S3OverwriteOptions = {}): Promise<S3PutResult[]> {
    return this.#op((ctx) => putAll(ctx, items, (item) => ({ kind: 'file', path: item.path }), options));
  }

  /**
   * The info of one object (size, content type, metadata, last modified) without downloading it.
   *
   * @example
   * ```ts
   * const { size, metadata } = await s3.info('model.bin');
   * ```
   */
  info(key?: string, options: S3GetOptions = {}): Promise<S3Object> {
    return this.#op((ctx) => infoOne(ctx, key ?? '', options));
  }

  /**
   * The info of many objects in parallel.
   *
   * @example
   * ```ts
   * const infos = await s3.infoMany(['a', 'b'], { returnMissing: true });
   * ```
   */
  infoMany(keys: readonly string[], options: S3GetOptions = {}): Promise<S3Object[]> {
    return this.#op((ctx) => ctx.transfer.many(keys, (key) => infoOne(ctx, key, options)));
  }

  /**
   * Lists one level under each key (default: the root): objects (`exists`, `size`) and sub-folders
   * (`exists === false`, URL ending in `/`).
   *
   * @example
   * ```ts
   * for (const entry of await s3.list()) console.log(entry.key, entry.exists ? entry.size : '(folder)');
   * ```
   */
  list(keys?: readonly string[]): Promise<S3Object[]> {
    return this.#op((ctx) => listAll(ctx, keys ?? [this.#requireRoot('list()')], false));
  }

  /**
   * Lists every object under each key (default: the root), at any depth.
   *
   * @example
   * ```ts
   * const total = (await s3.listRecursive(['logs/'])).reduce((n, o) => n + (o.size ?? 0), 0);
   * ```
   */
  listRecursive(keys?: readonly string[]): Promise<S3Object[]> {
    return this.#op((ctx) => listAll(ctx, keys ?? [this.#requireRoot('listRecursive()')], true));
  }

  /**
   * Waits for calls in flight, removes the temp dir (and every downloaded file) and releases the
   * client's connections. Safe to call twice; the tool cannot be used afterwards.
   *
   * @example
   * ```ts
   * const s3 = new S3({ run: this });
   * try { await s3.get('x'); } finally { await s3.close(); }
   * ```
   */
  async close(): Promise<void> {
    this.#closed = true;
    await Promise.allSettled([...this.#pending]);
    const transfer = this.#transfer;
    this.#transfer = undefined;
    if (transfer) await transfer.then((t) => t.client.destroy()).catch(() => undefined);
    const dir = this.#tempdirPath;
    if (dir !== undefined) {
      await removePath(dir);
      forgetTempDir(dir);
    }
  }

  /** `await using s3 = new S3(...)` closes the tool at the end of the block. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  /** How downloads open files; a test may override it to fake a full disk. */
  protected fileOps(): FileOps {
    return NODE_FILE_OPS;
  }

  /** Runs one public call, tracked until it settles so that close() can wait for it. */
  #op<T>(fn: (ctx: OpContext) => Promise<T>): Promise<T> {
    if (this.#closed) {
      return Promise.reject(new S3ConfigError('This S3 tool is closed; make a new S3(...) to use S3 again.'));
    }
    const run = this.#getTransfer().then((transfer) =>
      fn({
        transfer,
        root: this.s3root,
        encryption: this.#options.encryption ?? this.#settings.serverSideEncryption,
        loc: (key) => this.#loc(key),
        tempFile: (loc) => this.#tempFile(loc),
      }),
    );
    this.#pending.add(run);
    const done = () => this.#pending.delete(run);
    run.then(done, done);
    return run;
  }

  /** The client and transfer engine, made on the first call (which loads the SDK). */
  #getTransfer(): Promise<Transfer> {
    this.#transfer ??= (async () => {
      const o = this.#options;
      const concurrency = o.concurrency ?? this.#settings.workerCount;
      const sdk = loadSdk();
      const client = await createClient(sdk, {
        endpoint: o.endpoint ?? this.#settings.endpoint,
        region: o.region,
        maxSockets: concurrency,
      });
      const partSize = o.partSize ?? DEFAULT_PART_SIZES.partSize;
      const retries = o.retryCount ?? this.#settings.retryCount;
      return new Transfer({
        sdk,
        client,
        concurrency,
        retry: {
          retries,
          baseDelayMs: o.retryDelayMs ?? 200,
          maxDelayMs: 20_000,
        },
        parts: { ...DEFAULT_PART_SIZES, partSize, multipartThreshold: partSize },
        fileOps: this.fileOps(),
        tempdir: () => this.#tempdirPath ?? this.tmproot,
        onRetry: this.#settings.logRetries ? logRetry(retries) : undefined,
      });
    })();
    return this.#transfer;
  }

  #loc(key: string): S3Location {
    if (isS3Url(key)) return parseS3Url(key);
    if (this.s3root !== undefined) return parseS3Url(joinKey(this.s3root, key));
    throw new S3UrlError(
      key,
      this.#inFlow
        ? 'a relative key needs a root: use new S3({ run: this }) inside a flow, or full s3:// URLs'
        : "a relative key needs a root: new S3({ s3root: 's3://bucket/prefix' }), or use full s3:// URLs",
    );
  }

  #requireRoot(what: string): string {
    if (this.s3root === undefined) {
      throw new S3UrlError('', `${what} needs a root: new S3({ run: this }) or new S3({ s3root })`);
    }
    return this.s3root;
  }

  /** A new file for a download of `loc`, in the temp dir (made on first use). */
  async #tempFile(loc: S3Location): Promise<string> {
    this.#tempdir ??= (async () => {
      const dir = await mkdtemp(path.join(this.tmproot, 'stepflow.s3.')).catch((err: unknown) => {
        throw new S3ConfigError(
          `Cannot make a temp dir for downloads in ${this.tmproot}: ${errorMessage(err)}. ` +
            'Point METAFLOW_TEMPDIR (or the tmproot option) at a writable folder.',
          { cause: err },
        );
      });
      this.#tempdirPath = dir;
      trackTempDir(dir);
      return dir;
    })();
    const dir = await this.#tempdir;
    const base =
      path.posix
        .basename(loc.key)
        .replace(/[^\w.-]/g, '_')
        .slice(-80) || 'object';
    return path.join(dir, `${++this.#files}-${base}`);
  }
}
