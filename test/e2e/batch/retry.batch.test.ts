/**
 * `@retry` on a `@batch` step with real containers (moto + dockerd): each attempt is a new job with its
 * own records (`<attempt>.batch.json`, attempt and done records), and the run succeeds on the retry.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Flow, setDatastore } from '../../../src/client/index.js';
import { S3Storage } from '../../../src/datastore/s3/s3-storage.js';
import { type BatchTestEnv, batchCliEnv, batchEnv, readBatchEnv } from '../../support/batch.js';
import { runCli, type Workspace, workspace } from '../helpers.js';

const FLOW = join(fileURLToPath(new URL('.', import.meta.url)), 'flows', 'retry-flow.ts');

describe('@retry on @batch (local AWS Batch stand-in)', () => {
  let env: BatchTestEnv | undefined;
  let ws: Workspace;
  let root: string;

  before(async () => {
    ws = await workspace();
    env = readBatchEnv();
    if (!env) return;
    root = `s3://${env.bucket}/e2e-batch-retry-${Date.now()}`;
    Object.assign(process.env, batchCliEnv(env));
    setDatastore({ kind: 's3', root });
  });

  after(async () => {
    setDatastore(undefined);
    await ws?.cleanup();
  });

  it('a step failing once succeeds on its second attempt: two attempts, two jobs, each with its records', async (t) => {
    if (!batchEnv(t) || !env) return;
    const r = await runCli(['run', FLOW, '--datastore', 's3', '--datastore-root', root], {
      cwd: ws.dir,
      env: batchCliEnv(env),
    });
    const out = r.stdout + r.stderr;
    assert.equal(r.code, 0, out);
    assert.match(out, /flaky fails on its first attempt/);
    assert.match(out, /retrying/);
    assert.match(out, /end after 2 attempts/);
    const runId = (r.stdout.split('\n')[0] ?? '').split('/')[1] ?? '';
    const run = await new Flow('RetryFlow', { namespace: null }).run(runId);
    assert.equal(run.status, 'successful');
    const task = await (await run.step('flaky')).task();
    const attempts = await task.attempts();
    assert.deepEqual(
      attempts.map((a) => [a.attempt, a.ok]),
      [
        [0, false],
        [1, true],
      ],
    );
    assert.match(attempts[0]?.error?.message ?? '', /flaky fails on its first attempt/);
    const storage = new S3Storage(root, {
      endpoint: env.endpoint,
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    });
    try {
      const records = [];
      for (const attempt of [0, 1]) {
        const raw = await storage.get(`RetryFlow/${runId}/flaky/${task.id}/${attempt}.batch.json`);
        assert.ok(raw, `attempt ${attempt} has a batch record`);
        records.push(JSON.parse(raw.toString('utf8')));
      }
      assert.deepEqual(
        records.map((x) => [x.attempt, x.status]),
        [
          [0, 'FAILED'],
          [1, 'SUCCEEDED'],
        ],
      );
      assert.notEqual(records[0].jobId, records[1].jobId, 'each attempt is a new job');
    } finally {
      storage.close();
    }
  });
});
