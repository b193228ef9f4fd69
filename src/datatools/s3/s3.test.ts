/**
 * The S3 tool against a real S3 stand-in: the moto server `scripts/test.mjs` starts (no mocks).
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { awsEndpoint, createTestBucket, TEST_AWS_ENV } from '../../../test/support/aws.js';
import { setCurrent } from '../../flow/current.js';
import { FlowSpec } from '../../flow/flow-spec.js';
import {
  S3,
  S3ConfigError,
  S3Error,
  S3InvalidRangeError,
  S3NoSuchBucketError,
  S3NotFoundError,
  type S3Options,
  S3UrlError,
} from './index.js';

Object.assign(process.env, TEST_AWS_ENV);
const MiB = 1024 * 1024;
const tmp = mkdtempSync(path.join(tmpdir(), 'stepflow-s3-test-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

/** Set by scripts/test.mjs; each test checks it through awsEndpoint(t) (skip, or fail under CI). */
const endpoint = process.env.STEPFLOW_TEST_AWS_ENDPOINT;
let bucket = '';
let root = '';
/** A tool on the test bucket, its temp dir in `tmp`. */
const tool = (options: S3Options = {}) =>
  new S3({ s3root: root, endpoint, tmproot: tmp, retryDelayMs: 1, ...options });

