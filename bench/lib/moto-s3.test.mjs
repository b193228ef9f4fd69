import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { needService } from '../../scripts/ci-rules.mjs';
import { motoAvailable } from '../../scripts/lib/moto.mjs';
import { createBucket, MOTO_AWS_ENV, MOTO_CREDENTIALS, s3Env, startBenchMoto } from './moto-s3.mjs';

describe("benchmarks' moto", () => {
  it('s3Env points the S3 datastore at the endpoint with the fake credentials', () => {
    assert.deepEqual(s3Env('http://127.0.0.1:1'), {
      AWS_ACCESS_KEY_ID: 'test',
      AWS_SECRET_ACCESS_KEY: 'test',
      AWS_REGION: 'us-east-1',
      AWS_DEFAULT_REGION: 'us-east-1',
      METAFLOW_S3_ENDPOINT_URL: 'http://127.0.0.1:1',
    });
    assert.deepEqual(MOTO_CREDENTIALS, { accessKeyId: 'test', secretAccessKey: 'test' });
    assert.throws(() => {
      MOTO_AWS_ENV.AWS_REGION = 'eu-west-1';
    }, TypeError);
  });

  it('starts moto in Batch simple mode, creates a bucket', async (t) => {
    if (!needService(t, motoAvailable(), 'moto (python3 with moto[server])')) return;
    const dir = mkdtempSync(path.join(tmpdir(), 'stepflow-bench-moto-'));
    const moto = await startBenchMoto({ tempDir: () => dir }, { simpleBatch: true });
    try {
      const config = await (await fetch(`${moto.url}/moto-api/config`)).json();
      assert.equal(config.batch.use_docker, false, 'Batch in simple mode');
      await createBucket(moto.url, 'bench-bucket');
      const put = await fetch(`${moto.url}/bench-bucket/k`, { method: 'PUT', body: 'v' });
      assert.ok(put.ok, 'the bucket takes objects');
    } finally {
      await moto.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
