import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, describe, it } from 'node:test';
import { awsEndpoint, createTestBucket } from '../../../test/support/aws.js';
import { openStorage } from '../backends.js';
import { StorageError } from '../errors.js';
import { S3StorageError } from './errors.js';
import { S3Storage } from './s3-storage.js';
import { loadS3Sdk } from './sdk.js';

const MiB = 1024 * 1024;
const credentials = { accessKeyId: 'test', secretAccessKey: 'test' };
const opened: S3Storage[] = [];

function storageFor(
  endpoint: string,
  root: string,
  options: ConstructorParameters<typeof S3Storage>[1] = {},
) {
  const storage = new S3Storage(root, { endpoint, credentials, ...options });
  opened.push(storage);
  return storage;
}

/** Bytes that differ from offset to offset, so a misplaced part would show. */
function pattern(size: number, seed = 1): Buffer {
  const buf = Buffer.allocUnsafe(size);
  for (let i = 0; i + 4 <= size; i += 4) buf.writeUInt32LE((i * 2654435761 + seed) >>> 0, i);
  for (let i = size - (size % 4); i < size; i++) buf[i] = i & 0xff;
  return buf;
}

/** A loopback port nothing listens on (taken, then released). */
function closedPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

after(() => {
  for (const storage of opened) storage.close();
});

