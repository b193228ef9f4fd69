import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { describeFailure, isTransient, TransientDataError, toS3Error } from './classify.js';
import {
  S3AccessDeniedError,
  S3Error,
  S3InsufficientDiskSpaceError,
  S3InvalidRangeError,
  S3NoSuchBucketError,
  S3NotFoundError,
} from './errors.js';

const sdkError = (name: string, status?: number) =>
  Object.assign(new Error(`${name} happened`), { name, $metadata: { httpStatusCode: status } });

describe('classify', () => {
  it('isTransient: throttling, 5xx, timeouts and network errors are; 4xx and disk errors are not', () => {
    for (const e of [
      sdkError('SlowDown', 503),
      sdkError('InternalError', 500),
      sdkError('Unknown', 502),
      sdkError('RequestTimeout', 400),
      sdkError('ThrottlingException', 400),
      sdkError('TimeoutError'),
      Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }),
      new Error('socket hang up'),
      new TransientDataError('short body'),
    ]) {
      assert.equal(isTransient(e), true, describeFailure(e));
    }
    for (const e of [
      sdkError('NoSuchKey', 404),
      sdkError('AccessDenied', 403),
      sdkError('InvalidRange', 416),
      sdkError('NoSuchBucket', 404),
      sdkError('InvalidArgument', 400),
      Object.assign(new Error('no space'), { code: 'ENOSPC' }),
      new S3Error('already named', 's3://b/k'),
    ]) {
      assert.equal(isTransient(e), false, describeFailure(e));
    }
  });

  it('toS3Error names each permanent failure and keeps the URL and the cause', () => {
    const url = 's3://bucket/key';
    const ctx = { operation: 'get' as const, bucket: 'bucket', range: 'bytes=9-', tempdir: '/tmp/t' };
    const cases: Array<[unknown, new (...args: never[]) => S3Error]> = [
      [sdkError('NoSuchKey', 404), S3NotFoundError],
      [sdkError('NotFound', 404), S3NotFoundError],
      [sdkError('AccessDenied', 403), S3AccessDeniedError],
      [sdkError('Forbidden', 403), S3AccessDeniedError],
      [sdkError('InvalidRange', 416), S3InvalidRangeError],
      [sdkError('NoSuchBucket', 404), S3NoSuchBucketError],
      [
        Object.assign(new Error('ENOSPC: no space left on device'), { code: 'ENOSPC' }),
        S3InsufficientDiskSpaceError,
      ],
    ];
    for (const [cause, type] of cases) {
      const err = toS3Error(cause, url, ctx);
      assert.ok(err instanceof type, `${describeFailure(cause)} → ${err.name}`);
      assert.equal(err.url, url);
      assert.equal(err.cause, cause);
      assert.equal(err.operation, 'get');
      assert.match(err.message, /s3:\/\/bucket\/key/);
    }
    const other = toS3Error(sdkError('InvalidArgument', 400), url, ctx);
    assert.equal(other.constructor, S3Error);
    assert.match(other.message, /400 InvalidArgument/);
    assert.equal(
      (toS3Error(sdkError('NoSuchBucket', 404), url, ctx) as S3NoSuchBucketError).bucket,
      'bucket',
    );
    assert.equal(
      (toS3Error(sdkError('InvalidRange', 416), url, ctx) as S3InvalidRangeError).range,
      'bytes=9-',
    );
  });
});
