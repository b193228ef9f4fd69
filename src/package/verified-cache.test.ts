import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { sha256Hex } from './archive.js';
import { PackageError } from './errors.js';
import { VerifiedCache } from './verified-cache.js';

async function withCache(fn: (cache: VerifiedCache, notices: string[]) => Promise<void>): Promise<void> {
  const root = await mkdtemp(path.join(os.tmpdir(), 'stepflow-vcache-'));
  const notices: string[] = [];
  try {
    await fn(new VerifiedCache(root, { notice: (line) => notices.push(line) }), notices);
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

function counter(bytes: string) {
  const built = { count: 0 };
  const build = async () => {
    built.count++;
    return Buffer.from(bytes);
  };
  return { built, build };
}

describe('verified-cache', () => {
  it('a file entry is built once, recorded in sha256sum format, and read back verified', () =>
    withCache(async (cache, notices) => {
      const { built, build } = counter('module.exports = 1;\n');
      assert.equal((await cache.file('sdk/a.cjs', build)).toString(), 'module.exports = 1;\n');
      assert.equal((await cache.file('sdk/a.cjs', build)).toString(), 'module.exports = 1;\n');
      assert.equal(built.count, 1);
      assert.equal(
        await readFile(path.join(cache.root, 'sdk', 'a.cjs.sha256'), 'utf8'),
        `${sha256Hex(Buffer.from('module.exports = 1;\n'))}  a.cjs\n`,
      );
      assert.deepEqual(
        await readdir(path.join(cache.root, 'sdk')),
        ['a.cjs', 'a.cjs.sha256'],
        'no temp files left',
      );
      assert.deepEqual(notices, []);
    }));

  it('a file entry changed after it was written is detected, rebuilt and said', () =>
    withCache(async (cache, notices) => {
      const { built, build } = counter('good');
      await cache.file('sdk/a.cjs', build);
      const file = path.join(cache.root, 'sdk', 'a.cjs');
      await writeFile(file, 'require("child_process").exec("planted")');
      assert.deepEqual(await cache.read('sdk/a.cjs'), {
        status: 'mismatch',
        reason: 'did not match its recorded sha256',
      });
      assert.equal((await cache.file('sdk/a.cjs', build)).toString(), 'good');
      assert.equal(built.count, 2);
      assert.equal(await readFile(file, 'utf8'), 'good');
      assert.deepEqual(notices, [`stepflow: cache entry ${file} did not match its recorded sha256; rebuilt`]);
    }));

  it('a file entry without a record (planted beside the cache) is never used', () =>
    withCache(async (cache, notices) => {
      const file = path.join(cache.root, 'b.cjs');
      await writeFile(file, 'planted');
      const { built, build } = counter('good');
      assert.equal((await cache.file('b.cjs', build)).toString(), 'good');
      assert.equal(built.count, 1);
      assert.deepEqual(notices, [`stepflow: cache entry ${file} had no recorded sha256; rebuilt`]);
    }));

  it('a folder entry: built once; a changed, removed or added file makes it rebuilt and said', () =>
    withCache(async (cache, notices) => {
      let builds = 0;
      const build = async () => {
        builds++;
        return { 'bundle.mjs': Buffer.from('export const a = 1;\n'), 'bundle.mjs.map': Buffer.from('{}') };
      };
      const dir = await cache.dir('code/abc', build);
      assert.equal(dir, path.join(cache.root, 'code', 'abc'));
      assert.equal(await cache.dir('code/abc', build), dir);
      assert.equal(builds, 1);
      const tamper = [
        () => writeFile(path.join(dir, 'bundle.mjs'), 'export const a = 2;\n'),
        () => rm(path.join(dir, 'bundle.mjs.map')),
        () => writeFile(path.join(dir, 'extra.mjs'), 'planted'),
        () => rm(`${dir}.sha256`),
      ];
      for (const change of tamper) {
        await change();
        assert.equal(await cache.dir('code/abc', build), dir);
        assert.equal(await readFile(path.join(dir, 'bundle.mjs'), 'utf8'), 'export const a = 1;\n');
        assert.deepEqual((await readdir(dir)).sort(), ['bundle.mjs', 'bundle.mjs.map']);
      }
      assert.equal(builds, 1 + tamper.length);
      assert.equal(notices.length, tamper.length);
      assert.match(
        notices[0] ?? '',
        new RegExp(`cache entry ${dir} did not match its recorded sha256; rebuilt$`),
      );
      assert.match(notices[3] ?? '', /had no recorded sha256; rebuilt$/);
    }));

  it('concurrent writers of the same folder entry leave one copy, no temp folders, no notices', () =>
    withCache(async (cache, notices) => {
      const files = { 'bundle.mjs': Buffer.from('x'), 'bundle.mjs.map': Buffer.from('y') };
      const dirs = await Promise.all([1, 2, 3, 4, 5, 6].map(() => cache.dir('code/s', async () => files)));
      for (const d of dirs) assert.equal(d, path.join(cache.root, 'code', 's'));
      assert.deepEqual((await readdir(path.join(cache.root, 'code'))).sort(), ['s', 's.sha256']);
      assert.equal((await cache.readDir('code/s')).status, 'ok');
      assert.deepEqual(notices, []);
    }));

  it('entry names cannot leave the cache folder or collide with records', () =>
    withCache(async (cache) => {
      for (const bad of ['../x', '/etc/passwd', 'a/../../x', '.hidden', 'a.sha256', '', 'a//b']) {
        assert.throws(() => cache.path(bad), PackageError, bad);
      }
    }));
});
