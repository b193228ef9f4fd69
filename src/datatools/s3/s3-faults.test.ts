/**
 * Failures moto cannot produce on demand, injected by stand-ins that are named as such:
 * - a fault-injecting stand-in: a tiny HTTP proxy on 127.0.0.1 in front of moto that answers some
 *   requests with 503 SlowDown or 403 AccessDenied, delays them, or cuts response bodies short;
 * - a fake file system whose writes fail with ENOSPC (a full disk).
 * Everything else is the real moto server.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type S3FaultProxy, startS3FaultProxy } from '../../../scripts/lib/s3-fault-proxy.mjs';
import { awsEndpoint, createTestBucket, TEST_AWS_ENV } from '../../../test/support/aws.js';
import {
  type FileOps,
  S3,
  S3AccessDeniedError,
  S3InsufficientDiskSpaceError,
  S3NotFoundError,
  type S3Options,
  S3RetriesExhaustedError,
} from './index.js';

Object.assign(process.env, TEST_AWS_ENV);
const MiB = 1024 * 1024;
const tmp = mkdtempSync(path.join(tmpdir(), 'stepflow-s3-faults-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

const endpoint = process.env.STEPFLOW_TEST_AWS_ENDPOINT;
let bucket = '';
let proxy: S3FaultProxy;

describe('S3 failures (fault-injecting stand-in in front of moto)', () => {
  before(async () => {
    if (!endpoint) return;
    bucket = await createTestBucket(endpoint);
    proxy = await startS3FaultProxy({ target: endpoint });
  });
  after(async () => proxy?.close());

  /** A tool that talks to moto through the stand-in; the stand-in's rules reset. */
  const tool = (prefix: string, options: S3Options = {}) => {
    proxy.decide = () => 'pass';
    proxy.delayMs = 0;
    proxy.requests.length = 0;
    proxy.maxInFlight = 0;
    return new S3({
      s3root: `s3://${bucket}/${prefix}`,
      endpoint: proxy.url,
      tmproot: tmp,
      retryDelayMs: 1,
      ...options,
    });
  };

  it('transient 503 SlowDown is retried until the request succeeds (logged on request)', async (t) => {
    if (!awsEndpoint(t)) return;
    process.env.METAFLOW_S3_LOG_TRANSIENT_RETRIES = 'true';
    const s3 = tool('slow');
    delete process.env.METAFLOW_S3_LOG_TRANSIENT_RETRIES;
    let failures = 3;
    proxy.decide = (req) => (req.method === 'PUT' && failures-- > 0 ? 'slowDown' : 'pass');
    const logged: string[] = [];
    const write = process.stderr.write;
    process.stderr.write = ((chunk: string) => logged.push(String(chunk)) > 0) as typeof write;
    try {
      await s3.put('x.txt', 'made it');
    } finally {
      process.stderr.write = write;
    }
    assert.equal(proxy.count('PUT', '/slow/x.txt'), 4);
    assert.equal(logged.length, 3);
    assert.match(
      logged[0] ?? '',
      /S3 transient failure on s3:\/\/.*\/slow\/x\.txt \(503 SlowDown.*retry 1\/7/,
    );
    assert.equal((await s3.get('x.txt')).text, 'made it');
    await s3.close();
  });

  it('gives up after METAFLOW_S3_RETRY_COUNT retries with S3RetriesExhaustedError', async (t) => {
    if (!awsEndpoint(t)) return;
    process.env.METAFLOW_S3_RETRY_COUNT = '2';
    let s3: S3;
    try {
      s3 = tool('exhausted');
    } finally {
      delete process.env.METAFLOW_S3_RETRY_COUNT;
    }
    proxy.decide = () => 'slowDown';
    await assert.rejects(s3.get('y.txt'), (err: unknown) => {
      assert.ok(err instanceof S3RetriesExhaustedError);
      assert.equal(err.url, `s3://${bucket}/exhausted/y.txt`);
      assert.equal(err.attempts, 3);
      assert.match(err.message, /503 SlowDown/);
      return true;
    });
    assert.equal(proxy.count('GET', '/exhausted/y.txt'), 3);
    await s3.close();
  });

  it('403 AccessDenied is permanent: not retried, S3AccessDeniedError with the URL', async (t) => {
    if (!awsEndpoint(t)) return;
    await using s3 = tool('denied');
    proxy.decide = () => 'deny';
    await assert.rejects(s3.get('secret.bin'), (err: unknown) => {
      assert.ok(err instanceof S3AccessDeniedError);
      assert.equal(err.url, `s3://${bucket}/denied/secret.bin`);
      return true;
    });
    assert.equal(proxy.count('GET', '/denied/secret.bin'), 1);
    await assert.rejects(s3.put('secret.bin', 'x'), S3AccessDeniedError);
    assert.equal(proxy.count('PUT', '/denied/secret.bin'), 1);
  });

  it('404 is permanent: not retried', async (t) => {
    if (!awsEndpoint(t)) return;
    await using s3 = tool('notfound');
    await assert.rejects(s3.get('missing'), S3NotFoundError);
    assert.equal(proxy.count('GET', '/notfound/missing'), 1);
    await assert.rejects(s3.info('missing'), S3NotFoundError);
    assert.equal(proxy.count('HEAD', '/notfound/missing'), 1);
  });

  it('many-object calls retry only the objects that failed transiently', async (t) => {
    if (!awsEndpoint(t)) return;
    await using s3 = tool('many');
    const keys = Array.from({ length: 8 }, (_, i) => `k${i}`);
    await s3.putMany(keys.map((key) => ({ key, value: key })));
    const failed = new Set<string>();
    proxy.requests.length = 0;
    proxy.decide = (req) => {
      const key = /\/many\/(k\d)/.exec(req.url ?? '')?.[1];
      if (!key || Number(key.slice(1)) % 2 === 0 || failed.has(key)) return 'pass';
      failed.add(key);
      return 'slowDown';
    };
    const objs = await s3.getMany(keys);
    assert.deepEqual(
      objs.map((o) => o.text),
      keys,
    );
    for (const [i, key] of keys.entries()) {
      assert.equal(proxy.count('GET', `/many/${key}`), i % 2 === 0 ? 1 : 2, key);
    }
  });

  it('keeps at most `concurrency` requests in flight', async (t) => {
    if (!awsEndpoint(t)) return;
    await using s3 = tool('bound', { concurrency: 3 });
    proxy.delayMs = 30;
    await s3.putMany(Array.from({ length: 12 }, (_, i) => ({ key: `o${i}`, value: `${i}` })));
    assert.equal(proxy.maxInFlight, 3);
    proxy.maxInFlight = 0;
    const got = await s3.getMany(Array.from({ length: 12 }, (_, i) => `o${i}`));
    assert.equal(got.length, 12);
    assert.equal(proxy.maxInFlight, 3);
  });

  it('a range whose body breaks off is resumed from where it stopped', async (t) => {
    if (!awsEndpoint(t)) return;
    await using s3 = tool('resume', { partSize: 5 * MiB });
    const big = Buffer.alloc(12 * MiB);
    for (let i = 0; i < big.length; i += 512) big[i] = (i / 512) % 253;
    await s3.put('big.bin', big);
    let cuts = 2;
    proxy.requests.length = 0;
    proxy.decide = (req) =>
      req.method === 'GET' && req.headers['if-match'] && cuts-- > 0 ? 'cutBody' : 'pass';
    const obj = await s3.get('big.bin');
    assert.ok(obj.blob.equals(big));
    const ranges = proxy.requests.filter((r) => r.method === 'GET').map((r) => r.range);
    assert.ok(ranges.length >= 5, `ranges: ${ranges.join(', ')}`);
    // A resumed range starts past the start of its part (5 MiB or 5 MiB + the part size).
    assert.ok(
      ranges.some(
        (r) => r !== undefined && ![0, 5 * MiB, 10 * MiB].includes(Number(/bytes=(\d+)-/.exec(r)?.[1])),
      ),
      `ranges: ${ranges.join(', ')}`,
    );
  });
});

