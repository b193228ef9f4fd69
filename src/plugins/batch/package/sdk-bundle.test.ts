import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { s3SdkBundle, s3SdkBundleName } from './sdk-bundle.js';

describe('sdk-bundle', () => {
  it('the SDK bundle is one CommonJS file that exports S3Client, cached per SDK version in the user cache', async () => {
    const xdg = await mkdtemp(path.join(os.tmpdir(), 'stepflow-sdk-'));
    try {
      const bytes = await s3SdkBundle({ env: { XDG_CACHE_HOME: xdg } });
      const cached = (await readdir(path.join(xdg, 'stepflow', 'sdk'))).sort();
      assert.equal(cached.length, 2);
      assert.match(cached[0] ?? '', /^aws-sdk-s3-\d+\.\d+\.\d+-esbuild-[\d.]+\.cjs$/);
      assert.equal(cached[1], `${cached[0]}.sha256`);
      const file = path.join(xdg, 'copy', 'aws-sdk-s3.cjs');
      await mkdir(path.dirname(file));
      await writeFile(file, bytes);
      const sdk = createRequire(file)(file) as { S3Client?: unknown; GetObjectCommand?: unknown };
      assert.equal(typeof sdk.S3Client, 'function');
      assert.equal(typeof sdk.GetObjectCommand, 'function');
      assert.ok(bytes.length < 4 * 1024 * 1024, `${bytes.length} bytes`);
    } finally {
      await rm(xdg, { recursive: true, force: true });
    }
  });

  it('an SDK bundle planted in the old temp location is never used; a tampered cached one is rebuilt and said', async () => {
    const tmp = await mkdtemp(path.join(os.tmpdir(), 'stepflow-sdk-'));
    const savedTmpdir = process.env.TMPDIR;
    const planted = 'require("node:fs").writeFileSync("/tmp/pwned", "x");';
    try {
      // The old cache: <os.tmpdir()>/stepflow-sdk-cache/aws-sdk-s3-<v>-esbuild-<v>.cjs, writable by anyone.
      process.env.TMPDIR = path.join(tmp, 'shared-tmp');
      const name = path.basename(await s3SdkBundleName());
      await mkdir(path.join(os.tmpdir(), 'stepflow-sdk-cache'), { recursive: true });
      await writeFile(path.join(os.tmpdir(), 'stepflow-sdk-cache', name), planted);
      const notices: string[] = [];
      const env = { XDG_CACHE_HOME: path.join(tmp, 'xdg') };
      const bytes = await s3SdkBundle({ env, notice: (l) => notices.push(l) });
      assert.ok(!bytes.toString().includes('pwned'), 'the planted file was not used');
      assert.equal(notices.length, 0);

      const entry = path.join(tmp, 'xdg', 'stepflow', 'sdk', name);
      await writeFile(entry, planted);
      const again = await s3SdkBundle({
        env: { ...env, STEPFLOW_CACHE_DIR: path.join(tmp, 'xdg', 'stepflow') },
        notice: (l) => notices.push(l),
      });
      assert.ok(again.equals(bytes), 'rebuilt to the same bytes');
      assert.deepEqual(await readFile(entry), bytes);
      assert.deepEqual(notices, [
        `stepflow: cache entry ${entry} did not match its recorded sha256; rebuilt`,
      ]);
    } finally {
      if (savedTmpdir === undefined) delete process.env.TMPDIR;
      else process.env.TMPDIR = savedTmpdir;
      await rm(tmp, { recursive: true, force: true });
    }
  });
});
