import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { readS3Settings } from './settings.js';

const home = mkdtempSync(path.join(tmpdir(), 'stepflow-s3-settings-'));
after(() => rmSync(home, { recursive: true, force: true }));
/** An environment with an empty Metaflow home, so no real profile file is read. */
const env = (vars: Record<string, string> = {}): NodeJS.ProcessEnv => ({ METAFLOW_HOME: home, ...vars });

describe('settings', () => {
  it('defaults: no root, temp dir ".", 7 retries, 64 workers', () => {
    assert.deepEqual(readS3Settings(env()), {
      datatoolsRoot: undefined,
      tempdir: '.',
      endpoint: undefined,
      serverSideEncryption: undefined,
      retryCount: 7,
      workerCount: 64,
      logRetries: false,
    });
  });

  it('METAFLOW_DATATOOLS_S3ROOT wins; else <METAFLOW_DATASTORE_SYSROOT_S3>/data, as Metaflow', () => {
    assert.equal(
      readS3Settings(env({ METAFLOW_DATATOOLS_S3ROOT: 's3://b/tools/' })).datatoolsRoot,
      's3://b/tools',
    );
    assert.equal(
      readS3Settings(env({ METAFLOW_DATASTORE_SYSROOT_S3: 's3://b/metaflow' })).datatoolsRoot,
      's3://b/metaflow/data',
    );
    assert.equal(
      readS3Settings(
        env({ METAFLOW_DATASTORE_SYSROOT_S3: 's3://b/mf', METAFLOW_DATATOOLS_S3ROOT: 's3://other/x' }),
      ).datatoolsRoot,
      's3://other/x',
    );
  });

  it('the other settings come from their METAFLOW_ variables', () => {
    const s = readS3Settings(
      env({
        METAFLOW_TEMPDIR: '/dev/shm',
        METAFLOW_S3_ENDPOINT_URL: 'http://127.0.0.1:9000',
        METAFLOW_S3_SERVER_SIDE_ENCRYPTION: 'AES256',
        METAFLOW_S3_RETRY_COUNT: '2',
        METAFLOW_S3_WORKER_COUNT: '8',
        METAFLOW_S3_LOG_TRANSIENT_RETRIES: 'true',
      }),
    );
    assert.deepEqual(s, {
      datatoolsRoot: undefined,
      tempdir: '/dev/shm',
      endpoint: 'http://127.0.0.1:9000',
      serverSideEncryption: 'AES256',
      retryCount: 2,
      workerCount: 8,
      logRetries: true,
    });
  });

  it('the Metaflow profile file is read too, and bad numbers are refused', () => {
    writeFileSync(
      path.join(home, 'config.json'),
      JSON.stringify({ METAFLOW_DATATOOLS_S3ROOT: 's3://from/profile' }),
    );
    try {
      assert.equal(readS3Settings(env()).datatoolsRoot, 's3://from/profile');
    } finally {
      rmSync(path.join(home, 'config.json'));
    }
    assert.throws(() => readS3Settings(env({ METAFLOW_S3_RETRY_COUNT: 'many' })), /S3_RETRY_COUNT/);
  });
});
