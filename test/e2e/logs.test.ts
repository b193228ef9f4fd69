/**
 * Logs end to end: a chatty task's log is stored in bounded segments and read back whole by `stepflow
 * logs`; on the S3 datastore, log PUTs answered 503 by the fault-injecting stand-in (test/support) are
 * retried, and when every try fails the task still succeeds, with a warning on its output and in its log
 * record. Everything else is the real moto server.
 */
import assert from 'node:assert/strict';
import { readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type S3FaultProxy, startS3FaultProxy } from '../../scripts/lib/s3-fault-proxy.mjs';
import { FlowDatastore } from '../../src/datastore/flow-datastore.js';
import { S3Storage } from '../../src/datastore/s3/s3-storage.js';
import { awsEndpoint, createTestBucket, TEST_AWS_ENV } from '../support/aws.js';
import { FLOWS, readRecord, runCli, runFlow, taskIds, type Workspace, workspace } from './helpers.js';

let ws: Workspace;
before(async () => {
  ws = await workspace();
});
after(async () => ws.cleanup());

describe('logs in segments (local datastore)', () => {
  it('a 20 MiB log is stored as 8 MiB segments and a record, and `stepflow logs` prints it whole', async () => {
    const r = await runFlow(ws, 'chatty-flow.ts');
    assert.equal(r.code, 0, r.stderr);
    const [taskId] = await taskIds(ws.root, 'ChattyFlow', r.runId, 'start');
    const dir = join(ws.root, 'ChattyFlow', r.runId, 'start', taskId);
    const files = (await readdir(dir)).filter((f) => f.includes('stdout')).sort();
    assert.deepEqual(files, ['0.stdout.1.log', '0.stdout.2.log', '0.stdout.log']);
    assert.equal((await stat(join(dir, '0.stdout.log'))).size, 8 * 2 ** 20);
    assert.equal((await stat(join(dir, '0.stdout.1.log'))).size, 8 * 2 ** 20);
    const record = await readRecord(ws.root, 'ChattyFlow', r.runId, 'start', taskId, '0.logs.json');
    assert.deepEqual(record, { stdout: 21_000_000, stderr: 10, segments: { stdout: 3, stderr: 1 } });
    const logs = await runCli(
      ['logs', `ChattyFlow/${r.runId}/start/${taskId}`, '--datastore-root', ws.root],
      {
        cwd: ws.dir,
      },
    );
    assert.equal(logs.code, 0, logs.stderr);
    assert.equal(logs.stdout.length, 21_000_000);
    const lines = logs.stdout.split('\n');
    assert.equal(lines.length, 21_001);
    assert.ok(
      lines.every((l, i) => i === 21_000 || l.startsWith(`${String(i).padStart(8, '0')} `)),
      'in order',
    );
  });
});

describe('log warnings (local datastore)', () => {
  it('`stepflow logs` says on stderr what its log record lists as not saved', async () => {
    const r = await runFlow(ws, 'linear-flow.ts');
    assert.equal(r.code, 0, r.stderr);
    const [taskId] = await taskIds(ws.root, 'LinearFlow', r.runId, 'end');
    const file = join(ws.root, 'LinearFlow', r.runId, 'end', taskId, '0.logs.json');
    const record = JSON.parse(await readFile(file, 'utf8'));
    // What the log writer records when a segment could not be saved (see the S3 tests below).
    const warning = 'could not save stdout bytes 0–40 (x/0.stdout.log): HTTP 503 (after 4 tries)';
    await writeFile(file, JSON.stringify({ ...record, warnings: [warning] }));
    const logs = await runCli(['logs', `LinearFlow/${r.runId}/end/${taskId}`, '--datastore-root', ws.root], {
      cwd: ws.dir,
    });
    assert.equal(logs.code, 0, logs.stderr);
    assert.match(logs.stdout, /end counter=2/);
    assert.equal(logs.stderr, `stepflow: this log is incomplete: ${warning}\n`);
    const stderr = await runCli(
      ['logs', `LinearFlow/${r.runId}/end/${taskId}`, '--stderr', '--datastore-root', ws.root],
      { cwd: ws.dir },
    );
    assert.equal(stderr.stderr, '', 'a stdout warning is not said for stderr');
  });
});

