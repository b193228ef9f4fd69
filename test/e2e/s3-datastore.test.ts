/**
 * The core flow tests on the S3 datastore: the fixture flows run with `--datastore s3` against the
 * moto server, and what they stored is read back through `FlowDatastore` on an `S3Storage`, and
 * through the client API from a fresh working directory.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import { FlowDatastore } from '../../src/datastore/flow-datastore.js';
import { S3Storage } from '../../src/datastore/s3/s3-storage.js';
import { awsEndpoint, createTestBucket, TEST_AWS_ENV } from '../support/aws.js';
import { type CliResult, FLOWS, REPO, runCli, type Workspace, workspace } from './helpers.js';

let ws: Workspace;
let endpoint: string | undefined;
let bucket: string;
let root: string;
let storage: S3Storage;

before(async () => {
  ws = await workspace();
  endpoint = process.env.STEPFLOW_TEST_AWS_ENDPOINT;
  if (!endpoint) return;
  bucket = await createTestBucket(endpoint, 'stepflow-e2e');
  root = `s3://${bucket}/runs`;
  storage = new S3Storage(root, { endpoint, credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
});
after(async () => {
  storage?.close();
  await ws.cleanup();
});

function s3Env(): NodeJS.ProcessEnv {
  return { ...TEST_AWS_ENV, METAFLOW_S3_ENDPOINT_URL: endpoint };
}

/** Runs a fixture flow on the S3 datastore; the local datastore folder must stay absent. */
async function runOnS3(
  flowFile: string,
  args: readonly string[] = [],
): Promise<CliResult & { runId: string; flowName: string }> {
  const result = await runCli(
    ['run', join(FLOWS, flowFile), '--datastore', 's3', '--datastore-root', root, ...args],
    { cwd: ws.dir, env: s3Env() },
  );
  const [flowName, runId] = (result.stdout.split('\n')[0] ?? '').split('/');
  assert.ok(!existsSync(join(ws.dir, '.stepflow')), 'nothing is written to the local datastore');
  return { ...result, flowName, runId };
}

async function artifactsOf(flow: string, runId: string, step: string, taskId: string) {
  const fds = new FlowDatastore(storage, flow);
  const td = fds.task(runId, step, taskId);
  const attempt = await td.latestDoneAttempt();
  if (attempt === undefined) throw new Error(`${flow}/${runId}/${step}/${taskId} has no done attempt`);
  return fds.loadArtifacts((await td.readData(attempt)) ?? {});
}

function tasksOf(flow: string, runId: string, step: string): Promise<string[]> {
  return new FlowDatastore(storage, flow).listTasks(runId, step);
}

