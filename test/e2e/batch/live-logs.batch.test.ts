/**
 * Live logs of a `@batch` step with real containers (moto + dockerd + the node-only image, started by
 * `node scripts/test.mjs`): the task saves its own output to S3 as it runs and the runtime tails it, so a
 * line printed by a running step reaches the local terminal before the step ends; `stepflow logs` shows it
 * afterwards (the task's own stored log).
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { type BatchTestEnv, batchCliEnv, batchEnv, readBatchEnv } from '../../support/batch.js';
import { runCli, startCli, type Workspace, workspace } from '../helpers.js';

const FLOW = join(fileURLToPath(new URL('.', import.meta.url)), 'flows', 'live-logs-flow.ts');

describe('@batch live logs on the local AWS Batch stand-in', () => {
  let ws: Workspace;
  let env: BatchTestEnv | undefined;
  let root: string;

  before(async () => {
    ws = await workspace();
    env = readBatchEnv();
    if (env) root = `s3://${env.bucket}/e2e-live-logs-${Date.now()}`;
  });
  after(async () => {
    await ws?.cleanup();
  });

  it('a line printed by a running @batch step appears locally before the step ends; stepflow logs shows it', async (t) => {
    const e = batchEnv(t);
    if (!e) return;
    const args = ['run', FLOW, '--with', 'batch:memory=512', '--datastore', 's3', '--datastore-root', root];
    const { child, result } = startCli([...args, '--seconds', '10'], { cwd: ws.dir, env: batchCliEnv(e) });
    const seen: { at: number; line: string }[] = [];
    for (const s of [child.stdout, child.stderr]) {
      let rest = '';
      s?.on('data', (d: Buffer) => {
        const parts = (rest + d.toString()).split('\n');
        rest = parts.pop() ?? '';
        for (const line of parts) seen.push({ at: Date.now(), line });
      });
    }
    const r = await result;
    const out = r.stdout + r.stderr;
    assert.equal(r.code, 0, out);
    const live = seen.find((s) => /LiveLogsFlow\/\d+\/work\/\d+\].*live line printed at/.test(s.line));
    const ended = seen.find((s) => /work\/\d+\] \[@batch\] job [0-9a-f-]+ SUCCEEDED/.test(s.line));
    assert.ok(live, `the line is printed with the task's pathspec:\n${out}`);
    assert.ok(ended, `the job's end is reported:\n${out}`);
    // The step waits 10 s after printing: the line must be here well before the job is seen to end.
    assert.ok(
      live.at < ended.at - 4000,
      `the line arrived ${ended.at - live.at} ms before the end of the job:\n${out}`,
    );
    assert.equal(
      seen.filter((s) => /live line printed at/.test(s.line)).length,
      1,
      'printed once, not again from CloudWatch',
    );
    assert.doesNotMatch(out, /own logs are (missing|cut short)/);
    const runId = (r.stdout.split('\n')[0] ?? '').split('/')[1] ?? '';
    // `stepflow logs` reads the run's S3 datastore from the settings a user exports.
    const logs = await runCli(['logs', `LiveLogsFlow/${runId}/work`], {
      cwd: ws.dir,
      env: { ...batchCliEnv(e), METAFLOW_DEFAULT_DATASTORE: 's3', METAFLOW_DATASTORE_SYSROOT_S3: root },
    });
    assert.equal(logs.code, 0, logs.stdout + logs.stderr);
    assert.match(logs.stdout, /live line printed at \d+\nwork done\n/);
  });
});
