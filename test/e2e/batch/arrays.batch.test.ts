/**
 * A foreach of `@batch` children as AWS Batch array jobs with real containers (moto + dockerd, started by
 * `node scripts/test.mjs test/e2e/batch`): one SubmitJob for the ready children, each child finds its task
 * in the manifest by its index (moto sets only `AWS_BATCH_JOB_ID=<parent>:<i>`), has its own records, and a
 * failed child is retried alone as a plain job; an OOM-killed child is classified; Ctrl-C ends every child;
 * `resume` clones the finished children.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { BatchClient, DescribeJobsCommand } from '@aws-sdk/client-batch';
import { Flow, setDatastore } from '../../../src/client/index.js';
import { S3Storage } from '../../../src/datastore/s3/s3-storage.js';
import type { BatchJobRecord } from '../../../src/plugins/batch/index.js';
import { type BatchTestEnv, batchCliEnv, batchEnv, readBatchEnv } from '../../support/batch.js';
import { until } from '../../support/wait.js';
import { type CliResult, runCli, startCli, type Workspace, workspace } from '../helpers.js';

const DIR = fileURLToPath(new URL('.', import.meta.url));
const FLOW = join(DIR, 'flows', 'array-flow.ts');

let env: BatchTestEnv | undefined;
let ws: Workspace;
let root: string;
let storage: S3Storage;

before(async () => {
  ws = await workspace();
  env = readBatchEnv();
  if (!env) return;
  root = `s3://${env.bucket}/e2e-arrays-${Date.now()}`;
  Object.assign(process.env, batchCliEnv(env));
  setDatastore({ kind: 's3', root });
  storage = new S3Storage(root, {
    endpoint: env.endpoint,
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  });
});

after(async () => {
  setDatastore(undefined);
  storage?.close();
  await ws.cleanup();
});

function cliEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return batchCliEnv(env as BatchTestEnv, { METAFLOW_USER: 'array-tester', ...extra });
}

async function run(
  command: 'run' | 'resume',
  args: readonly string[],
  extra: Record<string, string> = {},
): Promise<CliResult & { runId: string }> {
  const result = await runCli([command, FLOW, '--datastore', 's3', '--datastore-root', root, ...args], {
    cwd: ws.dir,
    env: cliEnv(extra),
  });
  const runId = /ArrayBatchFlow\/(\d+)/.exec(result.stdout)?.[1] ?? '';
  return { ...result, runId };
}

/** The `<attempt>.batch.json` records of the `work` tasks of a run, by item (-1: a task that stored none). */
async function records(runId: string): Promise<Map<number, BatchJobRecord[]>> {
  const step = await (await new Flow('ArrayBatchFlow', { namespace: null }).run(runId)).step('work');
  const out = new Map<number, BatchJobRecord[]>();
  for (const task of await step.tasks()) {
    const item = Number((await task.data().catch(() => ({ item: -1 }))).item ?? -1);
    const list: BatchJobRecord[] = [];
    for (let attempt = 0; attempt < 2; attempt++) {
      const raw = await storage.get(`ArrayBatchFlow/${runId}/work/${task.id}/${attempt}.batch.json`);
      if (raw) list.push(JSON.parse(raw.toString('utf8')) as BatchJobRecord);
    }
    out.set(item, list);
  }
  return out;
}

describe('@batch foreach as array jobs on the local AWS Batch stand-in', () => {
  let failedRun = '';

  it('a 50-way foreach is ONE array job; the child failing once is retried alone as a plain job', async (t) => {
    if (!batchEnv(t)) return;
    const r = await run('run', ['--width', '50', '--max-workers', '50'], { ARRAY_FAIL_ONCE: '7' });
    const out = r.stdout + r.stderr;
    assert.equal(r.code, 0, out);
    assert.match(out, /joined 50 inputs, total 1225/);
    assert.match(out, /item 7 fails on its first attempt/);
    const byItem = await records(r.runId);
    assert.equal(byItem.size, 50);
    const parents = new Set([...byItem.values()].map((list) => list[0]?.arrayJobId));
    assert.equal(parents.size, 1, 'every first attempt is a child of one array job');
    const [parent] = parents;
    assert.ok(parent);
    const indexes = new Set<number>();
    for (const [item, list] of byItem) {
      const first = list[0] as BatchJobRecord;
      assert.equal(first.jobId, `${parent}:${first.arrayIndex}`);
      assert.equal(first.status, item === 7 ? 'FAILED' : 'SUCCEEDED', `item ${item}`);
      indexes.add(first.arrayIndex as number);
      assert.equal(list.length, item === 7 ? 2 : 1, `item ${item}: attempts`);
    }
    assert.equal(indexes.size, 50);
    const retried = byItem.get(7)?.[1];
    assert.equal(retried?.status, 'SUCCEEDED');
    assert.equal(retried?.arrayJobId, undefined, 'the retry is a plain job');
    assert.doesNotMatch(retried?.jobId ?? '', /:/);
    assert.match(out, new RegExp(`child \\d+ of array job ${parent}`));
  });

  it('an OOM-killed child is classified (exit 137) and the run fails; resume clones the finished children', async (t) => {
    if (!batchEnv(t)) return;
    const r = await run('run', ['--width', '6', '--max-workers', '6'], { ARRAY_KILL: '2' });
    const out = r.stdout + r.stderr;
    assert.equal(r.code, 1, out);
    failedRun = r.runId;
    assert.match(out, /work\/\d+\] failed after .*was killed \(exit code 137, SIGKILL\)/);
    const byItem = await records(r.runId);
    // The killed child stored no artifacts: its task is the one without an item.
    const killed = byItem.get(-1) ?? [];
    assert.equal(killed.length, 2);
    assert.ok(killed[0]?.arrayJobId, 'the first attempt was an array child');
    assert.equal(killed[0]?.exitCode, 137);
    assert.equal(killed[0]?.failure, 'out-of-memory');
    assert.equal(killed[1]?.arrayJobId, undefined, 'its retry ran alone');
    const resumed = await run('resume', ['--max-workers', '6']);
    const text = resumed.stdout + resumed.stderr;
    assert.equal(resumed.code, 0, text);
    assert.match(text, new RegExp(`Resuming ArrayBatchFlow/${failedRun}`));
    assert.match(text, /joined 6 inputs, total 15/);
    const again = await records(resumed.runId);
    const ran = [...again].filter(([, list]) => list.length > 0).map(([item]) => item);
    assert.deepEqual(ran, [2], 'only the failed child ran again; the others were cloned');
  });

  it('Ctrl-C during the array terminates every child by id and waits for AWS; no container is left', async (t) => {
    const e = batchEnv(t);
    if (!e) return;
    const started = startCli(
      [
        'run',
        FLOW,
        '--datastore',
        's3',
        '--datastore-root',
        root,
        '--width',
        '4',
        '--max-workers',
        '4',
        '--seconds',
        '120',
      ],
      { cwd: ws.dir, env: cliEnv() },
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
