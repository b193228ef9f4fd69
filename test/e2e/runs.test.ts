/**
 * Creating, naming, listing and choosing runs, as a user meets them: runs started together never share
 * an id (local and S3 datastore), folders that are not runs are ignored by every listing, and a run that
 * cannot start is refused before it has an id — so `resume` still finds the real failure.
 */
import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import { Flow } from '../../src/client/index.js';
import { FlowDatastore } from '../../src/datastore/flow-datastore.js';
import { LocalStorage } from '../../src/datastore/local-storage.js';
import { S3Storage } from '../../src/datastore/s3/s3-storage.js';
import type { StorageBackend } from '../../src/datastore/storage.js';
import { awsEndpoint, createTestBucket, TEST_AWS_ENV } from '../support/aws.js';
import { FLOWS, REPO, runCli, runFlow, startCli, type Workspace, workspace } from './helpers.js';

const COARSE_CLOCK = pathToFileURL(join(REPO, 'test', 'support', 'coarse-clock.mjs')).href;
const RUNS = 20;

let ws: Workspace;
const opened: StorageBackend[] = [];
before(async () => {
  ws = await workspace();
});
after(async () => {
  for (const storage of opened) (storage as { close?: () => void }).close?.();
  await ws.cleanup();
});

/** The datastore of a flow: a local folder, or an S3 root on moto. */
function datastoreOf(root: string, flow: string, endpoint?: string): FlowDatastore {
  const storage = endpoint
    ? new S3Storage(root, { endpoint, credentials: { accessKeyId: 'test', secretAccessKey: 'test' } })
    : new LocalStorage(root);
  opened.push(storage);
  return new FlowDatastore(storage, flow);
}

/** Asserts a LinearFlow run is whole: its own record, status successful, one successful task per step. */
async function assertComplete(fds: FlowDatastore, runId: string): Promise<void> {
  const run = await fds.readRun(runId);
  assert.equal(run?.runId, runId, `${runId}: run.json names the run`);
  assert.equal((await fds.readRunStatus(runId))?.status, 'successful', `${runId}: status`);
  assert.deepEqual(await fds.listSteps(runId), ['end', 'middle', 'start'], `${runId}: steps`);
  for (const step of ['start', 'middle', 'end']) {
    const tasks = await fds.listTasks(runId, step);
    assert.equal(tasks.length, 1, `${runId}/${step}: one task, not merged with another run's`);
    const td = fds.task(runId, step, tasks[0]);
    const attempt = await td.latestDoneAttempt();
    assert.equal(attempt, 0, `${runId}/${step}: one attempt`);
    assert.equal((await td.readDone(0))?.ok, true, `${runId}/${step}: succeeded`);
    const data = await td.readData(0);
    assert.ok(data?.counter, `${runId}/${step}: artifacts readable`);
  }
  const [end] = await fds.listTasks(runId, 'end');
  const refs = (await fds.task(runId, 'end', end).readData(0)) ?? {};
  assert.equal(await fds.loadArtifact(refs.counter), 2, `${runId}: the run's own artifacts`);
}

/** Starts {@link RUNS} runs of the linear flow at once, with the coarse clock; returns the printed ids. */
async function startTogether(args: readonly string[], env: NodeJS.ProcessEnv): Promise<string[]> {
  const results = await Promise.all(
    Array.from({ length: RUNS }, () =>
      runCli(['run', join(FLOWS, 'linear-flow.ts'), ...args], {
        cwd: ws.dir,
        env: { ...env, NODE_OPTIONS: `--import=${COARSE_CLOCK}` },
      }),
    ),
  );
  for (const r of results) assert.equal(r.code, 0, r.stdout + r.stderr);
  return results.map((r) => {
    const match = /^LinearFlow\/(\d+)$/.exec(r.stdout.split('\n')[0] ?? '');
    assert.ok(match, `the first line is LinearFlow/<id>: ${r.stdout}`);
    return match[1];
  });
}

