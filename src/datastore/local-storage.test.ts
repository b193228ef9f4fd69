import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { defaultLocalRoot, openStorage, registerStorageBackend, storageBackendKinds } from './backends.js';
import { StorageError } from './errors.js';
import { LocalStorage } from './local-storage.js';
import { MemoryStorage } from './memory-storage.js';

let dir: string;
let storage: LocalStorage;

beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'stepflow-ls-'));
  storage = new LocalStorage(dir);
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('local-storage', () => {
  it('put, get, exists and delete round trip, creating folders', async () => {
    assert.equal(await storage.get('F/1/_meta/run.json'), undefined);
    assert.equal(await storage.exists('F/1/_meta/run.json'), false);
    assert.equal(await storage.put('F/1/_meta/run.json', Buffer.from('{"a":1}')), true);
    assert.equal((await storage.get('F/1/_meta/run.json'))?.toString(), '{"a":1}');
    assert.equal(storage.getSync('F/1/_meta/run.json')?.toString(), '{"a":1}');
    assert.equal(await storage.exists('F/1/_meta/run.json'), true);
    assert.equal(await storage.exists('F/1/_meta'), false, 'a folder is not an object');
    assert.equal(await storage.get('F/1/_meta'), undefined);
    await storage.delete('F/1/_meta/run.json');
    await storage.delete('F/1/_meta/run.json');
    assert.equal(await storage.get('F/1/_meta/run.json'), undefined);
    assert.equal(storage.getSync('F/1/_meta/run.json'), undefined);
  });

  it('a chunked body is stored as the concatenation; empty bodies work', async () => {
    await storage.put('k/a', [Uint8Array.of(1), Buffer.from([2, 3]), new Uint8Array(0)]);
    assert.deepEqual([...((await storage.get('k/a')) ?? [])], [1, 2, 3]);
    await storage.put('k/empty', new Uint8Array(0));
    assert.equal((await storage.get('k/empty'))?.byteLength, 0);
  });

  it('ifAbsent skips an existing key and keeps its content; plain put overwrites', async () => {
    assert.equal(await storage.put('d/x', Buffer.from('one'), { ifAbsent: true }), true);
    assert.equal(await storage.put('d/x', Buffer.from('two'), { ifAbsent: true }), false);
    assert.equal((await storage.get('d/x'))?.toString(), 'one');
    assert.equal(await storage.put('d/x', Buffer.from('three')), true);
    assert.equal((await storage.get('d/x'))?.toString(), 'three');
  });

  it('puts are atomic: readers see nothing or everything, and temp files never list', async () => {
    const big = Buffer.alloc(16 * 1024 * 1024, 7);
    const seen = new Set<number | undefined>();
    let done = false;
    const writer = storage.put('F/data/ab/blob', [Uint8Array.of(0), big]).then(() => {
      done = true;
    });
    while (!done) {
      const listed = await storage.list('F/data/ab/');
      for (const entry of listed) assert.equal(entry.key, 'F/data/ab/blob');
      seen.add((await storage.get('F/data/ab/blob'))?.byteLength);
    }
    await writer;
    seen.add((await storage.get('F/data/ab/blob'))?.byteLength);
    for (const size of seen) assert.ok(size === undefined || size === big.byteLength + 1, `saw ${size}`);
    assert.deepEqual(await readdir(path.join(dir, 'F/data/ab')), ['blob'], 'no temp file left behind');
  });

  it('a crashed write leaves only an invisible temp file', async () => {
    await storage.put('F/1/s/0/0.attempt.json', Buffer.from('{}'));
    await writeFile(path.join(dir, 'F/1/s/0/0.done.json.tmp-123-0123456789ab'), '{"partial');
    assert.deepEqual(
      (await storage.list('F/1/s/0/')).map((e) => e.key),
      ['F/1/s/0/0.attempt.json'],
    );
    assert.deepEqual(
      (await storage.list('F/', { recursive: true })).map((e) => e.key),
      ['F/1/s/0/0.attempt.json'],
    );
    assert.equal(await storage.exists('F/1/s/0/0.done.json'), false);
  });

  it('list folds deeper keys into common prefixes, like S3 with delimiter "/"', async () => {
    for (const key of ['F/1/a/0/x', 'F/1/a/1/x', 'F/1/b/0/x', 'F/1/top.json', 'F/10/a/0/x', 'G/1/a']) {
      await storage.put(key, Buffer.from(key));
    }
    assert.deepEqual(await storage.list('F/1/'), [
      { key: 'F/1/a/', isPrefix: true },
      { key: 'F/1/b/', isPrefix: true },
      { key: 'F/1/top.json', isPrefix: false },
    ]);
    assert.deepEqual(
      (await storage.list('F/')).map((e) => e.key),
      ['F/1/', 'F/10/'],
    );
    assert.deepEqual(
      (await storage.list('F/1')).map((e) => e.key),
      ['F/1/', 'F/10/'],
      'a prefix need not end at a folder',
    );
    assert.deepEqual(
      (await storage.list('F/1/', { recursive: true })).map((e) => e.key),
      ['F/1/a/0/x', 'F/1/a/1/x', 'F/1/b/0/x', 'F/1/top.json'],
    );
    assert.deepEqual(
      (await storage.list('')).map((e) => e.key),
      ['F/', 'G/'],
    );
    assert.deepEqual(await storage.list('nothing/here/'), []);
  });

  it('keys that could escape the root or are malformed are refused', async () => {
    for (const key of ['../x', 'a/../../x', '/abs', 'a//b', 'a/./b', '', 'a\\b', 'a/b.tmp-1-0123456789ab']) {
      await assert.rejects(storage.put(key, Buffer.from('x')), StorageError, key);
      await assert.rejects(storage.get(key), StorageError, key);
    }
    await assert.rejects(storage.list('../'), StorageError);
  });

  it('errors other than "not found" are wrapped in StorageError with the key', async () => {
    await storage.put('file', Buffer.from('x'));
    const err = await storage.put('file/child', Buffer.from('y')).catch((e: unknown) => e);
    assert.ok(err instanceof StorageError);
    assert.equal(err.key, 'file/child');
    assert.equal(err.operation, 'write');
    assert.match(err.message, /file\/child/);
  });

  it('openStorage opens local, refuses unknown kinds and accepts registered ones', async () => {
    const local = await openStorage({ kind: 'local', root: dir });
    assert.equal(local.kind, 'local');
    assert.equal(local.root, dir);
    await assert.rejects(openStorage({ kind: 'nope', root: 'x' }), /Unknown storage backend "nope"/);
    registerStorageBackend('memory-test', async (spec) => new MemoryStorage(spec.root));
    assert.ok(storageBackendKinds().includes('memory-test'));
    const memory = await openStorage({ kind: 'memory-test', root: 'mem://a' });
    assert.equal(memory.root, 'mem://a');
    assert.equal(defaultLocalRoot('/home/me/p'), path.join('/home/me/p', '.stepflow'));
  });

  it('readFrom reads only the bytes past an offset, and answers unchanged for the same tag or no new bytes (local and memory)', async () => {
    for (const backend of [storage, new MemoryStorage()]) {
      const read = backend.readFrom.bind(backend);
      assert.equal(await read('F/1/s/0/0.stdout.log', 0), undefined, 'missing');
      await backend.put('F/1/s/0/0.stdout.log', Buffer.from('one\n'));
      const first = await read('F/1/s/0/0.stdout.log', 0);
      assert.ok(first && first !== 'unchanged');
      assert.equal(first.bytes.toString(), 'one\n');
      assert.equal(first.size, 4);
      assert.equal(await read('F/1/s/0/0.stdout.log', 4, { ifNoneMatch: first.tag }), 'unchanged');
      assert.equal(await read('F/1/s/0/0.stdout.log', 4), 'unchanged', 'nothing past the offset');
      await backend.put('F/1/s/0/0.stdout.log', Buffer.from('one\ntwo\n'));
      const second = await read('F/1/s/0/0.stdout.log', 4, { ifNoneMatch: first.tag });
      assert.ok(second && second !== 'unchanged');
      assert.equal(second.bytes.toString(), 'two\n');
      assert.equal(second.size, 8);
      assert.notEqual(second.tag, first.tag);
    }
  });

  it('createExclusive: of 50 writers racing on one key (local and memory) exactly one creates it, whole', async () => {
    for (const backend of [storage, new MemoryStorage()]) {
      const key = 'F/17/_meta/run.json';
      const bodies = Array.from({ length: 50 }, (_, i) => Buffer.from(`writer ${i} `.repeat(2000)));
      const won = await Promise.all(bodies.map((body) => backend.createExclusive(key, body)));
      assert.equal(won.filter(Boolean).length, 1, backend.kind);
      const winner = won.indexOf(true);
      assert.deepEqual(await backend.get(key), bodies[winner], 'the winner content, unchanged');
      assert.equal(await backend.createExclusive(key, Buffer.from('late')), false);
      assert.deepEqual(await backend.get(key), bodies[winner]);
      assert.deepEqual(
        (await backend.list('F/17/_meta/')).map((e) => e.key),
        [key],
        'no temp file is left behind',
      );
    }
    assert.deepEqual(await readdir(path.join(dir, 'F/17/_meta')), ['run.json']);
  });
});
