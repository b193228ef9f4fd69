import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { s3SdkBundle } from './sdk-bundle.js';

test('the SDK bundle is one CommonJS file that exports S3Client, cached per SDK version', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'stepflow-sdk-'));
  try {
    const bytes = await s3SdkBundle(dir);
    const cached = await readdir(dir);
    assert.equal(cached.length, 1);
    assert.match(cached[0] ?? '', /^aws-sdk-s3-\d+\.\d+\.\d+-esbuild-[\d.]+\.cjs$/);
    const file = path.join(dir, 'copy', 'aws-sdk-s3.cjs');
    await mkdir(path.dirname(file));
    await writeFile(file, bytes);
    const sdk = createRequire(file)(file) as { S3Client?: unknown; GetObjectCommand?: unknown };
    assert.equal(typeof sdk.S3Client, 'function');
    assert.equal(typeof sdk.GetObjectCommand, 'function');
    assert.ok(bytes.length < 4 * 1024 * 1024, `${bytes.length} bytes`);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
