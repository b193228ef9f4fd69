/**
 * Array jobs on the local AWS Batch stand-in (moto + dockerd): an OOM-killed child is classified and its
 * retry runs alone; `resume` clones the finished children; Ctrl-C ends every child by id.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { BatchClient, DescribeJobsCommand } from '@aws-sdk/client-batch';
import { batchEnv } from '../../support/batch.js';
import { ARRAY_FLOW, type ArraysHarness, arraysHarness } from '../../support/batch-arrays.js';
import { until } from '../../support/wait.js';
import { startCli } from '../helpers.js';

let h: ArraysHarness;
before(async () => {
  h = await arraysHarness('e2e-arrays-faults');
});
after(async () => {
  await h?.cleanup();
});

describe('@batch array jobs: faults, resume and Ctrl-C on the local AWS Batch stand-in', () => {
  let failedRun = '';

  it('an OOM-killed child is classified (exit 137) and the run fails; resume clones the finished children', async (t) => {
    if (!batchEnv(t)) return;
    const r = await h.run('run', ['--width', '6', '--max-workers', '6'], { ARRAY_KILL: '2' });
    const out = r.stdout + r.stderr;
    assert.equal(r.code, 1, out);
    failedRun = r.runId;
    assert.match(out, /work\/\d+\] failed after .*was killed \(exit code 137, SIGKILL\)/);
    const byItem = await h.records(r.runId);
    // The killed child stored no artifacts: its task is the one without an item.
    const killed = byItem.get(-1) ?? [];
    assert.equal(killed.length, 2);
    assert.ok(killed[0]?.arrayJobId, 'the first attempt was an array child');
    assert.equal(killed[0]?.exitCode, 137);
    assert.equal(killed[0]?.failure, 'out-of-memory');
    assert.equal(killed[1]?.arrayJobId, undefined, 'its retry ran alone');
    const resumed = await h.run('resume', ['--max-workers', '6']);
    const text = resumed.stdout + resumed.stderr;
    assert.equal(resumed.code, 0, text);
    assert.match(text, new RegExp(`Resuming ArrayBatchFlow/${failedRun}`));
    assert.match(text, /joined 6 inputs, total 15/);
    const again = await h.records(resumed.runId);
    const ran = [...again].filter(([, list]) => list.length > 0).map(([item]) => item);
    assert.deepEqual(ran, [2], 'only the failed child ran again; the others were cloned');
  });

  it('Ctrl-C during the array terminates every child by id and waits for AWS; no container is left', async (t) => {
    const e = batchEnv(t);
    if (!e) return;
    const started = startCli(
      [
        'run',
        ARRAY_FLOW,
        '--datastore',
        's3',
        '--datastore-root',
        h.root,
        '--width',
        '4',
        '--max-workers',
        '4',
        '--seconds',
        '120',
      ],
      { cwd: h.ws.dir, env: h.cliEnv() },
    );
    let text = '';
    for (const s of [started.child.stdout, started.child.stderr]) s?.on('data', (d: Buffer) => (text += d));
    await until(
      () => new Set(text.match(/job [0-9a-f-]+:\d+ is RUNNING/g) ?? []).size >= 4,
      'four children RUNNING',
      {
        everyMs: 200,
        timeoutMs: 120_000,
      },
    ).catch((err: Error) => {
      started.child.kill('SIGKILL');
      throw new Error(`${err.message}\n${text}`);
    });
    started.child.kill('SIGINT');
    const result = await started.result;
    assert.equal(result.code, 130, text);
    assert.match(text, /\[@batch\] AWS confirmed the end of the 4 job\(s\) stepflow stopped\./);
    const ids = [
      ...new Set([...text.matchAll(/job ([0-9a-f-]+:\d+) is RUNNING/g)].map((m) => m[1] as string)),
    ];
    const batch = new BatchClient({
      endpoint: e.endpoint,
      region: e.region,
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    });
    try {
      const described = await batch.send(new DescribeJobsCommand({ jobs: ids }));
      assert.equal(described.jobs?.length, 4);
      for (const job of described.jobs ?? []) {
        assert.equal(job.status, 'FAILED');
        assert.match(job.statusReason ?? '', /^stopped by stepflow: SIGINT received/);
      }
    } finally {
      batch.destroy();
    }
    const parent = (ids[0] ?? '').split(':')[0] ?? '';
    const left = execFileSync('docker', ['ps', '-q', '--filter', `name=${parent}`], { encoding: 'utf8' });
    assert.equal(left.trim(), '', 'no container of the array is left running');
  });
});