describe('S3Storage on moto', () => {
  let endpoint: string | undefined;
  let bucket: string;

  before(async () => {
    endpoint = process.env.STEPFLOW_TEST_AWS_ENDPOINT;
    if (endpoint) bucket = await createTestBucket(endpoint);
  });

  it('createExclusive creates a key once: moto answers If-None-Match: * with 412 for the others', async (t) => {
    if (!awsEndpoint(t) || !endpoint) return;
    const storage = storageFor(endpoint, `s3://${bucket}/exclusive`);
    const key = 'F/17/_meta/run.json';
    const bodies = Array.from({ length: 10 }, (_, i) => Buffer.from(`writer ${i}`));
    const won = await Promise.all(bodies.map((body) => storage.createExclusive(key, body)));
    assert.equal(won.filter(Boolean).length, 1);
    assert.deepEqual(await storage.get(key), bodies[won.indexOf(true)]);
    assert.equal(await storage.createExclusive(key, Buffer.from('late')), false);
    assert.deepEqual(await storage.get(key), bodies[won.indexOf(true)], 'the first record is kept');
  });

  it('puts, gets, checks and deletes objects under the root prefix', async (t) => {
    if (!awsEndpoint(t) || !endpoint) return;
    const storage = storageFor(endpoint, `s3://${bucket}/basic/`);
    assert.equal(await storage.get('F/1/_meta/run.json'), undefined);
    assert.equal(await storage.exists('F/1/_meta/run.json'), false);
    assert.equal(await storage.put('F/1/_meta/run.json', Buffer.from('{"a":1}')), true);
    assert.equal((await storage.get('F/1/_meta/run.json'))?.toString(), '{"a":1}');
    assert.equal(await storage.exists('F/1/_meta/run.json'), true);
    assert.equal(await storage.exists('F/1/_meta'), false, 'a prefix is not an object');
    await storage.put('k/chunks', [Uint8Array.of(1), Buffer.from([2, 3]), new Uint8Array(0)]);
    assert.deepEqual([...((await storage.get('k/chunks')) ?? [])], [1, 2, 3]);
    await storage.put('k/empty', new Uint8Array(0));
    assert.equal((await storage.get('k/empty'))?.byteLength, 0);
    await storage.delete('F/1/_meta/run.json');
    await storage.delete('F/1/_meta/run.json');
    assert.equal(await storage.get('F/1/_meta/run.json'), undefined);
    const { sdk } = await loadS3Sdk();
    const client = new sdk.S3Client({ endpoint, region: 'us-east-1', forcePathStyle: true, credentials });
    const head = await client.send(new sdk.HeadObjectCommand({ Bucket: bucket, Key: 'basic/k/chunks' }));
    assert.equal(head.ContentLength, 3, 'keys live under the root prefix');
    client.destroy();
    await assert.rejects(storage.put('../x', Buffer.from('x')), StorageError);
  });

  it('readFrom: a ranged, conditional GetObject returns only new bytes (304/416 → unchanged, 404 → undefined)', async (t) => {
    if (!awsEndpoint(t) || !endpoint) return;
    const storage = storageFor(endpoint, `s3://${bucket}/ranged`);
    const key = 'F/1/s/0/0.stdout.log';
    assert.equal(await storage.readFrom(key, 0), undefined);
    await storage.put(key, Buffer.from('hello\n'));
    const first = await storage.readFrom(key, 0);
    assert.ok(first && first !== 'unchanged');
    assert.equal(first.bytes.toString(), 'hello\n');
    assert.equal(first.size, 6);
    assert.ok(first.tag, 'an ETag');
    assert.equal(await storage.readFrom(key, 6, { ifNoneMatch: first.tag }), 'unchanged', '304');
    assert.equal(await storage.readFrom(key, 6), 'unchanged', '416');
    await storage.put(key, Buffer.from('hello\nworld\n'));
    const second = await storage.readFrom(key, 6, { ifNoneMatch: first.tag });
    assert.ok(second && second !== 'unchanged');
    assert.equal(second.bytes.toString(), 'world\n');
    assert.equal(second.size, 12);
  });

  it('ifAbsent skips objects that are already there', async (t) => {
    if (!awsEndpoint(t) || !endpoint) return;
    const storage = storageFor(endpoint, `s3://${bucket}/absent`);
    assert.equal(await storage.put('F/data/ab/abc', Buffer.from('first'), { ifAbsent: true }), true);
    assert.equal(await storage.put('F/data/ab/abc', Buffer.from('second'), { ifAbsent: true }), false);
    assert.equal((await storage.get('F/data/ab/abc'))?.toString(), 'first');
    assert.equal(await storage.put('F/data/ab/abc', Buffer.from('third')), true, 'plain puts overwrite');
    assert.equal((await storage.get('F/data/ab/abc'))?.toString(), 'third');
  });

  it('lists one level with prefixes, or everything recursively, across pages', async (t) => {
    if (!awsEndpoint(t) || !endpoint) return;
    const storage = storageFor(endpoint, `s3://${bucket}/list`, { listPageSize: 3 });
    const keys = ['F/1/a/0/0.done.json', 'F/1/a/1/0.done.json', 'F/1/b/0/0.done.json', 'F/1/_meta/run.json'];
    for (let i = 0; i < 7; i++) keys.push(`F/data/0${i}/blob${i}`);
    await Promise.all(keys.map((key) => storage.put(key, Buffer.from(key))));
    assert.deepEqual(await storage.list('F/1/'), [
      { key: 'F/1/_meta/', isPrefix: true },
      { key: 'F/1/a/', isPrefix: true },
      { key: 'F/1/b/', isPrefix: true },
    ]);
    assert.deepEqual(
      (await storage.list('F/data/')).map((e) => e.key),
      [0, 1, 2, 3, 4, 5, 6].map((i) => `F/data/0${i}/`),
      'seven prefixes over three pages',
    );
    assert.deepEqual(
      (await storage.list('F/', { recursive: true })).map((e) => e.key),
      [...keys].sort(),
    );
    assert.deepEqual(await storage.list('F/1/a/0/0.'), [{ key: 'F/1/a/0/0.done.json', isPrefix: false }]);
    assert.deepEqual(await storage.list('G/'), []);
    assert.deepEqual(await storage.list(''), [{ key: 'F/', isPrefix: true }]);
    await assert.rejects(storage.list('../'), StorageError);
  });

  it('uploads large bodies as multipart (parts spanning chunks), with SSE, and reads them back', async (t) => {
    if (!awsEndpoint(t) || !endpoint) return;
    const storage = storageFor(endpoint, `s3://${bucket}/mp`, {
      multipartThreshold: 8 * MiB,
      partSize: 8 * MiB,
      sse: 'AES256',
    });
    const body = pattern(40 * MiB + 123);
    const chunks = [Uint8Array.of(0), body.subarray(0, 3 * MiB), body.subarray(3 * MiB)];
    assert.equal(await storage.put('big/blob', chunks), true);
    const back = await storage.get('big/blob');
    assert.equal(back?.byteLength, body.byteLength + 1);
    assert.equal(back?.[0], 0);
    assert.ok(back?.subarray(1).equals(body), 'the bytes round-trip in order');
    await storage.put('small/blob', Buffer.from('x'));
    const { sdk } = await loadS3Sdk();
    const client = new sdk.S3Client({ endpoint, region: 'us-east-1', forcePathStyle: true, credentials });
    const big = await client.send(new sdk.HeadObjectCommand({ Bucket: bucket, Key: 'mp/big/blob' }));
    assert.match(big.ETag ?? '', /-6"?$/, 'six parts of 8 MiB');
    assert.equal(big.ServerSideEncryption, 'AES256', 'CreateMultipartUpload asked for SSE');
    const small = await client.send(new sdk.HeadObjectCommand({ Bucket: bucket, Key: 'mp/small/blob' }));
    assert.equal(small.ServerSideEncryption, 'AES256', 'PutObject asked for SSE');
    const uploads = await client.send(new sdk.ListMultipartUploadsCommand({ Bucket: bucket }));
    assert.equal(uploads.Uploads?.length ?? 0, 0, 'no upload is left open');
    client.destroy();
  });

  it('aborts a multipart upload that fails, leaving no upload open', async (t) => {
    if (!awsEndpoint(t) || !endpoint) return;
    const storage = storageFor(endpoint, `s3://${bucket}/abort`, {
      multipartThreshold: 5 * MiB,
      partSize: 5 * MiB,
      concurrency: 1,
      maxAttempts: 2,
    });
    const { sdk } = await loadS3Sdk();
    const client = new sdk.S3Client({ endpoint, region: 'us-east-1', forcePathStyle: true, credentials });
    const put = storage.put('doomed', pattern(60 * MiB));
    let settled = false;
    put.then(
      () => (settled = true),
      () => (settled = true),
    );
    // Abort the upload from outside while its parts go up one at a time: the next part then fails.
    let aborted = false;
    while (!aborted && !settled) {
      const { Uploads } = await client.send(new sdk.ListMultipartUploadsCommand({ Bucket: bucket }));
      const upload = Uploads?.find((u) => u.Key === 'abort/doomed');
      if (upload) {
        await client.send(
          new sdk.AbortMultipartUploadCommand({
            Bucket: bucket,
            Key: 'abort/doomed',
            UploadId: upload.UploadId,
          }),
        );
        aborted = true;
      }
    }
    assert.ok(aborted, 'the upload was seen in progress');
    await assert.rejects(put, (err: unknown) => {
      // AWS answers NoSuchUpload (404); moto answers HTTP 500, which is retried first.
      assert.ok(err instanceof S3StorageError);
      assert.match(err.message, /S3 write failed for key "doomed" under s3:\/\/.*\/abort/);
      return true;
    });
    assert.equal(await storage.exists('doomed'), false, 'no partial object is visible');
    const { Uploads } = await client.send(new sdk.ListMultipartUploadsCommand({ Bucket: bucket }));
    assert.equal(Uploads?.filter((u) => u.Key === 'abort/doomed').length ?? 0, 0);
    client.destroy();
  });

  it('getSync reads small and large objects through a lazily started worker', async (t) => {
    if (!awsEndpoint(t) || !endpoint) return;
    const storage = storageFor(endpoint, `s3://${bucket}/sync`, { multipartThreshold: 8 * MiB });
    const big = pattern(24 * MiB + 5, 7);
    await storage.put('small', Buffer.from('hello'));
    await storage.put('big', big);
    assert.equal((storage as unknown as { reader?: unknown }).reader, undefined, 'no worker before getSync');
    assert.equal(storage.getSync('small')?.toString(), 'hello');
    assert.notEqual((storage as unknown as { reader?: unknown }).reader, undefined);
    const back = storage.getSync('big');
    assert.ok(back?.equals(big));
    assert.equal(back?.byteOffset, 0, 'the transferred buffer starts at offset 0');
    assert.equal(storage.getSync('missing/key'), undefined);
    await storage.put('empty', new Uint8Array(0));
    assert.equal(storage.getSync('empty')?.byteLength, 0);
    storage.close();
    assert.equal(storage.getSync('small')?.toString(), 'hello', 'a closed reader is recreated on demand');
  });

  it('explains a missing bucket for every operation, naming the bucket', async (t) => {
    if (!awsEndpoint(t) || !endpoint) return;
    const storage = storageFor(endpoint, 's3://stepflow-no-such-bucket/x', { maxAttempts: 1 });
    const expected = (err: unknown) => {
      assert.ok(err instanceof S3StorageError);
      assert.equal(err.code, 'NoSuchBucket');
      assert.equal(err.bucket, 'stepflow-no-such-bucket');
      assert.match(err.message, /bucket "stepflow-no-such-bucket" does not exist on the endpoint http/);
      assert.match(err.message, /METAFLOW_DATASTORE_SYSROOT_S3/);
      assert.doesNotMatch(err.message, /secretAccessKey|test:test/);
      return true;
    };
    await assert.rejects(storage.get('k'), expected);
    await assert.rejects(storage.put('k', Buffer.from('x')), expected);
    await assert.rejects(storage.put('k', Buffer.from('x'), { ifAbsent: true }), expected);
    await assert.rejects(storage.list('a/'), expected);
    assert.throws(() => storage.getSync('k'), expected);
  });

  it('explains an unreachable endpoint', async () => {
    const dead = `http://127.0.0.1:${await closedPort()}`;
    const storage = storageFor(dead, 's3://some-bucket/x', { maxAttempts: 2 });
    const expected = (err: unknown) => {
      assert.ok(err instanceof S3StorageError);
      assert.equal(err.code, 'ECONNREFUSED');
      assert.match(err.message, new RegExp(`cannot reach the endpoint ${dead} .*after 2 attempts`));
      return true;
    };
    await assert.rejects(storage.get('k'), expected);
    assert.throws(() => storage.getSync('k'), expected);
  });

  it('openStorage({ kind: "s3" }) opens it with the options of the environment', async (t) => {
    if (!awsEndpoint(t) || !endpoint) return;
    const saved = { ...process.env };
    Object.assign(process.env, {
      METAFLOW_S3_ENDPOINT_URL: endpoint,
      AWS_ACCESS_KEY_ID: 'test',
      AWS_SECRET_ACCESS_KEY: 'test',
      METAFLOW_S3_SERVER_SIDE_ENCRYPTION: 'AES256',
    });
    try {
      const storage = await openStorage({ kind: 's3', root: `s3://${bucket}/opened` });
      assert.ok(storage instanceof S3Storage);
      opened.push(storage);
      await storage.put('a', Buffer.from('b'));
      assert.equal((await storage.get('a'))?.toString(), 'b');
    } finally {
      for (const key of Object.keys(process.env)) if (!(key in saved)) delete process.env[key];
      Object.assign(process.env, saved);
    }
    await assert.rejects(openStorage({ kind: 's3', root: '/not/s3' }), /s3:\/\/bucket\/prefix/);
  });
});
