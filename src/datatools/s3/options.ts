/**
 * The options of `new S3(...)` and how they resolve to an S3 root.
 *
 * @module
 */

import { type FlowSpec, isFlowClass } from '../../flow/index.js';
import { S3ConfigError, S3UrlError } from './errors.js';
import type { S3Settings } from './settings.js';
import { isS3Url, joinKey, parseS3Url } from './url.js';

/**
 * A finished run read through the client (`Run` from `stepflow`): its data lives under
 * `METAFLOW_DATATOOLS_S3ROOT/<flowName>/<id>`.
 *
 * @example
 * ```ts
 * const ref: S3RunRef = { flowName: 'TrainFlow', id: '1718000000000' };
 * ```
 */
export interface S3RunRef {
  readonly flowName: string;
  readonly id: string;
}

/**
 * Options of `new S3(...)`. Give at most one of `run`, `s3root` and `bucket`; with none, every key
 * must be a full `s3://` URL.
 *
 * @example
 * ```ts
 * new S3({ run: this });                        // inside a step: METAFLOW_DATATOOLS_S3ROOT/<flow>/<run>
 * new S3({ s3root: 's3://bucket/datasets' });   // keys relative to a root
 * new S3({ bucket: 'bucket', prefix: 'a/b' });  // the same as s3root 's3://bucket/a/b'
 * new S3();                                     // full s3:// URLs only
 * ```
 */
export interface S3Options {
  /** The running flow (`this` in a step), or a past run (`Run` from the client). */
  readonly run?: FlowSpec | S3RunRef;
  /** Root URL for relative keys: `s3://bucket/prefix`. */
  readonly s3root?: string;
  /** Bucket for relative keys (with `prefix`). */
  readonly bucket?: string;
  /** Key prefix within `bucket`. */
  readonly prefix?: string;
  /** Where the temp dir of downloads is made: default `METAFLOW_TEMPDIR`, else the working directory. */
  readonly tmproot?: string;
  /** `ServerSideEncryption` for uploads: default `METAFLOW_S3_SERVER_SIDE_ENCRYPTION`. */
  readonly encryption?: string;
  /** An S3-compatible endpoint: default `METAFLOW_S3_ENDPOINT_URL`. */
  readonly endpoint?: string;
  /** The AWS region: default `AWS_REGION`, `AWS_DEFAULT_REGION`, the AWS config, else `us-east-1`. */
  readonly region?: string;
  /** Requests in flight at once: default `METAFLOW_S3_WORKER_COUNT` (64). */
  readonly concurrency?: number;
  /** Retries of transient failures: default `METAFLOW_S3_RETRY_COUNT` (7). */
  readonly retryCount?: number;
  /** Delay before the first retry, doubled each time (default 200 ms, capped at 20 s). */
  readonly retryDelayMs?: number;
  /** Bytes per ranged GET / multipart part (default 16 MiB; at least 5 MiB, S3's minimum part). */
  readonly partSize?: number;
}

/** The run a `run` option names. */
function runRef(run: FlowSpec | S3RunRef, inStep: { running: boolean; flowName?: string; runId?: string }) {
  const ref = run as Partial<S3RunRef>;
  const isFlow = typeof run === 'object' && run !== null && isFlowClass(run.constructor);
  if (!isFlow) {
    if (typeof ref.flowName === 'string' && typeof ref.id === 'string') {
      return { flowName: ref.flowName, runId: ref.id };
    }
    throw new S3ConfigError(
      'new S3({ run }) takes the running flow (`this` in a step) or a Run from the client ({ flowName, id }).',
    );
  }
  if (!inStep.running || inStep.flowName === undefined || inStep.runId === undefined) {
    throw new S3ConfigError(
      'new S3({ run: this }) works only inside a running step (it takes the flow name and run id from ' +
        "`current`). Outside a flow, use new S3({ s3root: 's3://bucket/prefix' }), new S3() with full " +
        's3:// URLs, or new S3({ run }) with a Run from the client.',
    );
  }
  return { flowName: inStep.flowName, runId: inStep.runId };
}

/**
 * The S3 root relative keys resolve against, or undefined when only full URLs are accepted.
 *
 * @example
 * ```ts
 * resolveRoot({ s3root: 's3://b/x/' }, settings, notRunning); // 's3://b/x'
 * ```
 */
export function resolveRoot(
  options: S3Options,
  settings: S3Settings,
  inStep: { running: boolean; flowName?: string; runId?: string },
): string | undefined {
  const given = [options.run, options.s3root, options.bucket].filter((v) => v !== undefined).length;
  if (given > 1) throw new S3ConfigError('Give at most one of run, s3root and bucket to new S3(...).');
  if (options.run !== undefined) {
    const { flowName, runId } = runRef(options.run, inStep);
    if (settings.datatoolsRoot === undefined) {
      throw new S3ConfigError(
        'new S3({ run }) needs an S3 root for run data: set METAFLOW_DATATOOLS_S3ROOT ' +
          '(e.g. s3://bucket/data) or METAFLOW_DATASTORE_SYSROOT_S3 (then <sysroot>/data is used).',
      );
    }
    if (!isS3Url(settings.datatoolsRoot)) {
      throw new S3UrlError(settings.datatoolsRoot, 'METAFLOW_DATATOOLS_S3ROOT must be an s3:// URL');
    }
    return joinKey(joinKey(settings.datatoolsRoot, flowName), runId);
  }
  if (options.s3root !== undefined) {
    if (!isS3Url(options.s3root)) throw new S3UrlError(options.s3root, 's3root must start with s3://');
    parseS3Url(options.s3root);
    return options.s3root.replace(/\/+$/, '');
  }
  if (options.bucket !== undefined) {
    const root = joinKey(`s3://${options.bucket}`, options.prefix ?? '');
    parseS3Url(root);
    return root;
  }
  if (options.prefix !== undefined) throw new S3ConfigError('new S3({ prefix }) needs a bucket as well.');
  return undefined;
}