describe('runs started at once', () => {
  it(`${RUNS} runs on the local datastore (clock made coarse by a test double, so their ids clash) are ${RUNS} distinct, complete runs`, async () => {
    const root = join(ws.dir, 'together');
    const ids = await startTogether(['--datastore-root', root], {});
    assert.equal(new Set(ids).size, RUNS, `distinct ids: ${ids.join(' ')}`);
    const fds = datastoreOf(root, 'LinearFlow');
    assert.deepEqual([...(await fds.listRunIds())].sort(), [...ids].sort(), 'no other run folder');
    for (const id of ids) await assertComplete(fds, id);
  });

  it(`${RUNS} runs on the S3 datastore on moto (clock made coarse by a test double) are ${RUNS} distinct, complete runs`, async (t) => {
    const endpoint = awsEndpoint(t);
    if (!endpoint) return;
    const root = `s3://${await createTestBucket(endpoint, 'stepflow-runs')}/together`;
    const env = { ...TEST_AWS_ENV, METAFLOW_S3_ENDPOINT_URL: endpoint };
    const ids = await startTogether(['--datastore', 's3', '--datastore-root', root], env);
    assert.equal(new Set(ids).size, RUNS, `distinct ids: ${ids.join(' ')}`);
    const fds = datastoreOf(root, 'LinearFlow', endpoint);
    assert.deepEqual([...(await fds.listRunIds())].sort(), [...ids].sort(), 'no other run folder');
    for (const id of ids) await assertComplete(fds, id);
  });
});

describe('folders that are not runs', () => {
  it('resume, the client and the run listing ignore old-copy, an id with a suffix and a file beside the runs', async () => {
    const failed = await runFlow(ws, 'failing-flow.ts');
    assert.equal(failed.code, 1);
    const flowDir = join(ws.root, 'FailingFlow');
    await mkdir(join(flowDir, 'old-copy', '_meta'), { recursive: true });
    await writeFile(join(flowDir, 'old-copy', '_meta', 'run.json'), '{"not":"a run"}');
    await mkdir(join(flowDir, `${failed.runId}9-bak`, 'start'), { recursive: true });
    await writeFile(join(flowDir, 'README.txt'), 'notes kept beside the runs');
    const r = await runCli(['resume', join(FLOWS, 'failing-flow.ts'), '--datastore-root', ws.root], {
      cwd: ws.dir,
    });
    assert.doesNotMatch(r.stderr, /BigInt/);
    assert.match(r.stdout, new RegExp(`Resuming FailingFlow/${failed.runId}\\n`), r.stdout + r.stderr);
    const resumed = r.stdout.split('\n')[0].split('/')[1];
    const flow = new Flow('FailingFlow', { datastore: ws.root, namespace: null });
    assert.deepEqual(await flow.runIds(), [resumed, failed.runId]);
    assert.deepEqual(
      (await flow.runs()).map((run) => run.id),
      [resumed, failed.runId],
    );
  });
});

