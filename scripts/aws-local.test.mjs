import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { needsLocalAws } from './aws-local.mjs';

describe('aws-local', () => {
  it('only batch test files need the local AWS Batch stand-in', () => {
    assert.equal(needsLocalAws(['test/e2e/batch/local-aws.batch.test.ts']), true);
    assert.equal(needsLocalAws(['test/e2e/batch/flows/foreach.test.ts']), true);
    assert.equal(needsLocalAws(['src/plugins/batch/launcher.batch.test.ts']), true);
    assert.equal(
      needsLocalAws(['test/e2e/s3-datastore.test.ts', 'src/plugins/batch/job-definition.test.ts']),
      false,
    );
    assert.equal(needsLocalAws([]), false);
  });
});