describe('stepflow run --datastore s3 (moto)', () => {
  it('runs a linear flow; artifacts of many types are stored in S3', async (t) => {
    if (!awsEndpoint(t)) return;
    const r = await runOnS3('linear-flow.ts');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /end counter=2 table=a,b undefinedRead=undefined/);
    assert.match(r.stdout, /Done! Run LinearFlow\/\d+ succeeded: 3 task\(s\)/);
    assert.doesNotMatch(r.stdout + r.stderr, /NodeVersionSupportWarning/);
    const [endTask] = await tasksOf('LinearFlow', r.runId, 'end');
    const a = await artifactsOf('LinearFlow', r.runId, 'end', endTask);
    assert.equal(a.counter, 2);
    assert.deepEqual(
      a.table,
      new Map([
        ['a', 1],
        ['b', 2],
      ]),
    );
    assert.deepEqual(a.tags, new Set(['x', 'y']));
    assert.equal(a.big, 2n ** 70n);
    assert.deepEqual(a.floats, new Float64Array([1.5, 2.5]));
    const nested = a.nested as { self: unknown };
    assert.equal(nested.self, nested, 'cycles survive');
    const status = await new FlowDatastore(storage, 'LinearFlow').readRunStatus(r.runId);
    assert.equal(status?.status, 'successful');
  });

  it('runs a branch and its join', async (t) => {
    if (!awsEndpoint(t)) return;
    const r = await runOnS3('branch-flow.ts');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /total=3 shared=same onlyA=a-only both=0/);
    const fds = new FlowDatastore(storage, 'BranchFlow');
    assert.deepEqual(await fds.listSteps(r.runId), ['a', 'b', 'end', 'join', 'start']);
    const [join] = await tasksOf('BranchFlow', r.runId, 'join');
    const a = await artifactsOf('BranchFlow', r.runId, 'join', join);
    assert.equal(a.viaName, 20);
    assert.deepEqual(a.order, ['10', '20']);
  });

  it('runs a foreach; the join keeps the order', async (t) => {
    if (!awsEndpoint(t)) return;
    const r = await runOnS3('foreach-flow.ts', ['--width', '5']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /collected=item-0,item-1,item-2,item-3,item-4/);
    assert.equal((await tasksOf('ForeachFlow', r.runId, 'work')).length, 5);
    const [join] = await tasksOf('ForeachFlow', r.runId, 'join');
    const a = await artifactsOf('ForeachFlow', r.runId, 'join', join);
    assert.deepEqual(a.positions, [0, 1, 2, 3, 4]);
  });

  it('runs a nested foreach with the right stack at each level', async (t) => {
    if (!awsEndpoint(t)) return;
    const r = await runOnS3('nested-foreach-flow.ts');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /groups=\[\["0:1","0:2","0:3"\],\["1:1","1:2","1:3"\]\]/);
    const inner = await tasksOf('NestedForeachFlow', r.runId, 'per_inner');
    assert.equal(inner.length, 6);
    const a = await artifactsOf('NestedForeachFlow', r.runId, 'per_inner', inner[0]);
    assert.match(a.stack as string, /^start\[\d\/2\] per_outer\[\d\/3\]$/);
  });

  it('passes parameters; they are stored with the run', async (t) => {
    if (!awsEndpoint(t)) return;
    const r = await runOnS3('params-flow.ts', ['--alpha', '0.25', '--name=moon', '--dataset', 'd1']);
    assert.equal(r.code, 0, r.stderr);
    const summary = JSON.parse(/summary=(.*)/.exec(r.stdout)?.[1] ?? '{}') as Record<string, unknown>;
    assert.equal(summary.alpha, 0.25);
    assert.equal(summary.name, 'moon');
    assert.equal(summary.dataset, 'd1');
    const params = await new FlowDatastore(storage, 'ParamsFlow').parametersTask(r.runId).readData(0);
    assert.ok(params?.alpha, 'the parameters pseudo task holds the parameters');
  });

  it('fails a run with a failing step; the failed attempt and its artifacts are in S3', async (t) => {
    if (!awsEndpoint(t)) return;
    const r = await runOnS3('failing-flow.ts');
    assert.equal(r.code, 1);
    assert.match(r.stdout + r.stderr, /RangeError: the bad step failed on purpose/);
    assert.match(r.stdout + r.stderr, /failing-flow\.ts:\d+/, 'the stack names the .ts source');
    const fds = new FlowDatastore(storage, 'FailingFlow');
    const status = await fds.readRunStatus(r.runId);
    assert.equal(status?.status, 'failed');
    const [bad] = await tasksOf('FailingFlow', r.runId, 'bad');
    const done = await fds.task(r.runId, 'bad', bad).readDone(0);
    assert.equal(done?.ok, false);
    assert.equal(done?.error?.type, 'RangeError');
    const a = await artifactsOf('FailingFlow', r.runId, 'bad', bad);
    assert.equal(a.before, 'kept');
  });

  it('logs, dump and the client read a run on S3 given only --datastore-root s3://... (a root, no --datastore)', async (t) => {
    if (!awsEndpoint(t)) return;
    const r = await runOnS3('linear-flow.ts');
    assert.equal(r.code, 0, r.stderr);
    const fresh = await workspace();
    try {
      const end = `LinearFlow/${r.runId}/end`;
      const logs = await runCli(['logs', end, '--datastore-root', root], { cwd: fresh.dir, env: s3Env() });
      assert.equal(logs.code, 0, logs.stderr);
      assert.match(logs.stdout, /end counter=2/);
      const dump = await runCli(['dump', end, '--json', '--datastore-root', `${root}/`], {
        cwd: fresh.dir,
        env: s3Env(),
      });
      assert.equal(dump.code, 0, dump.stderr);
      assert.match(dump.stdout, /"counter":\s*2/);
      const missing = await runCli(['logs', `LinearFlow/${r.runId}/nosuch`, '--datastore-root', root], {
        cwd: fresh.dir,
        env: s3Env(),
      });
      assert.equal(missing.code, 1);
      assert.doesNotMatch(missing.stderr, /Flow does not exist|LinearFlow does not exist/, missing.stderr);
      const script = `
        import { Flow, setDatastore } from ${JSON.stringify(pathToFileURL(join(REPO, 'dist', 'index.js')).href)};
        setDatastore(${JSON.stringify(root)});
        const run = await new Flow('LinearFlow', { namespace: null }).run(${JSON.stringify(r.runId)});
        console.log(JSON.stringify({ status: run.status }));
      `;
      const out = await runNode(['--input-type=module', '-e', script], fresh.dir, s3Env());
      assert.equal(out.code, 0, out.stderr);
      assert.equal(JSON.parse(out.stdout.trim().split('\n').at(-1) ?? '{}').status, 'successful');
      assert.ok(
        !existsSync(join(fresh.dir, '.stepflow')),
        'nothing is read from or written to a local folder',
      );
    } finally {
      await fresh.cleanup();
    }
  });

  it('a run on S3 is readable by the client API from a fresh working directory', async (t) => {
    if (!awsEndpoint(t)) return;
    const r = await runOnS3('linear-flow.ts');
    assert.equal(r.code, 0, r.stderr);
    const fresh = await workspace();
    try {
      const script = `
        import { Flow, setDatastore } from ${JSON.stringify(pathToFileURL(join(REPO, 'dist', 'index.js')).href)};
        setDatastore({ kind: 's3', root: ${JSON.stringify(root)} });
        const run = await new Flow('LinearFlow', { namespace: null }).run(${JSON.stringify(r.runId)});
        const data = await run.data(['counter']);
        const end = await run.endTask();
        console.log(JSON.stringify({ status: run.status, counter: data?.counter, stdout: await end?.stdout() }));
      `;
      const out = await runNode(['--input-type=module', '-e', script], fresh.dir, s3Env());
      assert.equal(out.code, 0, out.stderr);
      const seen = JSON.parse(out.stdout.trim().split('\n').at(-1) ?? '{}');
      assert.equal(seen.status, 'successful');
      assert.equal(seen.counter, 2);
      assert.match(seen.stdout, /end counter=2/);
      assert.ok(!existsSync(join(fresh.dir, '.stepflow')));
    } finally {
      await fresh.cleanup();
    }
  });
});

function runNode(args: readonly string[], cwd: string, env: NodeJS.ProcessEnv): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { cwd, env: { ...process.env, ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    child.once('error', reject);
    child.once('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}
