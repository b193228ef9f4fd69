import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CountingStorage } from '../../test/support/counting-storage.js';
import type { StorageBackend } from '../datastore/index.js';
import { MemoryStorage } from '../datastore/memory-storage.js';
import { groupKeys } from './run-scan.js';
import { SideRecordWatch, unfinishedSideKeys } from './side-watch.js';

const put = (s: StorageBackend, key: string, value: unknown) =>
  s.put(key, Buffer.from(JSON.stringify(value)));

describe('ui side record watch', () => {
  it('lists the side records of unfinished attempts only', () => {
    const keys = [
      'F/1/s/2/0.attempt.json',
      'F/1/s/2/0.batch.json',
      'F/1/s/2/0.done.json',
      'F/1/s/2/1.attempt.json',
      'F/1/s/2/1.batch.json',
      'F/1/s/2/1.logs.json',
      'F/1/s/3/0.attempt.json',
    ];
    const scan = groupKeys(keys, 'F/1/').get('s');
    assert.ok(scan);
    assert.deepEqual(unfinishedSideKeys(scan), ['F/1/s/2/1.batch.json']);
  });

  it('a first sight is not a change; a rewrite changes the signature once; an unchanged record is one conditional read', async () => {
    const storage = new CountingStorage(new MemoryStorage());
    const watch = new SideRecordWatch();
    const key = 'F/1/s/2/0.batch.json';
    await put(storage, key, { status: 'RUNNING' });
    const first = await watch.check(storage, 'F/1/', [key]);
    assert.deepEqual(await watch.read(storage, key), { status: 'RUNNING' });
    storage.reset();
    assert.equal(await watch.check(storage, 'F/1/', [key]), first);
    assert.deepEqual(storage.reads, []);
    assert.deepEqual(storage.unchanged, [key]);
    await put(storage, key, { status: 'RUNNING', reclaimed: [{ jobId: 'j-1', reason: 'spot' }] });
    const second = await watch.check(storage, 'F/1/', [key]);
    assert.notEqual(second, first);
    storage.reset();
    assert.deepEqual(await watch.read(storage, key), {
      status: 'RUNNING',
      reclaimed: [{ jobId: 'j-1', reason: 'spot' }],
    });
    assert.deepEqual(storage.reads, [], 'the bytes the check fetched are reused');
    assert.equal(await watch.check(storage, 'F/1/', [key]), second);
  });

  it('works on a backend without readFrom (a hash of the bytes is the tag)', async () => {
    const inner = new MemoryStorage();
    const plain: StorageBackend = {
      kind: 'plain',
      root: 'plain',
      put: (k, b, o) => inner.put(k, b, o),
      createExclusive: (k, b) => inner.createExclusive(k, b),
      get: (k) => inner.get(k),
      exists: (k) => inner.exists(k),
      list: (p, o) => inner.list(p, o),
      delete: (k) => inner.delete(k),
    };
    const watch = new SideRecordWatch();
    const key = 'F/1/s/2/0.batch.json';
    await put(plain, key, { status: 'RUNNABLE' });
    const first = await watch.check(plain, 'F/1/', [key]);
    assert.equal(await watch.check(plain, 'F/1/', [key]), first);
    await put(plain, key, { status: 'RUNNING' });
    assert.notEqual(await watch.check(plain, 'F/1/', [key]), first);
  });
});