describe('S3 download on a full disk (fake file system that fails with ENOSPC)', () => {
  /** A tool whose downloads write through a fake file system that is always full. */
  class FakeFullDiskS3 extends S3 {
    writes = 0;
    protected override fileOps(): FileOps {
      return {
        openForWrite: async () => ({
          writev: async () => {
            this.writes++;
            throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
          },
          close: async () => undefined,
        }),
      };
    }
  }

  it('fails with S3InsufficientDiskSpaceError naming the URL and the temp dir, without retrying', async (t) => {
    const moto = awsEndpoint(t);
    if (!moto) return;
    const root = `s3://${await createTestBucket(moto)}/full`;
    await using s3 = new FakeFullDiskS3({ s3root: root, endpoint: moto, tmproot: tmp, retryDelayMs: 1 });
    await s3.put('data.bin', Buffer.alloc(2 * MiB, 1));
    await assert.rejects(s3.get('data.bin'), (err: unknown) => {
      assert.ok(err instanceof S3InsufficientDiskSpaceError);
      assert.equal(err.url, `${root}/data.bin`);
      assert.ok(err.tempdir.startsWith(tmp));
      assert.match(err.message, /METAFLOW_TEMPDIR/);
      return true;
    });
    assert.equal(s3.writes, 1);
  });
});
