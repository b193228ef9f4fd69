import assert from 'node:assert/strict';
import { chmodSync, chownSync, lchownSync, mkdirSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { PackageError, UnsafeCacheDirError } from './errors.js';
import { userCache, userCacheDir, userCachePath } from './user-cache.js';

const isRoot = process.getuid?.() === 0;
const OTHER_UID = 54321;

async function withTemp(fn: (dir: string) => Promise<void> | void): Promise<void> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'stepflow-ucache-'));
  try {
    await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

const mode = (p: string): number => statSync(p).mode & 0o777;

describe('user-cache', () => {
  it('the cache folder is $XDG_CACHE_HOME/stepflow, else ~/.cache/stepflow, else STEPFLOW_CACHE_DIR wins', () => {
    assert.equal(userCachePath({ HOME: '/home/ada' }), '/home/ada/.cache/stepflow');
    assert.equal(userCachePath({ HOME: '/home/ada', XDG_CACHE_HOME: '/x/cache' }), '/x/cache/stepflow');
    assert.equal(
      userCachePath({ HOME: '/home/ada', XDG_CACHE_HOME: 'relative' }),
      '/home/ada/.cache/stepflow',
    );
    assert.equal(userCachePath({ XDG_CACHE_HOME: '/x', STEPFLOW_CACHE_DIR: '/y/sf' }), '/y/sf');
  });

  it('with XDG_CACHE_HOME unset the cache is created under HOME, mode 0700', () =>
    withTemp((home) => {
      const dir = userCacheDir({ HOME: home });
      assert.equal(dir, path.join(home, '.cache', 'stepflow'));
      assert.equal(mode(dir), 0o700);
      assert.equal(mode(path.dirname(dir)), 0o700, '~/.cache is created private too');
    }));

  it('a cache folder of ours that others can write is set back to 0700', () =>
    withTemp((xdg) => {
      const dir = path.join(xdg, 'stepflow');
      mkdirSync(dir);
      chmodSync(dir, 0o777);
      assert.equal(userCacheDir({ XDG_CACHE_HOME: xdg }), dir);
      assert.equal(mode(dir), 0o700);
    }));

  it(
    'a cache folder owned by another user is refused, naming the folder and the fix',
    { skip: !isRoot && 'chown needs root' },
    () =>
      withTemp((xdg) => {
        const dir = path.join(xdg, 'stepflow');
        mkdirSync(dir, { mode: 0o700 });
        chownSync(dir, OTHER_UID, OTHER_UID);
        assert.throws(
          () => userCache({ env: { XDG_CACHE_HOME: xdg } }),
          (e: unknown) =>
            e instanceof UnsafeCacheDirError &&
            e.problem === 'owner' &&
            e.ownerUid === OTHER_UID &&
            e.dir === dir &&
            e.message.includes(dir) &&
            e.message.includes('STEPFLOW_CACHE_DIR'),
        );
        assert.equal(statSync(dir).uid, OTHER_UID, 'left as it was');
      }),
  );

  it(
    'a cache folder whose parent another user owns is refused',
    { skip: !isRoot && 'chown needs root' },
    () =>
      withTemp((tmp) => {
        const xdg = path.join(tmp, 'theirs');
        mkdirSync(xdg, { mode: 0o755 });
        chownSync(xdg, OTHER_UID, OTHER_UID);
        assert.throws(
          () => userCacheDir({ XDG_CACHE_HOME: xdg }),
          (e: unknown) =>
            e instanceof UnsafeCacheDirError && e.problem === 'parent' && e.message.includes(xdg),
        );
      }),
  );

  it('a cache folder in a world-writable, non-sticky parent is refused', () =>
    withTemp((tmp) => {
      const xdg = path.join(tmp, 'open');
      mkdirSync(xdg);
      chmodSync(xdg, 0o777);
      assert.throws(
        () => userCacheDir({ XDG_CACHE_HOME: xdg }),
        (e: unknown) => e instanceof UnsafeCacheDirError && e.problem === 'parent',
      );
    }));

  it(
    'a symlink planted by another user, or one to their folder, is refused',
    { skip: !isRoot && 'chown needs root' },
    () =>
      withTemp((xdg) => {
        const theirs = path.join(xdg, 'theirs');
        mkdirSync(theirs, { mode: 0o700 });
        chownSync(theirs, OTHER_UID, OTHER_UID);
        const link = path.join(xdg, 'stepflow');
        symlinkSync(theirs, link);
        assert.throws(
          () => userCacheDir({ XDG_CACHE_HOME: xdg }),
          (e: unknown) =>
            e instanceof UnsafeCacheDirError && e.problem === 'owner' && e.ownerUid === OTHER_UID,
        );
        const mine = path.join(xdg, 'mine');
        mkdirSync(mine, { mode: 0o700 });
        const plantedLink = path.join(xdg, 'planted');
        symlinkSync(mine, plantedLink);
        const linkDir = path.join(xdg, 'planted-parent');
        mkdirSync(linkDir);
        symlinkSync(mine, path.join(linkDir, 'stepflow'));
        lchownSync(path.join(linkDir, 'stepflow'), OTHER_UID, OTHER_UID);
        assert.throws(
          () => userCacheDir({ XDG_CACHE_HOME: linkDir }),
          (e: unknown) => e instanceof UnsafeCacheDirError && e.problem === 'symlink',
        );
        const dangling = path.join(xdg, 'dangling');
        mkdirSync(dangling);
        symlinkSync(path.join(xdg, 'nowhere'), path.join(dangling, 'stepflow'));
        assert.throws(
          () => userCacheDir({ XDG_CACHE_HOME: dangling }),
          (e: unknown) => e instanceof UnsafeCacheDirError && e.problem === 'symlink',
        );
        // our own link to our own folder is fine
        assert.equal(userCacheDir({ STEPFLOW_CACHE_DIR: plantedLink }), plantedLink);
      }),
  );

  it('a cache folder that cannot be created says where and what to set', () =>
    withTemp((tmp) => {
      writeFileSync(path.join(tmp, 'file'), 'x');
      assert.throws(
        () => userCacheDir({ XDG_CACHE_HOME: path.join(tmp, 'file', 'sub') }),
        (e: unknown) =>
          e instanceof PackageError &&
          e.message.includes(path.join(tmp, 'file', 'sub', 'stepflow')) &&
          e.message.includes('STEPFLOW_CACHE_DIR'),
      );
    }));

  it('something that is not a folder where the cache should be is refused', () =>
    withTemp((xdg) => {
      writeFileSync(path.join(xdg, 'stepflow'), 'x');
      assert.throws(
        () => userCacheDir({ XDG_CACHE_HOME: xdg }),
        (e: unknown) => e instanceof UnsafeCacheDirError && e.problem === 'not-a-directory',
      );
    }));
});
