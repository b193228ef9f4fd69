import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isCI, needService } from './ci-rules.mjs';

function withCI(value, fn) {
  const saved = process.env.CI;
  if (value === undefined) delete process.env.CI;
  else process.env.CI = value;
  try {
    return fn();
  } finally {
    if (saved === undefined) delete process.env.CI;
    else process.env.CI = saved;
  }
}

describe('ci-rules', () => {
  it('needService: go on when present, skip locally, fail under CI', () => {
    const skipped = [];
    const t = { skip: (msg) => skipped.push(msg) };
    assert.equal(
      withCI(undefined, () => needService(t, true, 'svc')),
      true,
    );
    assert.equal(
      withCI('false', () => needService(t, false, 'svc')),
      false,
    );
    assert.match(skipped[0], /svc is not available/);
    assert.throws(
      () => withCI('true', () => needService(t, false, 'svc')),
      /CI=true turns a skip into a failure/,
    );
    assert.equal(
      withCI('1', () => isCI()),
      true,
    );
  });
});