describe('a run only exists once it can start', () => {
  /** The run ids in the local datastore of a flow. */
  async function runIds(flow: string): Promise<string[]> {
    return await datastoreOf(ws.root, flow).listRunIds();
  }

  /** Asserts a refused command: exit 1, an error on stderr, no `Flow/<id>` line, no new run. */
  async function assertRefused(
    args: readonly string[],
    pattern: RegExp,
    before: readonly string[],
    env: NodeJS.ProcessEnv = {},
  ): Promise<void> {
    const r = await runCli(args, { cwd: ws.dir, env });
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.match(r.stderr, pattern);
    assert.doesNotMatch(r.stdout, /ResumeFlow\/\d+/, 'no run id is printed');
    assert.deepEqual(await runIds('ResumeFlow'), before, 'no run is stored');
  }

  it('@batch on the local datastore, a missing job queue and resume of no such run are refused without a run; resume then resumes the real failure', async (t) => {
    const flowFile = join(FLOWS, 'resume-flow.ts');
    const failed = await runFlow(ws, 'resume-flow.ts', ['--max-workers', '4'], { env: { FAIL_INDEX: '3' } });
    assert.equal(failed.code, 1, failed.stdout + failed.stderr);
    const before = await runIds('ResumeFlow');
    assert.deepEqual(before, [failed.runId]);

    await assertRefused(
      ['run', flowFile, '--datastore-root', ws.root, '--with', 'batch'],
      /cannot reach the local datastore/,
      before,
    );
    await assertRefused(
      ['resume', flowFile, '--datastore-root', ws.root, '--origin-run-id', '123'],
      /Cannot resume ResumeFlow\/123: no such run .*The latest runs are \d+/,
      before,
    );
    await assertRefused(
      ['resume', flowFile, '--datastore-root', ws.root, '--origin-run-id', 'old-copy'],
      /Cannot resume ResumeFlow\/old-copy: no such run/,
      before,
    );
    const endpoint = awsEndpoint(t);
    if (endpoint) {
      const bucket = await createTestBucket(endpoint, 'stepflow-refused');
      const s3Root = `s3://${bucket}/runs`;
      const r = await runCli(['run', flowFile, '--datastore-root', s3Root, '--with', 'batch'], {
        cwd: ws.dir,
        env: {
          ...TEST_AWS_ENV,
          METAFLOW_S3_ENDPOINT_URL: endpoint,
          AWS_ENDPOINT_URL_BATCH: endpoint,
          METAFLOW_BATCH_JOB_QUEUE: 'no-such-queue',
        },
      });
      assert.equal(r.code, 1, r.stdout + r.stderr);
      assert.match(r.stderr, /job queue "no-such-queue" does not exist/);
      assert.doesNotMatch(r.stdout, /ResumeFlow\/\d+/, 'no run id is printed');
      const onS3 = datastoreOf(s3Root, 'ResumeFlow', endpoint);
      assert.deepEqual(await onS3.listRunIds(), [], 'no run is stored on S3');
    }

    // A failed run with no tasks, as earlier versions left for a refused run: not a resume origin.
    const fds = datastoreOf(ws.root, 'ResumeFlow');
    const origin = await fds.readRun(failed.runId);
    assert.ok(origin);
    const empty = String(BigInt(failed.runId) + 1n);
    await fds.writeRun({ ...origin, runId: empty });
    await fds.writeRunStatus(empty, { status: 'failed', endedAt: new Date().toISOString(), failedTasks: [] });

    const r = await runCli(['resume', flowFile, '--datastore-root', ws.root], { cwd: ws.dir });
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, new RegExp(`Resuming ResumeFlow/${failed.runId}\\n`));
  });
});

describe('a printed run id names a stored run', () => {
  /**
   * Starts `stepflow run`, SIGKILLs it the moment it prints `LinearFlow/<id>`, then resumes that id: the
   * run's record was stored before its id was printed, so resume finds it (earlier versions printed the id
   * first and stored run.json later: resume said "no such run").
   */
  async function killAtIdThenResume(args: readonly string[], env: NodeJS.ProcessEnv): Promise<void> {
    const flowFile = join(FLOWS, 'linear-flow.ts');
    const { child, result } = startCli(['run', flowFile, ...args], { cwd: ws.dir, env });
    let runId: string | undefined;
    let seen = '';
    child.stdout?.on('data', (d: Buffer) => {
      seen += d.toString();
      const match = /^LinearFlow\/(\d+)$/m.exec(seen);
      if (match && !runId) {
        runId = match[1];
        child.kill('SIGKILL');
      }
    });
    const killed = await result;
    assert.ok(runId, `a run id was printed: ${killed.stdout}${killed.stderr}`);
    assert.equal(killed.signal, 'SIGKILL', 'killed, not finished');
    const r = await runCli(['resume', flowFile, ...args, '--origin-run-id', runId], { cwd: ws.dir, env });
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, new RegExp(`Resuming LinearFlow/${runId}\\n`));
  }

  it('a run SIGKILLed as it prints its id (local datastore) is found by resume', async () => {
    await killAtIdThenResume(['--datastore-root', join(ws.dir, 'killed-at-id')], {});
  });

  it('a run SIGKILLed as it prints its id (S3 datastore on moto) is found by resume', async (t) => {
    const endpoint = awsEndpoint(t);
    if (!endpoint) return;
    const root = `s3://${await createTestBucket(endpoint, 'stepflow-killed')}/runs`;
    await killAtIdThenResume(['--datastore', 's3', '--datastore-root', root], {
      ...TEST_AWS_ENV,
      METAFLOW_S3_ENDPOINT_URL: endpoint,
    });
  });
});