describe('S3 on moto', () => {
  before(async () => {
    if (endpoint) {
      bucket = await createTestBucket(endpoint);
      root = `s3://${bucket}/root`;
    }
  });

  it('put and get a string, with content type and metadata round-tripped', async (t) => {
    if (!awsEndpoint(t)) return;
    await using s3 = tool();
    const url = await s3.put('hello.txt', 'hello wörld', {
      contentType: 'text/plain; charset=utf-8',
      metadata: { source: 'test', rows: 3, nested: { ok: true }, note: 'café' },
    });
    assert.equal(url, `${root}/hello.txt`);
    const obj = await s3.get('hello.txt');
    assert.equal(obj.text, 'hello wörld');
    assert.deepEqual(obj.blob, Buffer.from('hello wörld'));
    assert.equal(obj.size, Buffer.byteLength('hello wörld'));
    assert.equal(obj.contentType, 'text/plain; charset=utf-8');
    assert.deepEqual(obj.metadata, { source: 'test', rows: 3, nested: { ok: true }, note: 'café' });
    assert.ok(obj.lastModified instanceof Date);
    assert.equal(obj.exists, true);
    assert.equal(obj.downloaded, true);
    assert.equal(obj.key, 'hello.txt');
    assert.equal(obj.prefix, root);
    assert.equal(obj.url, url);
    assert.ok(obj.path?.startsWith(tmp));
  });

  it('get: ranges by offset and length, offset only, length only and suffix', async (t) => {
    if (!awsEndpoint(t)) return;
    await using s3 = tool();
    await s3.put('digits', '0123456789');
    const [mid, from7, first3, last4] = await s3.getMany([
      { key: 'digits', offset: 2, length: 3 },
      { key: 'digits', offset: 7 },
      { key: 'digits', length: 3 },
      { key: 'digits', length: -4 },
    ]);
    assert.equal(mid?.text, '234');
    assert.deepEqual(mid?.rangeInfo, { totalSize: 10, offset: 2, length: 3 });
    assert.equal(from7?.text, '789');
    assert.equal(first3?.text, '012');
    assert.equal(last4?.text, '6789');
    assert.deepEqual(last4?.rangeInfo, { totalSize: 10, offset: 6, length: 4 });
    await assert.rejects(s3.get({ key: 'digits', offset: 50, length: 2 }), (err: unknown) => {
      assert.ok(err instanceof S3InvalidRangeError);
      assert.equal(err.url, `${root}/digits`);
      return true;
    });
  });

  it('big objects: multipart upload and parallel ranged download, from a file and from bytes', async (t) => {
    if (!awsEndpoint(t)) return;
    await using s3 = tool({ partSize: 5 * MiB, concurrency: 8 });
    const big = Buffer.alloc(12 * MiB + 123);
    for (let i = 0; i < big.length; i += 4096) big[i] = (i / 4096) % 251;
    const file = path.join(tmp, 'big.bin');
    writeFileSync(file, big);
    const [put] = await s3.putFiles([{ key: 'big/file.bin', path: file, metadata: { kind: 'file' } }]);
    assert.deepEqual(put, { key: 'big/file.bin', url: `${root}/big/file.bin` });
    await s3.put('big/bytes.bin', big, { contentType: 'application/x-test' });
    const [fromFile, fromBytes] = await s3.getMany(['big/file.bin', 'big/bytes.bin']);
    assert.equal(fromFile?.size, big.length);
    assert.ok(fromFile?.blob.equals(big));
    assert.deepEqual(fromFile?.metadata, { kind: 'file' });
    assert.ok(fromBytes?.blob.equals(big));
    assert.equal(fromBytes?.contentType, 'application/x-test');
    const tail = await s3.get({ key: 'big/bytes.bin', length: -10 });
    assert.ok(tail.blob.equals(big.subarray(big.length - 10)));
    assert.equal((await s3.info('big/file.bin')).size, big.length);
  });

  it('empty objects and bytes values', async (t) => {
    if (!awsEndpoint(t)) return;
    await using s3 = tool();
    await s3.put('empty', '');
    await s3.put('bytes', new Uint8Array([1, 2, 3]));
    const [empty, bytes] = await s3.getMany(['empty', 'bytes']);
    assert.equal(empty?.size, 0);
    assert.equal(empty?.text, '');
    assert.deepEqual([...(bytes?.blob ?? [])], [1, 2, 3]);
  });

  it('putMany, getRecursive, getAll, list and listRecursive', async (t) => {
    if (!awsEndpoint(t)) return;
    const sub = `${root}/tree`;
    await using s3 = tool({ s3root: sub });
    const put = await s3.putMany([
      { key: 'a.txt', value: 'A' },
      { key: 'dir/b.txt', value: 'B', metadata: { n: 2 } },
      { key: 'dir/deep/c.txt', value: 'C', contentType: 'text/plain' },
    ]);
    assert.deepEqual(
      put.map((p) => p.url),
      [`${sub}/a.txt`, `${sub}/dir/b.txt`, `${sub}/dir/deep/c.txt`],
    );

    const top = await s3.list();
    assert.deepEqual(
      top.map((o) => [o.key, o.exists, o.size]),
      [
        ['a.txt', true, 1],
        ['dir/', false, undefined],
      ],
    );
    const recursive = await s3.listRecursive();
    assert.deepEqual(
      recursive.map((o) => o.key),
      ['a.txt', 'dir/b.txt', 'dir/deep/c.txt'],
    );
    assert.equal(recursive[0]?.downloaded, false);
    assert.deepEqual(
      (await s3.list(['dir'])).map((o) => o.key),
      ['dir/b.txt', 'dir/deep/'],
    );

    const under = await s3.getRecursive(['dir']);
    assert.deepEqual(
      under.map((o) => [o.key, o.text]),
      [
        ['dir/b.txt', 'B'],
        ['dir/deep/c.txt', 'C'],
      ],
    );
    assert.deepEqual(under[0]?.metadata, { n: 2 });
    await using parent = tool({ s3root: root });
    await parent.putMany([
      { key: 'tree-sibling/x.txt', value: 'not under tree' },
      { key: 'treehouse.txt', value: 'not under tree either' },
    ]);
    assert.deepEqual(
      (await parent.listRecursive(['tree'])).map((o) => o.key),
      ['tree/a.txt', 'tree/dir/b.txt', 'tree/dir/deep/c.txt'],
    );
    assert.deepEqual(
      (await s3.getRecursive(['a.txt'])).map((o) => o.text),
      ['A'],
      'a key that names an object gets that object',
    );
    const all = await s3.getAll();
    assert.deepEqual(
      all.map((o) => o.text),
      ['A', 'B', 'C'],
    );
  });

  it('info and infoMany without downloading; returnMissing instead of errors', async (t) => {
    if (!awsEndpoint(t)) return;
    await using s3 = tool();
    await s3.put('info.json', '{"a":1}', { contentType: 'application/json', metadata: { v: 1 } });
    const info = await s3.info('info.json');
    assert.equal(info.size, 7);
    assert.equal(info.contentType, 'application/json');
    assert.deepEqual(info.metadata, { v: 1 });
    assert.equal(info.downloaded, false);
    assert.equal(info.hasInfo, true);
    assert.throws(() => info.text, /was not downloaded/);
    const [there, missing] = await s3.infoMany(['info.json', 'nope.json'], { returnMissing: true });
    assert.equal(there?.exists, true);
    assert.equal(missing?.exists, false);
    const gone = await s3.get('nope.json', { returnMissing: true });
    assert.equal(gone.exists, false);
    assert.equal(gone.path, undefined);
    assert.throws(() => gone.blob, S3NotFoundError);
  });

  it('put with overwrite: false keeps what exists', async (t) => {
    if (!awsEndpoint(t)) return;
    await using s3 = tool();
    await s3.put('keep.txt', 'first');
    await s3.put('keep.txt', 'second', { overwrite: false });
    assert.equal((await s3.get('keep.txt')).text, 'first');
    const done = await s3.putMany(
      [
        { key: 'keep.txt', value: 'third' },
        { key: 'new.txt', value: 'new' },
      ],
      { overwrite: false },
    );
    assert.deepEqual(
      done.map((d) => d.key),
      ['new.txt'],
    );
  });

  it('server-side encryption is sent with puts', async (t) => {
    if (!awsEndpoint(t)) return;
    await using s3 = tool({ encryption: 'AES256' });
    await s3.put('sse.txt', 'secret');
    assert.equal((await s3.info('sse.txt')).encryption, 'AES256');
  });

  it('get() without a key reads the root itself; bad local files and temp roots are named errors', async (t) => {
    if (!awsEndpoint(t)) return;
    await using s3 = tool();
    await s3.put('single.txt', 'just me');
    await using single = tool({ s3root: `${root}/single.txt` });
    assert.equal((await single.get()).text, 'just me');
    await assert.rejects(
      s3.putFiles([{ key: 'x', path: path.join(tmp, 'no-such-file') }]),
      (err: unknown) => {
        assert.ok(err instanceof S3Error);
        assert.match(err.message, /no-such-file/);
        assert.equal(err.url, `${root}/x`);
        return true;
      },
    );
    await using nowhere = tool({ tmproot: path.join(tmp, 'does', 'not', 'exist') });
    await assert.rejects(nowhere.get('single.txt'), (err: unknown) => err instanceof S3ConfigError);
  });

  it('new S3() takes full s3:// URLs only; relative keys need a root', async (t) => {
    if (!awsEndpoint(t)) return;
    await using s3 = new S3({ endpoint, tmproot: tmp });
    await s3.put(`${root}/full.txt`, 'full');
    const obj = await s3.get(`${root}/full.txt`);
    assert.equal(obj.text, 'full');
    assert.equal(obj.key, `${root}/full.txt`);
    assert.equal(obj.prefix, undefined);
    await assert.rejects(s3.get('relative.txt'), S3UrlError);
    await assert.rejects(s3.getAll(), /needs a root/);
  });

  it('errors are named and carry the URL: not found, no such bucket', async (t) => {
    if (!awsEndpoint(t)) return;
    await using s3 = tool();
    await assert.rejects(s3.get('missing.bin'), (err: unknown) => {
      assert.ok(err instanceof S3NotFoundError);
      assert.equal(err.url, `${root}/missing.bin`);
      assert.equal(err.operation, 'get');
      return true;
    });
    await assert.rejects(s3.info('missing.bin'), S3NotFoundError);
    const nowhere = 's3://stepflow-no-such-bucket-7f3a/k';
    for (const call of [
      () => s3.get(nowhere),
      () => s3.info(nowhere),
      () => s3.put(nowhere, 'x'),
      () => s3.list([nowhere]),
    ]) {
      await assert.rejects(call(), (err: unknown) => {
        assert.ok(err instanceof S3NoSuchBucketError, String(err));
        assert.equal(err.url, nowhere);
        assert.equal(err.bucket, 'stepflow-no-such-bucket-7f3a');
        return true;
      });
    }
  });

  it('downloads land in a temp dir under METAFLOW_TEMPDIR, removed by close()', async (t) => {
    if (!awsEndpoint(t)) return;
    const tempRoot = mkdtempSync(path.join(tmp, 'metaflow-tempdir-'));
    const saved = process.env.METAFLOW_TEMPDIR;
    process.env.METAFLOW_TEMPDIR = tempRoot;
    let s3: S3;
    try {
      s3 = new S3({ s3root: root, endpoint });
    } finally {
      if (saved === undefined) delete process.env.METAFLOW_TEMPDIR;
      else process.env.METAFLOW_TEMPDIR = saved;
    }
    await s3.put('t.txt', 'temp');
    const obj = await s3.get('t.txt');
    const dir = path.dirname(obj.path ?? '');
    assert.equal(path.dirname(dir), tempRoot);
    assert.match(path.basename(dir), /^stepflow\.s3\./);
    assert.equal(s3.tempdir, dir);
    assert.ok(existsSync(obj.path ?? ''));
    await s3.close();
    assert.equal(existsSync(dir), false);
    assert.deepEqual(readdirSync(tempRoot), []);
    await assert.rejects(s3.get('t.txt'), /closed/);
    await s3.close();
  });

  it('new S3({ run: this }) inside a step reads and writes under <S3ROOT>/<flow>/<run id>', async (t) => {
    if (!awsEndpoint(t)) return;
    class DataFlow extends FlowSpec {}
    const tempdir = mkdtempSync(path.join(tmp, 'task-'));
    setCurrent({
      flowName: 'DataFlow',
      runId: '1234',
      stepName: 'start',
      taskId: '1',
      retryCount: 0,
      tempdir,
      pathspec: 'DataFlow/1234/start/1',
      username: 'tester',
    });
    process.env.METAFLOW_DATATOOLS_S3ROOT = `s3://${bucket}/tools`;
    try {
      await using s3 = new S3({ run: new DataFlow(), endpoint, tmproot: tmp });
      assert.equal(s3.s3root, `s3://${bucket}/tools/DataFlow/1234`);
      await s3.put('step-data.json', '[1,2]');
      const obj = await s3.get('step-data.json');
      assert.equal(obj.url, `s3://${bucket}/tools/DataFlow/1234/step-data.json`);
      assert.equal(obj.key, 'step-data.json');
      await assert.rejects(s3.get('relative-but-missing'), S3NotFoundError);
    } finally {
      setCurrent(undefined);
      delete process.env.METAFLOW_DATATOOLS_S3ROOT;
    }
    assert.throws(() => new S3({ run: new DataFlow() }), S3ConfigError);
  });

  it('await using removes the temp dir at the end of the block', async (t) => {
    if (!awsEndpoint(t)) return;
    let dir = '';
    {
      await using s3 = tool();
      await s3.put('using.txt', 'u');
      dir = path.dirname((await s3.get('using.txt')).path ?? '');
      assert.ok(existsSync(dir));
    }
    assert.equal(existsSync(dir), false);
  });
});
