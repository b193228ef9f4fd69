/**
 * A wide `@batch` foreach (300 by default, 10,000 on demand: see WIDTH) as AWS Batch ARRAY jobs, on a
 * moto server of this file's own in simple mode behind the job-runner stand-in (scripts/lib/batch-fault-proxy.mjs), which models AWS's arrays (moto's
 * differ: local-aws.md §7) and runs each child IN-PROCESS as a no-op task (test/support/noop-batch-runner.ts:
 * the child reads its manifest chunk from the S3 datastore on moto and writes the records of a successful
 * attempt). One child fails once (injected: exit 1 without running), and must be retried alone, as a plain
 * job. `start`, the join and `end` are real local tasks; the join reads `item` of every input.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import type { FaultProxy, startFaultProxy } from '../../scripts/lib/batch-fault-proxy.mjs';
import { S3Storage } from '../../src/datastore/s3/s3-storage.js';
import type { TaskSpec } from '../../src/decorators/contract.js';
import { noopChildRunner } from '../support/noop-batch-runner.js';
import { type SimpleMoto, skipWithoutMoto, startSimpleMoto } from '../support/simple-moto.js';
import { REPO, runCli, workspace } from './helpers.js';

/**
 * The foreach's width: 300 by default, to stay inside the runner's 180 s per test on a loaded machine —
 * moto's S3 answers ~100–170 requests/s on this 2-core machine and each child costs ~13 of them (7 for
 * the task's records, 6 for the launcher's): 500 children took 58 s idle and 143 s under a load average
 * of 20, 1,000 took 150 s, 10,000 would take ~25 min. The full width:
 * `STEPFLOW_E2E_WIDE_WIDTH=10000 STEPFLOW_E2E_TEST_TIMEOUT_MS=3600000 node scripts/test.mjs test/e2e/batch-wide.test.ts`
 * (`npm run bench -- batch-wide` measures 10,000).
 */
const WIDTH = Number(process.env.STEPFLOW_E2E_WIDE_WIDTH) || 300;
const FAILING_INDEX = Math.floor(WIDTH * 0.4321);
const BUCKET = 'wide-bucket';
const QUEUE = 'wide-queue';
const CREDENTIALS = { AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test' };

let moto: SimpleMoto | undefined;
let proxy: FaultProxy | undefined;
const ran: { task: TaskSpec; index: number | undefined }[] = [];

describe(`a ${WIDTH}-way @batch foreach as array jobs (moto simple mode + job-runner stand-in, AWS array semantics)`, () => {
  before(async () => {
    moto = await startSimpleMoto({
      bucket: BUCKET,
      queue: QUEUE,
      computeEnvironment: 'wide-ce',
      role: 'wide-role',
    });
    if (!moto) return;
    const lib = (await import(
      pathToFileURL(path.join(REPO, 'scripts', 'lib', 'batch-fault-proxy.mjs')).href
    )) as { startFaultProxy: typeof startFaultProxy };
    const storage = new S3Storage(`s3://${BUCKET}/runs`, {
      endpoint: moto.url,
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    });
    proxy = await lib.startFaultProxy({
      target: moto.url,
      runner: {
        concurrency: 32,
        child: noopChildRunner({
          storage,
          inputName: 'item',
          onTask: (task, index) => ran.push({ task, index }),
        }),
        childFailures: [{ index: FAILING_INDEX, exitCode: 1, reason: 'exited with 1 (injected)' }],
      },
    });
  });

  after(async () => {
    await proxy?.close();
    await moto?.stop();
  });

  it(`submits ≤ 2 arrays plus the retry, retries the failed child alone as a plain job, and the join reads ${WIDTH} inputs in order`, async (t) => {
    if (skipWithoutMoto(moto, t)) return;
    const p = proxy as FaultProxy;
    const ws = await workspace();
    try {
      const result = await runCli(
        [
          'run',
          path.join(REPO, 'test', 'e2e', 'batch', 'flows', 'array-flow.ts'),
          '--datastore',
          's3',
          '--datastore-root',
          `s3://${BUCKET}/runs`,
          '--width',
          String(WIDTH),
          '--max-num-splits',
          String(WIDTH),
        ],
        {
          cwd: ws.dir,
          env: {
            ...CREDENTIALS,
            AWS_DEFAULT_REGION: 'us-east-1',
            AWS_ENDPOINT_URL: p.url,
            METAFLOW_S3_ENDPOINT_URL: (moto as SimpleMoto).url,
            METAFLOW_BATCH_JOB_QUEUE: QUEUE,
            METAFLOW_BATCH_CONTAINER_IMAGE: 'node:20',
            STEPFLOW_BATCH_POLL_MS: '500',
          },
        },
      );
      const out = `${result.stdout}\n${result.stderr}`;
      assert.equal(result.code, 0, `the run succeeded:\n${out.split('\n').slice(-25).join('\n')}`);
      assert.match(out, new RegExp(`join read ${WIDTH} items in [\\d.]+ ms; in order: true`));

      const arrays = p.submitted.filter((s) => s.size !== undefined);
      const plain = p.submitted.filter((s) => s.size === undefined);
      assert.ok(arrays.length >= 1 && arrays.length <= 2, `1 or 2 arrays, got ${arrays.length}`);
      assert.equal(
        arrays.reduce((n, a) => n + (a.size ?? 0), 0),
        WIDTH,
        'the arrays hold every task once',
      );
      assert.equal(plain.length, 1, 'one plain job: the failed child, retried alone');
      assert.ok((p.counts.SubmitJob ?? 0) <= 2 + plain.length, `SubmitJob calls ${p.counts.SubmitJob}`);
      const failedChild = `${arrays[0].jobId}:${FAILING_INDEX}`;
      assert.equal(p.jobStatus(failedChild), 'FAILED');

      const retries = ran.filter((r) => r.task.attempt > 0);
      assert.equal(retries.length, 1, 'one task ran a second attempt');
      assert.equal(retries[0].index, undefined, 'as a plain job');
      assert.equal(ran.length, WIDTH, 'every other child ran once, in its array; the failed one once, alone');
      const firstAttempts = new Set(ran.filter((r) => r.task.attempt === 0).map((r) => r.task.taskId));
      assert.equal(firstAttempts.size, WIDTH - 1);
      assert.ok(!firstAttempts.has(retries[0].task.taskId), 'the retried task is the one whose child failed');
    } finally {
      await ws.cleanup();
    }
  });
});
