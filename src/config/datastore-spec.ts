/**
 * Which datastore a command uses: `--datastore` / `--datastore-root` over `METAFLOW_DEFAULT_DATASTORE`
 * and `METAFLOW_DATASTORE_SYSROOT_LOCAL` / `_S3`.
 *
 * @module
 */
import path from 'node:path';
import { ConfigError } from './errors.js';
import type { Config } from './resolve.js';

/** A datastore choice, ready for `openStorage`. */
export interface DatastoreSpec {
  readonly kind: 'local' | 's3';
  /** An absolute folder (local) or an `s3://bucket/prefix` URL (s3). */
  readonly root: string;
}

/** The datastore options of the command line. */
export interface DatastoreCliOptions {
  readonly datastore?: string;
  readonly datastoreRoot?: string;
}

/**
 * Chooses the datastore: `--datastore` overrides `DEFAULT_DATASTORE`; the local root is `--datastore-root`,
 * else `DATASTORE_SYSROOT_LOCAL` (default `<cwd>/.stepflow`); the S3 root is `--datastore-root`, else
 * `DATASTORE_SYSROOT_S3`, which must then be set.
 *
 * @example
 * ```ts
 * const storage = await openStorage(resolveDatastoreSpec(loadConfig(), { datastore: 's3' }));
 * resolveDatastoreSpec(loadConfig(), { datastoreRoot: '/data/runs' }); // { kind: 'local', root: '/data/runs' }
 * ```
 */
export function resolveDatastoreSpec(config: Config, cli: DatastoreCliOptions): DatastoreSpec {
  const configured = config.get('DEFAULT_DATASTORE');
  const kind = cli.datastore ?? configured;
  // A caller may pass the configured value as its option default: name the setting then.
  const fromConfig =
    cli.datastore === undefined ||
    (kind === configured && config.source('DEFAULT_DATASTORE').kind !== 'default');
  const from = fromConfig ? describe(config, 'DEFAULT_DATASTORE') : '--datastore';
  if (cli.datastoreRoot !== undefined && S3_URL.test(cli.datastoreRoot) && kind !== 's3') {
    // An s3:// root names the S3 datastore, unless --datastore explicitly names another kind.
    if (cli.datastore !== undefined && cli.datastore !== configured) {
      throw new ConfigError(
        `--datastore-root ${cli.datastoreRoot} is an S3 URL but --datastore is ${cli.datastore}: ` +
          'pass --datastore s3, or a folder as --datastore-root.',
        {},
      );
    }
    return datastoreSpecForRoot(cli.datastoreRoot);
  }
  if (kind === 'local') {
    return { kind, root: path.resolve(cli.datastoreRoot ?? config.get('DATASTORE_SYSROOT_LOCAL')) };
  }
  if (kind === 's3') {
    const root = cli.datastoreRoot ?? config.get('DATASTORE_SYSROOT_S3');
    if (!root) {
      throw new ConfigError(
        '--datastore s3 needs METAFLOW_DATASTORE_SYSROOT_S3 (s3://bucket/prefix) or --datastore-root.',
        { setting: 'METAFLOW_DATASTORE_SYSROOT_S3' },
      );
    }
    if (!S3_URL.test(root)) {
      const where =
        cli.datastoreRoot !== undefined ? '--datastore-root' : describe(config, 'DATASTORE_SYSROOT_S3');
      throw new ConfigError(
        `The S3 datastore root "${root}" (${where}) is not an S3 URL: use s3://bucket/prefix.`,
        cli.datastoreRoot !== undefined ? {} : { setting: 'METAFLOW_DATASTORE_SYSROOT_S3' },
      );
    }
    return { kind, root: root.replace(/\/+$/, '') };
  }
  throw new ConfigError(`Unknown datastore "${kind}" (${from}): use local or s3.`, {
    setting: fromConfig ? 'METAFLOW_DEFAULT_DATASTORE' : undefined,
  });
}

const S3_URL = /^s3:\/\/[^/]+/;

/**
 * The datastore a root names, as `--datastore-root` of `logs`, `dump` and the client take it: an
 * `s3://bucket/prefix` URL is the S3 datastore, anything else a local folder (made absolute).
 *
 * @example
 * ```ts
 * datastoreSpecForRoot('s3://my-bucket/runs/'); // { kind: 's3', root: 's3://my-bucket/runs' }
 * datastoreSpecForRoot('.stepflow');            // { kind: 'local', root: '/home/me/project/.stepflow' }
 * ```
 */
export function datastoreSpecForRoot(root: string): DatastoreSpec {
  if (S3_URL.test(root)) return { kind: 's3', root: root.replace(/\/+$/, '') };
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(root)) {
    throw new ConfigError(
      `The datastore root "${root}" is neither a folder nor an s3://bucket/prefix URL.`,
      {},
    );
  }
  return { kind: 'local', root: path.resolve(root) };
}

function describe(config: Config, name: 'DEFAULT_DATASTORE' | 'DATASTORE_SYSROOT_S3'): string {
  const source = config.source(name);
  if (source.kind === 'env') return `from ${source.detail}`;
  if (source.kind === 'profile') return `METAFLOW_${name} in ${source.detail}`;
  return `METAFLOW_${name}`;
}
