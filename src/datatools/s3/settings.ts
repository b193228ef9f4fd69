/**
 * The `METAFLOW_*` settings the S3 data tool reads, resolved by the config layer as Metaflow does
 * (environment variable, then the profile file `~/.metaflowconfig/config.json`, then the default).
 *
 * @module
 */

import { loadConfig } from '../../config/index.js';

/**
 * The S3 data tool's settings.
 *
 * @example
 * ```ts
 * const settings: S3Settings = readS3Settings({ METAFLOW_DATATOOLS_S3ROOT: 's3://bucket/data' });
 * ```
 */
export interface S3Settings {
  /** Root of `new S3({ run })`: `METAFLOW_DATATOOLS_S3ROOT`, else `<METAFLOW_DATASTORE_SYSROOT_S3>/data`. */
  readonly datatoolsRoot: string | undefined;
  /** Where temp dirs go: `METAFLOW_TEMPDIR`, else `.` (the working directory). */
  readonly tempdir: string;
  /** An S3-compatible endpoint (`METAFLOW_S3_ENDPOINT_URL`); path-style addressing is used with it. */
  readonly endpoint: string | undefined;
  /** `ServerSideEncryption` for uploads (`METAFLOW_S3_SERVER_SIDE_ENCRYPTION`, e.g. `AES256`, `aws:kms`). */
  readonly serverSideEncryption: string | undefined;
  /** Retries of transient failures (`METAFLOW_S3_RETRY_COUNT`, default 7). */
  readonly retryCount: number;
  /** Requests in flight at once (`METAFLOW_S3_WORKER_COUNT`, default 64). */
  readonly workerCount: number;
  /** Print each transient retry on stderr (`METAFLOW_S3_LOG_TRANSIENT_RETRIES`, default false). */
  readonly logRetries: boolean;
}

function nonEmpty(value: string | undefined): string | undefined {
  const v = value?.trim();
  return v ? v : undefined;
}

/**
 * Reads the settings from an environment (default `process.env`) and the Metaflow profile file. An
 * unset `METAFLOW_DATATOOLS_S3ROOT` is `<METAFLOW_DATASTORE_SYSROOT_S3>/<METAFLOW_DATATOOLS_SUFFIX>`
 * (suffix default `data`), as in Metaflow. A bad value throws the config layer's `ConfigError`.
 *
 * @example
 * ```ts
 * readS3Settings({ METAFLOW_DATASTORE_SYSROOT_S3: 's3://b/metaflow' }).datatoolsRoot; // 's3://b/metaflow/data'
 * ```
 */
export function readS3Settings(env: NodeJS.ProcessEnv = process.env): S3Settings {
  const config = loadConfig(env);
  const root = nonEmpty(config.get('DATATOOLS_S3ROOT'));
  return {
    datatoolsRoot: root?.replace(/\/+$/, ''),
    tempdir: nonEmpty(config.get('TEMPDIR')) ?? '.',
    endpoint: nonEmpty(config.get('S3_ENDPOINT_URL')),
    serverSideEncryption: nonEmpty(config.get('S3_SERVER_SIDE_ENCRYPTION')),
    retryCount: config.get('S3_RETRY_COUNT'),
    workerCount: config.get('S3_WORKER_COUNT'),
    logRetries: config.get('S3_LOG_TRANSIENT_RETRIES'),
  };
}
