import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { S3Error } from './errors.js';
import { encodeMetadata, objectInfo, USER_ATTRIBUTES_KEY } from './object-info.js';
import { relativeKey, S3Object } from './objects.js';

describe('object-info', () => {
  it('user metadata is one ASCII JSON header, as Metaflow writes it, and reads back', () => {
    const encoded = encodeMetadata({ note: 'café ☕', n: 1, list: [1, 'a'] }, 's3://b/k');
    assert.deepEqual(Object.keys(encoded ?? {}), [USER_ATTRIBUTES_KEY]);
    const header = encoded?.[USER_ATTRIBUTES_KEY] ?? '';
    assert.match(header, /^[\x20-\x7e]*$/, 'ASCII only');
    assert.deepEqual(objectInfo({ Metadata: encoded }).metadata, { note: 'café ☕', n: 1, list: [1, 'a'] });
    assert.equal(encodeMetadata(undefined, 's3://b/k'), undefined);
  });

  it('other x-amz-meta headers are kept as strings; a broken JSON header is kept raw', () => {
    assert.deepEqual(objectInfo({ Metadata: { origin: 'cli', [USER_ATTRIBUTES_KEY]: '{"a":1}' } }).metadata, {
      origin: 'cli',
      a: 1,
    });
    assert.deepEqual(objectInfo({ Metadata: { [USER_ATTRIBUTES_KEY]: '{oops' } }).metadata, {
      [USER_ATTRIBUTES_KEY]: '{oops',
    });
    assert.equal(objectInfo({ Metadata: {} }).metadata, undefined);
  });

  it('metadata must be a JSON object', () => {
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    assert.throws(() => encodeMetadata(cyclic, 's3://b/k'), S3Error);
    assert.throws(
      () => encodeMetadata([1, 2] as unknown as Record<string, unknown>, 's3://b/k'),
      /JSON object/,
    );
  });

  it('HEAD info carries the size; GET info does not (a range is not the object)', () => {
    const res = { ContentLength: 10, ContentType: 'text/plain', ETag: '"e"', ServerSideEncryption: 'AES256' };
    assert.equal(objectInfo(res, true).size, 10);
    assert.equal(objectInfo(res).size, undefined);
    assert.equal(objectInfo(res).encryption, 'AES256');
  });

  it('keys are relative to the prefix; a URL outside it stays whole', () => {
    assert.equal(relativeKey('s3://b/data/x/y.csv', 's3://b/data'), 'x/y.csv');
    assert.equal(relativeKey('s3://b/data/x', 's3://b/data/'), 'x');
    assert.equal(relativeKey('s3://b/database/x', 's3://b/data'), 's3://b/database/x');
    assert.equal(relativeKey('s3://b/data', 's3://b/data'), '');
    assert.equal(relativeKey('s3://b/k', undefined), 's3://b/k');
    const obj = new S3Object({ url: 's3://b/data/a.txt', prefix: 's3://b/data', exists: true, size: 3 });
    assert.equal(obj.key, 'a.txt');
    assert.equal(String(obj), '<S3Object s3://b/data/a.txt (3 bytes)>');
    assert.throws(() => obj.blob, /was not downloaded/);
  });
});
