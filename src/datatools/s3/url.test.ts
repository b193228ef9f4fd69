import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { S3InvalidRangeError, S3UrlError } from './errors.js';
import { isS3Url, joinKey, parseContentRange, parseS3Url, rangeHeader } from './url.js';

describe('url', () => {
  it('parseS3Url splits bucket and key, and refuses what is not s3://bucket[/key]', () => {
    assert.deepEqual(parseS3Url('s3://bucket/a/b.txt'), {
      bucket: 'bucket',
      key: 'a/b.txt',
      url: 's3://bucket/a/b.txt',
    });
    assert.deepEqual(parseS3Url('s3://bucket'), { bucket: 'bucket', key: '', url: 's3://bucket' });
    assert.throws(() => parseS3Url('http://bucket/k'), S3UrlError);
    assert.throws(() => parseS3Url('s3:///k'), /not a bucket name/);
    assert.equal(isS3Url('s3://b/k'), true);
    assert.equal(isS3Url('b/k'), false);
  });

  it('joinKey puts exactly one slash between root and key', () => {
    assert.equal(joinKey('s3://b/data/', '/x.csv'), 's3://b/data/x.csv');
    assert.equal(joinKey('s3://b/data', 'x/y'), 's3://b/data/x/y');
    assert.equal(joinKey('s3://b/data', ''), 's3://b/data');
  });

  it('rangeHeader: offset and length, offset alone, length alone, suffix', () => {
    const url = 's3://b/k';
    assert.equal(rangeHeader(url), undefined);
    assert.equal(rangeHeader(url, 10, 5), 'bytes=10-14');
    assert.equal(rangeHeader(url, 7), 'bytes=7-');
    assert.equal(rangeHeader(url, undefined, 4), 'bytes=0-3');
    assert.equal(rangeHeader(url, undefined, -100), 'bytes=-100');
    assert.equal(rangeHeader(url, 0, -3), 'bytes=-3');
  });

  it('rangeHeader refuses empty, negative and fractional ranges with S3InvalidRangeError', () => {
    const url = 's3://b/k';
    for (const [offset, length] of [
      [undefined, 0],
      [-1, 5],
      [1.5, 2],
      [3, -2],
    ] as const) {
      assert.throws(
        () => rangeHeader(url, offset, length),
        (err: unknown) => err instanceof S3InvalidRangeError && err.url === url,
      );
    }
  });

  it('parseContentRange reads start, end and total', () => {
    assert.deepEqual(parseContentRange('bytes 10-19/100'), { start: 10, end: 19, total: 100 });
    assert.equal(parseContentRange(undefined), undefined);
    assert.equal(parseContentRange('garbage'), undefined);
    assert.ok(Number.isNaN(parseContentRange('bytes 0-9/*')?.total));
  });
});
