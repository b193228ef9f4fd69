import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  awsErrorCode,
  isPermissionDenied,
  isThrottling,
  isTransientAwsError,
  retryKind,
} from './error-info.js';

function awsError(name: string, status?: number, message = name): Error {
  return Object.assign(new Error(message), {
    name,
    ...(status ? { $metadata: { httpStatusCode: status } } : {}),
  });
}

describe('reading AWS errors', () => {
  it('prefers a Node code, then a nested code, then Code and name', () => {
    assert.equal(awsErrorCode(Object.assign(new Error('x'), { code: 'ECONNRESET' })), 'ECONNRESET');
    assert.equal(
      awsErrorCode(Object.assign(new AggregateError([{ code: 'ECONNREFUSED' }]), {})),
      'ECONNREFUSED',
    );
    assert.equal(awsErrorCode(awsError('NoSuchKey', 404)), 'NoSuchKey');
    assert.equal(awsErrorCode(new Error('plain')), undefined);
  });

  it('tells throttling, transient, permission and permanent failures apart', () => {
    assert.ok(isThrottling(awsError('TooManyRequestsException', 429)));
    assert.ok(isTransientAwsError(awsError('ServiceUnavailable', 503)));
    assert.ok(isTransientAwsError(Object.assign(new Error('reset'), { code: 'ECONNRESET' })));
    assert.ok(!isTransientAwsError(awsError('NoSuchKey', 404)));
    for (const name of ['AccessDenied', 'AccessDeniedException', 'UnauthorizedOperation']) {
      assert.ok(isPermissionDenied(awsError(name, 403)), name);
    }
    assert.ok(isPermissionDenied(awsError('Forbidden', 403, 'User is not authorized to perform: batch:X')));
    assert.ok(!isPermissionDenied(awsError('ClientException', 400)));
    assert.equal(retryKind(awsError('X', 502)), 'server');
    assert.equal(retryKind(awsError('ClientException', 400)), undefined);
  });
});