describe('saving logs on S3 through the fault-injecting stand-in (503 on log PUTs only)', () => {
  let endpoint: string | undefined;
  let bucket: string;
  let storage: S3Storage;
  let proxy: S3FaultProxy;
  const isLogPut = (method: string | undefined, url: string | undefined) =>
    method === 'PUT' && /\.(stdout|stderr)(\.\d+)?\.log(\?|$)/.test(url ?? '');

  before(async () => {
    endpoint = process.env.STEPFLOW_TEST_AWS_ENDPOINT;
    if (!endpoint) return;
    bucket = await createTestBucket(endpoint, 'stepflow-logs');
    storage = new S3Storage(`s3://${bucket}/runs`, {
      endpoint,
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    });
    proxy = await startS3FaultProxy({ target: endpoint });
  });
  after(async () => {
    storage?.close();
    await proxy?.close();
  });

  /** Runs the linear flow on S3 through the stand-in (S3 SDK: 2 attempts per request). */
  async function runThroughProxy() {
    const r = await runCli(
      ['run', join(FLOWS, 'linear-flow.ts'), '--datastore', 's3', '--datastore-root', `s3://${bucket}/runs`],
      {
        cwd: ws.dir,
        env: { ...TEST_AWS_ENV, METAFLOW_S3_ENDPOINT_URL: proxy.url, METAFLOW_S3_RETRY_COUNT: '1' },
      },
    );
    const runId = (r.stdout.split('\n')[0] ?? '').split('/')[1] ?? '';
    const fds = new FlowDatastore(storage, 'LinearFlow');
    const [endTask] = await fds.listTasks(runId, 'end');
    return { ...r, runId, fds, end: fds.task(runId, 'end', endTask ?? '') };
  }

  it('transient 503s: log writes are retried, the run succeeds and the logs are whole', async (t) => {
    if (!awsEndpoint(t)) return;
    const tries = new Map<string, number>();
    let injected = 0;
    proxy.decide = (req) => {
      if (!isLogPut(req.method, req.url)) return 'pass';
      const n = (tries.get(req.url ?? '') ?? 0) + 1;
      tries.set(req.url ?? '', n);
      if (n > 3) return 'pass';
      injected++;
      return 'slowDown';
    };
    const r = await runThroughProxy();
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.ok(injected >= 3, `503s injected: ${injected}`);
    assert.doesNotMatch(r.stdout + r.stderr, /log is incomplete/);
    assert.match(String(await r.end.readLog(0, 'stdout')), /end counter=2/);
    assert.equal((await r.end.readLogRecord(0))?.warnings, undefined);
    assert.equal((await r.fds.readRunStatus(r.runId))?.status, 'successful');
  });

  it('every log PUT refused: the run still succeeds; the warning is on the output and in the log record', async (t) => {
    if (!awsEndpoint(t)) return;
    proxy.decide = (req) => (isLogPut(req.method, req.url) ? 'slowDown' : 'pass');
    const r = await runThroughProxy();
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(
      r.stdout + r.stderr,
      /the task's log is incomplete: could not save stdout bytes 0–\d+ .*after 4 tries/,
    );
    assert.equal((await r.end.readDone(0))?.ok, true, 'done.json is truthful');
    assert.equal(await r.end.readLog(0, 'stdout'), undefined);
    const record = await r.end.readLogRecord(0);
    assert.equal(record?.stdout, 0);
    assert.match(record?.warnings?.join('\n') ?? '', /could not save stdout bytes/);
    assert.equal(await r.end.latestDoneAttempt(), 0, '@retry was not used');
    assert.equal((await r.fds.readRunStatus(r.runId))?.status, 'successful');
  });
});
