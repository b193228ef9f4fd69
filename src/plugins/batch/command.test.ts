import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { FakeBatchApi } from '../../../test/support/fake-batch-api.js';
import { CLI_SERVICES } from '../../cli/plugin-commands.js';
import { batchListCommand } from './command.js';
import { BatchRunJobsError } from './errors.js';

const FLOW = join(
  fileURLToPath(new URL('../../..', import.meta.url)),
  'test',
  'e2e',
  'batch',
  'flows',
  'sleep-flow.ts',
);

describe('stepflow batch list (fake Batch API)', () => {
  it('refuses a datastore that is not S3, naming the flow and what to pass', async () => {
    const api = new FakeBatchApi();
    await assert.rejects(batchListCommand(FLOW, { datastore: 'local', api }, CLI_SERVICES), (err: Error) => {
      assert.ok(err instanceof BatchRunJobsError);
      assert.match(err.message, /@batch jobs of SleepBatchFlow are recorded in the S3 datastore/);
      assert.match(err.message, /--datastore s3/);
      return true;
    });
    assert.equal(api.calls.length, 0);
  });
});
