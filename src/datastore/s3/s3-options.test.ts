import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InvalidKeyError } from '../errors.js';
import { effectivePartSize, MAX_PARTS, sliceChunks } from './multipart.js';
import { DEFAULT_MAX_ATTEMPTS, parseS3Root, s3OptionsFromEnv } from './s3-options.js';
import { S3Storage } from './s3-storage.js';
import { s3ClientConfig } from './sdk.js';

const MiB = 1024 * 1024;

describe('s3-options', () => {
  it('parseS3Root splits bucket and prefix and refuses what is not s3://bucket[/prefix]', () => {
    assert.deepEqual(parseS3Root('s3://my-bucket'), { bucket: 'my-bucket', prefix: '' });
    assert.deepEqual(parseS3Root('s3://my-bucket/'), { bucket: 'my-bucket', prefix: '' });
    assert.deepEqual(parseS3Root('s3://my-bucket/a/b/'), { bucket: 'my-bucket', prefix: 'a/b' });
    for (const bad of [
      '',
      '/tmp/x',
      's3:/bk',
      's3://',
      'S3://bk/x',
      's3://bk/a//c',
      's3://bk/../x',
      's3://b c/x',
    ]) {
      assert.throws(() => parseS3Root(bad), InvalidKeyError, bad);
    }
    assert.throws(() => parseS3Root('/tmp/x'), /s3:\/\/bucket\/prefix.*METAFLOW_DATASTORE_SYSROOT_S3/);
  });

  it('S3Storage normalizes its root and needs no SDK until used', () => {
    const storage = new S3Storage('s3://bucket/runs/');
    assert.equal(storage.kind, 's3');
    assert.equal(storage.root, 's3://bucket/runs');
    assert.equal(storage.url('F/1/_meta/run.json'), 's3://bucket/runs/F/1/_meta/run.json');
    assert.equal(new S3Storage('s3://bucket').url('k'), 's3://bucket/k');
    assert.throws(() => storage.url('../x'), /relative path/);
    storage.close();
  });

  it('s3OptionsFromEnv reads region, endpoint, SSE and retries', () => {
    assert.deepEqual(s3OptionsFromEnv({}), { region: 'us-east-1', maxAttempts: DEFAULT_MAX_ATTEMPTS });
    assert.equal(DEFAULT_MAX_ATTEMPTS, 7);
    assert.deepEqual(
      s3OptionsFromEnv({
        AWS_DEFAULT_REGION: 'eu-west-1',
        METAFLOW_S3_ENDPOINT_URL: 'http://127.0.0.1:9000',
        METAFLOW_S3_SERVER_SIDE_ENCRYPTION: 'aes256',
        METAFLOW_S3_RETRY_COUNT: '2',
      }),
      { region: 'eu-west-1', endpoint: 'http://127.0.0.1:9000', sse: 'AES256', maxAttempts: 3 },
    );
    assert.equal(
      s3OptionsFromEnv({ AWS_REGION: 'us-west-2', AWS_DEFAULT_REGION: 'eu-west-1' }).region,
      'us-west-2',
    );
    assert.equal(s3OptionsFromEnv({ METAFLOW_S3_SERVER_SIDE_ENCRYPTION: 'aws:kms' }).sse, 'aws:kms');
    assert.equal(s3OptionsFromEnv({ METAFLOW_S3_RETRY_COUNT: '0' }).maxAttempts, 1);
    assert.throws(() => s3OptionsFromEnv({ METAFLOW_S3_SERVER_SIDE_ENCRYPTION: 'des' }), /AES256 or aws:kms/);
    assert.throws(() => s3OptionsFromEnv({ METAFLOW_S3_RETRY_COUNT: 'many' }), /METAFLOW_S3_RETRY_COUNT/);
  });

  it('the client config uses adaptive retries, connect and idle timeouts, and path-style addressing with an endpoint', () => {
    assert.deepEqual(s3ClientConfig({}), {
      region: 'us-east-1',
      retryMode: 'adaptive',
      maxAttempts: 7,
      followRegionRedirects: true,
      requestHandler: { connectionTimeout: 10_000, socketTimeout: 120_000 },
    });
    const config = s3ClientConfig({
      endpoint: 'http://127.0.0.1:9000',
      region: 'eu-west-1',
      maxAttempts: 3,
      credentials: { accessKeyId: 'a', secretAccessKey: 'b' },
    });
    assert.equal(config.forcePathStyle, true);
    assert.equal(config.endpoint, 'http://127.0.0.1:9000');
    assert.equal(config.maxAttempts, 3);
    assert.deepEqual(config.credentials, { accessKeyId: 'a', secretAccessKey: 'b' });
  });

  it('sliceChunks returns views inside one chunk and copies across chunks', () => {
    const a = Uint8Array.of(1, 2, 3);
    const b = Uint8Array.of(4, 5);
    const c = Uint8Array.of(6);
    const inside = sliceChunks([a, b, c], 1, 3);
    assert.deepEqual([...inside], [2, 3]);
    assert.equal(inside.buffer, a.buffer, 'a view, not a copy');
    assert.deepEqual([...sliceChunks([a, b, c], 2, 6)], [3, 4, 5, 6]);
    assert.deepEqual([...sliceChunks([a, new Uint8Array(0), b], 0, 5)], [1, 2, 3, 4, 5]);
  });

  it('effectivePartSize keeps S3 limits: 5 MiB minimum, at most 10000 parts', () => {
    assert.equal(effectivePartSize(40 * MiB, 8 * MiB), 8 * MiB);
    assert.equal(effectivePartSize(40 * MiB, 1 * MiB), 5 * MiB);
    const huge = 200 * 1024 * MiB;
    const size = effectivePartSize(huge, 16 * MiB);
    assert.ok(Math.ceil(huge / size) <= MAX_PARTS);
    assert.equal(size % MiB, 0);
  });
});
