/**
 * `@batch` end to end with real containers (moto + dockerd + the node-only image, started by
 * `node scripts/test.mjs test/e2e/batch`): the launcher submits jobs, the container bootstrap fetches the
 * code package from moto's S3, runs the task, and artifacts come back through S3 to the client API.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Flow, setDatastore } from '../../../src/client/index.js';
import { S3Storage } from '../../../src/datastore/s3/s3-storage.js';
import { type BatchTestEnv, batchCliEnv, batchEnv, readBatchEnv } from '../../support/batch.js';
import { type CliResult, runCli, type Workspace, workspace } from '../helpers.js';

const FLOW = join(fileURLToPath(new URL('.', import.meta.url)), 'flows', 'batch-flow.ts');
const LOCAL_FLOW = join(fileURLToPath(new URL('.', import.meta.url)), 'flows', 'plain-flow.ts');

let env: BatchTestEnv | undefined;
let ws: Workspace;
let root: string;

before(async () => {
  ws = await workspace();
  env = readBatchEnv();
  if (!env) return;
  root = `s3://${env.bucket}/e2e-batch-${Date.now()}`;
  Object.assign(process.env, batchCliEnv(env));
  setDatastore({ kind: 's3', root });
});

after(async () => {
  setDatastore(undefined);
  await ws.cleanup();
});

async function run(flow: string, args: readonly string[] = []): Promise<CliResult & { runId: string }> {
  const result = await runCli(['run', flow, '--datastore', 's3', '--datastore-root', root, ...args], {
    cwd: ws.dir,
    env: batchCliEnv(env as BatchTestEnv),
  });
  const runId = (result.stdout.split('\n')[0] ?? '').split('/')[1] ?? '';
  return { ...result, runId };
}

describe('@batch on the local AWS Batch stand-in', () => {
  let first: (CliResult & { runId: string }) | undefined;

  it('runs @batch steps in a linear part, a foreach and a join; artifacts come back through S3', async (t) => {
    if (!batchEnv(t)) return;
    first = await run(FLOW, ['--width', '3']);
    const out = first.stdout + first.stderr;
    assert.equal(first.code, 0, out);
    assert.match(out, /prepare\/\d+\] prepare on batch: greeting=hello var=from-environment/);
    assert.match(out, /square_it\/\d+\] square of 3 is 9/);
    assert.match(out, /prepare\/\d+\] \[@batch\] job [0-9a-f-]+ .*submitted to queue/);
    assert.match(out, /prepare\/\d+\] \[@batch\] job [0-9a-f-]+ (is RUNNING|SUCCEEDED)/);
    assert.doesNotMatch(out, /\[@batch\] BatchFlow\//, 'the pathspec is not repeated after [@batch]');
    assert.match(out, /end: squares=1,4,9 where=batch/);
    assert.match(out, /started on batch/);
    const r = await new Flow('BatchFlow', { namespace: null }).run(first.runId);
    assert.equal(r.status, 'successful');
    const join = await (await r.step('join')).task();
    const data = await join.data(['squares', 'where']);
    assert.deepEqual(data.squares, [1, 4, 9]);
    assert.equal(data.where, 'batch', 'the join ran in a Batch container (AWS_BATCH_JOB_ID set)');
    assert.match(await join.stdout(), /squares=1,4,9/, 'the job log is kept as the attempt stdout');
    const prepare = await (await r.step('prepare')).task();
    const storage = new S3Storage(root, {
      endpoint: env!.endpoint,
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    });
    try {
      const raw = await storage.get(`BatchFlow/${first.runId}/prepare/${prepare.id}/0.batch.json`);
      assert.ok(raw, 'the attempt has a batch record');
      const record = JSON.parse(raw.toString('utf8'));
      assert.match(record.jobId, /^[0-9a-f-]{36}$/);
      assert.equal(record.attempt, 0);
      assert.equal(record.queue, env!.queue);
      assert.equal(record.status, 'SUCCEEDED');
      assert.ok(record.logStream, 'names its log stream');
      assert.ok(record.computeEnvironments.length > 0);
    } finally {
      storage.close();
    }
  });

  it('a second identical run registers no job definition', async (t) => {
    if (!batchEnv(t)) return;
    const second = await run(FLOW, ['--width', '1']);
    assert.equal(second.code, 0, second.stdout + second.stderr);
    assert.doesNotMatch(second.stdout + second.stderr, /registered job definition/);
    assert.match(second.stdout + second.stderr, /job definitions: 0 registered, 1 reused/);
  });

  it('a failing step reports its exit code and its stderr', async (t) => {
    if (!batchEnv(t)) return;
    const r = await run(FLOW, ['--fail', 'true']);
    const out = r.stdout + r.stderr;
    assert.notEqual(r.code, 0, out);
    assert.match(out, /prepare is failing on purpose/);
    assert.match(out, /\[@batch\] job [0-9a-f-]+ FAILED: user code failed \(exit code 7\)/);
    // The task's failure, worded by the @batch classification (no result of its own: it exited).
    assert.match(
      out,
      /prepare\/\d+\] failed after .*: job [0-9a-f-]+ failed: the step's code exited with code 7/,
    );
    assert.match(out, /Its last lines:\n(?: {2}\| .*\n)* {2}\| prepare is failing on purpose\n/);
    assert.doesNotMatch(out, /square_it\/\d+\] started/, 'nothing runs after the failed step');
  });

  it('a step SIGKILLed in its container (exit 137; moto applies no memory limit, so the step kills itself) is worded as out of memory', async (t) => {
    if (!batchEnv(t)) return;
    const r = await run(FLOW, ['--killed', 'true']);
    const out = r.stdout + r.stderr;
    assert.notEqual(r.code, 0, out);
    assert.match(out, /prepare\/\d+\] failed after .*: job [0-9a-f-]+ was killed \(exit code 137, SIGKILL\)/);
    assert.match(
      out,
      /the step asked for 512 MiB \(set by the @batch option memory\)\. Raise it, e\.g\. @batch\(\{ memory: 1024 \}\)/,
    );
  });

  it('--with batch sends every step, start and end included', async (t) => {
    if (!batchEnv(t)) return;
    const r = await run(LOCAL_FLOW, ['--with', 'batch:memory=512']);
    const out = r.stdout + r.stderr;
    assert.equal(r.code, 0, out);
    for (const s of ['start', 'end']) assert.match(out, new RegExp(`/${s}/\\d+\\] started on batch`));
    assert.match(out, /plain end: on batch=true/);
  });
});
