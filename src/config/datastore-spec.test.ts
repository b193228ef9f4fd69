import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, it } from 'node:test';
import { datastoreSpecForRoot, resolveDatastoreSpec } from './datastore-spec.js';
import { ConfigError } from './errors.js';
import { maskSecret } from './mask.js';
import { loadConfig } from './resolve.js';

const NONE = path.join(path.sep, 'nonexistent-stepflow-home');
const config = (env: NodeJS.ProcessEnv = {}) => loadConfig({ METAFLOW_HOME: NONE, ...env }, { cwd: '/proj' });

describe('resolveDatastoreSpec', () => {
  it('local by default, rooted at <cwd>/.stepflow', () => {
    assert.deepEqual(resolveDatastoreSpec(config(), {}), {
      kind: 'local',
      root: path.join('/proj', '.stepflow'),
    });
  });

  it('local root: --datastore-root, else METAFLOW_DATASTORE_SYSROOT_LOCAL (resolved to absolute)', () => {
    const c = config({ METAFLOW_DATASTORE_SYSROOT_LOCAL: '/data/mf' });
    assert.deepEqual(resolveDatastoreSpec(c, {}), { kind: 'local', root: '/data/mf' });
    assert.deepEqual(resolveDatastoreSpec(c, { datastoreRoot: '/x' }), { kind: 'local', root: '/x' });
    assert.equal(resolveDatastoreSpec(c, { datastoreRoot: 'rel' }).root, path.resolve('rel'));
  });

  it('an s3:// --datastore-root names the S3 datastore without --datastore s3 (logs, dump, run)', () => {
    assert.deepEqual(resolveDatastoreSpec(config(), { datastoreRoot: 's3://b/p/' }), {
      kind: 's3',
      root: 's3://b/p',
    });
    assert.deepEqual(
      resolveDatastoreSpec(config(), { datastore: 'local', datastoreRoot: 's3://b/p' }),
      {
        kind: 's3',
        root: 's3://b/p',
      },
      'the configured default (local) passed as the option default',
    );
    const onS3 = config({
      METAFLOW_DEFAULT_DATASTORE: 's3',
      METAFLOW_DATASTORE_SYSROOT_S3: 's3://bucket/mf',
    });
    assert.throws(
      () => resolveDatastoreSpec(onS3, { datastore: 'local', datastoreRoot: 's3://b/p' }),
      ConfigError,
    );
    assert.deepEqual(datastoreSpecForRoot('s3://b'), { kind: 's3', root: 's3://b' });
    assert.deepEqual(datastoreSpecForRoot('rel'), { kind: 'local', root: path.resolve('rel') });
    assert.throws(() => datastoreSpecForRoot('gs://b/p'), ConfigError);
  });

  it('--datastore overrides METAFLOW_DEFAULT_DATASTORE', () => {
    const c = config({ METAFLOW_DEFAULT_DATASTORE: 's3', METAFLOW_DATASTORE_SYSROOT_S3: 's3://bucket/mf/' });
    assert.deepEqual(resolveDatastoreSpec(c, {}), { kind: 's3', root: 's3://bucket/mf' });
    assert.equal(resolveDatastoreSpec(c, { datastore: 'local' }).kind, 'local');
    assert.deepEqual(resolveDatastoreSpec(config(), { datastore: 's3', datastoreRoot: 's3://b/p' }), {
      kind: 's3',
      root: 's3://b/p',
    });
  });

  it('s3 without a root is a ConfigError saying what to set', () => {
    assert.throws(
      () => resolveDatastoreSpec(config(), { datastore: 's3' }),
      (err: unknown) => {
        assert.ok(err instanceof ConfigError);
        assert.equal(
          err.message,
          '--datastore s3 needs METAFLOW_DATASTORE_SYSROOT_S3 (s3://bucket/prefix) or --datastore-root.',
        );
        assert.equal(err.setting, 'METAFLOW_DATASTORE_SYSROOT_S3');
        return true;
      },
    );
  });

  it('refuses an s3 root that is not an s3:// URL, and unknown kinds, naming where they came from', () => {
    assert.throws(
      () => resolveDatastoreSpec(config(), { datastore: 's3', datastoreRoot: '/tmp/x' }),
      /"\/tmp\/x" \(--datastore-root\) is not an S3 URL/,
    );
    const c = config({ METAFLOW_DEFAULT_DATASTORE: 'gcs' });
    assert.throws(
      () => resolveDatastoreSpec(c, {}),
      /Unknown datastore "gcs" \(from METAFLOW_DEFAULT_DATASTORE\)/,
    );
    assert.throws(
      () => resolveDatastoreSpec(c, { datastore: 'gcs' }),
      /Unknown datastore "gcs" \(from METAFLOW_DEFAULT_DATASTORE\)/,
      'the configured value passed as the option default is still named as the setting',
    );
    assert.throws(() => resolveDatastoreSpec(config(), { datastore: 'azure' }), /"azure" \(--datastore\)/);
  });
});

describe('maskSecret', () => {
  it('shows at most the last 4 characters of long secrets', () => {
    assert.equal(maskSecret('abcd1234efgh5678'), '****5678');
    assert.equal(maskSecret('short-key'), '****');
    assert.equal(maskSecret({ token: 'abcdefghijklmnop' }), '****');
    assert.equal(maskSecret({}), '{}');
  });
});
