import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { gunzipSync } from 'node:zlib';
import { COMPRESS_MAX_BYTES, ContentStore, FRAME_GZIP, FRAME_RAW, sha256Hex } from './content-store.js';
import { ArtifactNotFoundError, CorruptBlobError, DatastoreError } from './errors.js';
import { blobKey } from './keys.js';
import { LocalStorage } from './local-storage.js';
import { MemoryStorage } from './memory-storage.js';

let dir: string;
let storage: LocalStorage;

beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'stepflow-cas-'));
  storage = new LocalStorage(dir);
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('content-store', () => {
  it('blobs are named by the sha256 of their bytes, under <flow>/data/<aa>/<sha>', async () => {
    const cas = new ContentStore(storage);
    const bytes = Buffer.from('hello');
    const [sha] = await cas.saveBlobs('F', [bytes]);
    assert.equal(sha, sha256Hex(bytes));
    assert.equal(
      sha,
      sha256Hex([Buffer.from('he'), Buffer.from('llo')]),
      'chunks hash like their concatenation',
    );
    assert.deepEqual(
      (await storage.list('F/', { recursive: true })).map((e) => e.key),
      [`F/data/${sha.slice(0, 2)}/${sha}`],
    );
    assert.equal((await cas.loadBlob('F', sha)).toString(), 'hello');
  });

  it('the same bytes are stored once (dedupe within a call and across calls)', async () => {
    const memory = new MemoryStorage();
    const cas = new ContentStore(memory);
    const shas = await cas.saveBlobs('F', [Buffer.from('same'), [Buffer.from('sa'), Buffer.from('me')]]);
    assert.equal(shas[0], shas[1]);
    await cas.saveBlobs('F', [Buffer.from('same')]);
    assert.equal(memory.writes, 1);
    assert.equal(memory.objects.size, 1);
    assert.equal(cas.stats.blobsWritten, 1);
    assert.equal(cas.stats.blobsSkipped, 1);
  });

  it('small compressible blobs are gzip-framed; incompressible and big ones are raw', async () => {
    const memory = new MemoryStorage();
    const cas = new ContentStore(memory);
    const text = Buffer.from('abc'.repeat(1000));
    const noise = randomBytes(4096);
    const big = Buffer.alloc(COMPRESS_MAX_BYTES + 1, 1);
    const [textSha, noiseSha, bigSha] = await cas.saveBlobs('F', [text, noise, big]);
    const stored = (sha: string): Buffer => memory.objects.get(blobKey('F', sha))!;
    assert.equal(stored(textSha)[0], FRAME_GZIP);
    assert.ok(stored(textSha).byteLength < text.byteLength / 2);
    assert.deepEqual(gunzipSync(stored(textSha).subarray(1)), text);
    assert.equal(stored(noiseSha)[0], FRAME_RAW);
    assert.equal(stored(noiseSha).byteLength, noise.byteLength + 1);
    assert.equal(stored(bigSha)[0], FRAME_RAW, 'blobs above 1 MiB are never compressed');
    assert.equal(stored(bigSha).byteLength, big.byteLength + 1);
    for (const [sha, bytes] of [
      [textSha, text],
      [noiseSha, noise],
      [bigSha, big],
    ] as const) {
      assert.deepEqual(await cas.loadBlob('F', sha), bytes);
    }
  });

  it('missing, corrupt and tampered blobs are reported', async () => {
    const cas = new ContentStore(storage);
    const sha = sha256Hex(Buffer.from('x'));
    await assert.rejects(cas.loadBlob('F', sha), ArtifactNotFoundError);
    await storage.put(blobKey('F', sha), Buffer.from([FRAME_RAW, ...Buffer.from('y')]));
    await assert.rejects(cas.loadBlob('F', sha), (err: unknown) => {
      assert.ok(err instanceof CorruptBlobError);
      assert.match(err.message, /sha256/);
      return true;
    });
    assert.equal(
      (await new ContentStore(storage, { verifyOnLoad: false }).loadBlob('F', sha)).toString(),
      'y',
    );
    await storage.put(blobKey('F', sha), Buffer.from([7, 1, 2]));
    await assert.rejects(cas.loadBlob('F', sha), /unknown frame header 0x07/);
    await storage.put(blobKey('F', sha), Buffer.from([FRAME_GZIP, 1, 2]));
    await assert.rejects(cas.loadBlob('F', sha), /gzip/);
    await storage.put(blobKey('F', sha), new Uint8Array(0));
    assert.throws(() => cas.loadBlobSync('F', sha), /empty/);
    await assert.rejects(cas.loadBlob('F', 'not-a-sha'), /sha256/);
  });

  it('loadBlobSync reads a local backend directly, and needs a prefetch elsewhere', async () => {
    const local = new ContentStore(storage);
    const [sha] = await local.saveBlobs('F', [Buffer.from('abc'.repeat(100))]);
    assert.equal(local.loadBlobSync('F', sha).toString(), 'abc'.repeat(100));

    const memory = new ContentStore(new MemoryStorage());
    const [memSha] = await memory.saveBlobs('F', [Buffer.from('abc')]);
    assert.throws(() => memory.loadBlobSync('F', memSha), DatastoreError);
    await memory.prefetch('F', [memSha]);
    const first = memory.loadBlobSync('F', memSha);
    const second = memory.loadBlobSync('F', memSha);
    assert.equal(first.toString(), 'abc');
    assert.deepEqual(second, first);
    second[0] = 0x7a;
    assert.equal(first.toString(), 'abc', 'a second use gets its own copy');
    memory.releasePrefetched();
    assert.throws(() => memory.loadBlobSync('F', memSha), /prefetch/i);
  });
});
