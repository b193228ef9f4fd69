import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { FlowDatastore } from '../datastore/flow-datastore.js';
import { LocalStorage } from '../datastore/local-storage.js';
import type { TaskErrorInfo } from '../datastore/types.js';
import type { LogChunk, RunResponse, RunsResponse, StepResponse, TaskResponse } from './api-types.js';
import { createUiApp, TOKEN_COOKIE } from './app.js';
import { ReadModel } from './read-model.js';

interface AttemptFixture {
  readonly ok?: boolean;
  readonly error?: TaskErrorInfo;
  readonly unfinished?: boolean;
  readonly stdout?: string;
  readonly artifacts?: Record<string, unknown>;
  readonly extra?: Record<string, unknown>;
}

const GRAPH_STEPS = {
  start: { name: 'start', kind: 'foreach', next: ['work'], foreach: 'items', decorators: [] },
  work: {
    name: 'work',
    kind: 'linear',
    next: ['join'],
    decorators: [{ name: 'retry', options: {}, line: 3 }],
  },
  join: { name: 'join', kind: 'join', next: ['end'], decorators: [] },
  end: { name: 'end', kind: 'end', next: [], decorators: [] },
};

let dir: string;
let fds: FlowDatastore;

async function writeRun(
  runId: string,
  opts: {
    user?: string;
    tags?: string[];
    status?: 'successful' | 'failed';
    parameters?: Record<string, unknown>;
    tasks?: Record<string, Record<string, readonly AttemptFixture[]>>;
  },
): Promise<void> {
  const user = opts.user ?? 'alice';
  const startedAt = new Date(Number(runId)).toISOString();
  await fds.writeRun({
    flowName: fds.flow,
    runId,
    user,
    tags: [`user:${user}`, ...(opts.tags ?? [])],
    startedAt,
    graph: {
      flowName: fds.flow,
      file: 'f.ts',
      line: 1,
      steps: GRAPH_STEPS,
      order: Object.keys(GRAPH_STEPS),
      parameters: [],
    },
    parameters: await fds.saveArtifacts(opts.parameters ?? {}),
  });
  for (const [step, tasks] of Object.entries(opts.tasks ?? {})) {
    for (const [taskId, attempts] of Object.entries(tasks)) {
      await writeTask(runId, step, taskId, attempts, startedAt);
    }
  }
  if (opts.status) {
    await fds.writeRunStatus(runId, {
      status: opts.status,
      endedAt: new Date(Date.parse(startedAt) + 5000).toISOString(),
    });
  }
}

async function writeTask(
  runId: string,
  step: string,
  taskId: string,
  attempts: readonly AttemptFixture[],
  at: string,
) {
  const td = fds.task(runId, step, taskId);
  for (const [attempt, a] of attempts.entries()) {
    const startedAt = new Date(Date.parse(at) + attempt * 1000).toISOString();
    await td.writeAttemptStart({
      attempt,
      startedAt,
      inputs: [],
      foreachStack: [],
      ...(a.extra ? { extra: a.extra } : {}),
    });
    await td.writeData(attempt, await fds.saveArtifacts(a.artifacts ?? {}));
    if (a.stdout) await td.saveLog(attempt, 'stdout', Buffer.from(a.stdout));
    if (a.unfinished) continue;
    await td.writeDone(attempt, {
      attempt,
      ok: a.ok ?? true,
      endedAt: new Date(Date.parse(startedAt) + 500).toISOString(),
      ...(a.error ? { error: a.error } : {}),
    });
  }
}

function app(options: { token?: string; allowedHosts?: string[] } = {}) {
  return createUiApp({
    model: new ReadModel({ datastore: dir }),
    assets: { script: '/* page */', style: '/* style */' },
    ...options,
  });
}

async function json<T>(path: string): Promise<T> {
  const res = await app().request(path);
  assert.equal(res.status, 200, `${path}: ${await res.clone().text()}`);
  return (await res.json()) as T;
}

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'stepflow-ui-unit-'));
  fds = new FlowDatastore(new LocalStorage(dir), 'WideFlow');
  const work: Record<string, AttemptFixture[]> = {};
  for (let i = 0; i < 250; i++) work[String(i + 2)] = [{ artifacts: { i } }];
  work['2'] = [{ ok: false, error: { type: 'Error', message: 'flaky' } }, {}];
  await writeRun('1700000000000000', {
    status: 'failed',
    parameters: { big: 12n },
    tasks: {
      start: {
        '1': [
          {
            stdout: 'hello <b>there</b>\n',
            artifacts: {
              markup: '<script>alert(1)</script>',
              m: new Map([['k', 1n]]),
              bytes: Buffer.from([1, 2, 3]),
            },
            extra: { batchJobId: 'job-1', queue: 'q' },
          },
        ],
      },
      work,
      join: {
        '300': [
          {
            ok: false,
            error: {
              type: 'RangeError',
              message: 'join broke',
              stack: 'RangeError: join broke\n    at join (f.ts:9:3)',
            },
          },
        ],
      },
    },
  });
  await fds.storage.put(
    `${fds.task('1700000000000000', 'join', '300').prefix}0.batch.json`,
    Buffer.from(
      JSON.stringify({
        jobId: 'j-9',
        queue: 'q1',
        statusReason: 'Essential container exited',
        failure: 'user-code',
      }),
    ),
  );
  await writeRun('1700000000000001', {
    user: 'bob',
    tags: ['team:ml'],
    tasks: { start: { '1': [{ unfinished: true }] } },
  });
});

after(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('ui API', () => {
  it('lists flows, and runs newest first filtered by status, user and tag', async () => {
    assert.deepEqual(await json('/api/flows'), { flows: [{ name: 'WideFlow' }] });
    const all = await json<RunsResponse>('/api/runs/WideFlow');
    assert.deepEqual(
      all.runs.map((r) => [r.id, r.status, r.user]),
      [
        ['1700000000000001', 'running', 'bob'],
        ['1700000000000000', 'failed', 'alice'],
      ],
    );
    assert.equal(all.runs[1].durationMs, 5000);
    assert.deepEqual(
      (await json<RunsResponse>('/api/runs/WideFlow?status=failed')).runs.map((r) => r.id),
      ['1700000000000000'],
    );
    assert.deepEqual(
      (await json<RunsResponse>('/api/runs/WideFlow?user=bob')).runs.map((r) => r.id),
      ['1700000000000001'],
    );
    assert.deepEqual((await json<RunsResponse>('/api/runs/WideFlow?tag=team:ml')).runs.length, 1);
  });

  it('gives a run its steps with states and foreach width, the failure, parameters and one bar per attempt', async () => {
    const run = await json<RunResponse>('/api/run/WideFlow/1700000000000000');
    const byName = Object.fromEntries(run.steps.map((s) => [s.name, s]));
    assert.deepEqual(
      run.steps.map((s) => s.name),
      ['start', 'work', 'join', 'end'],
    );
    assert.equal(byName.work.tasks, 250);
    assert.equal(byName.work.state, 'successful', 'the retried task succeeded');
    assert.deepEqual(byName.work.decorators, ['retry']);
    assert.equal(byName.join.state, 'failed');
    assert.equal(byName.end.state, 'pending');
    assert.deepEqual(run.parameters, { big: { $type: 'BigInt', value: '12' } });
    assert.deepEqual(run.failure?.errors, [{ task: 'join/300', type: 'RangeError', message: 'join broke' }]);
    assert.equal(run.timeline.length, 1 + 251 + 1, 'task 2 has two attempts');
    assert.deepEqual(
      run.timeline.filter((b) => b.task === 'work/2').map((b) => [b.attempt, b.state]),
      [
        [0, 'failed'],
        [1, 'successful'],
      ],
    );
    const running = await json<RunResponse>('/api/run/WideFlow/1700000000000001');
    assert.equal(running.steps[0].state, 'running');
  });

  it('answers an unchanged run with 304 and a changed one with its new state', async () => {
    const a = app();
    const first = await a.request('/api/run/WideFlow/1700000000000001');
    const etag = first.headers.get('etag');
    assert.ok(etag);
    const same = await a.request('/api/run/WideFlow/1700000000000001', {
      headers: { 'If-None-Match': etag },
    });
    assert.equal(same.status, 304);
    await fds
      .task('1700000000000001', 'start', '1')
      .writeDone(0, { attempt: 0, ok: true, endedAt: new Date().toISOString() });
    const changed = await a.request('/api/run/WideFlow/1700000000000001', {
      headers: { 'If-None-Match': etag },
    });
    assert.equal(changed.status, 200);
    assert.equal(((await changed.json()) as RunResponse).steps[0].state, 'successful');
  });

  it('pages a wide step 100 tasks at a time and filters by state', async () => {
    const p0 = await json<StepResponse>('/api/step/WideFlow/1700000000000000/work');
    assert.equal(p0.tasks.length, 100);
    assert.equal(p0.total, 250);
    assert.equal(p0.tasks[0].id, '2');
    const p2 = await json<StepResponse>('/api/step/WideFlow/1700000000000000/work?page=2');
    assert.equal(p2.tasks.length, 50);
    assert.equal(p2.tasks.at(-1)?.id, '251');
    assert.deepEqual(p0.counts, { successful: 250 });
    const failed = await json<StepResponse>('/api/step/WideFlow/1700000000000000/join?state=failed');
    assert.deepEqual(
      failed.tasks.map((t) => t.id),
      ['300'],
    );
    assert.equal(
      (await json<StepResponse>('/api/step/WideFlow/1700000000000000/work?state=failed')).matching,
      0,
    );
  });

  it('gives a task its attempts (error with stack, compute details), tagged previews and its log', async () => {
    const task = await json<TaskResponse>('/api/task/WideFlow/1700000000000000/start/1');
    assert.equal(task.logAttempt, 0);
    const log = await json<LogChunk>('/api/log/WideFlow/1700000000000000/start/1?attempt=0&stream=stdout');
    assert.equal(log.text, 'hello <b>there</b>\n');
    const previews = Object.fromEntries(task.artifacts.map((a) => [a.name, a.preview]));
    assert.equal(previews.markup, '<script>alert(1)</script>');
    assert.deepEqual(previews.m, { $type: 'Map', entries: [['k', { $type: 'BigInt', value: '1' }]] });
    assert.deepEqual(previews.bytes, { $type: 'Buffer', base64: 'AQID' });
    assert.deepEqual(task.attempts[0].extra, { batchJobId: 'job-1', queue: 'q' });
    const failed = await json<TaskResponse>('/api/task/WideFlow/1700000000000000/join/300');
    assert.equal(failed.state, 'failed');
    assert.match(failed.attempts[0].error?.stack ?? '', /at join \(f\.ts:9:3\)/);
    assert.deepEqual(failed.attempts[0].records, {
      batch: { jobId: 'j-9', queue: 'q1', statusReason: 'Essential container exited', failure: 'user-code' },
    });
    assert.equal(task.attempts[0].records, undefined);
  });

  it('downloads raw values: text as text, bytes as bytes, others as tagged JSON', async () => {
    const base = '/api/artifact/WideFlow/1700000000000000/start/1';
    const text = await app().request(`${base}/markup`);
    assert.equal(await text.text(), '<script>alert(1)</script>');
    assert.match(text.headers.get('content-type') ?? '', /^text\/plain/);
    assert.match(text.headers.get('content-disposition') ?? '', /attachment; filename="markup.txt"/);
    const bytes = await app().request(`${base}/bytes`);
    assert.deepEqual([...new Uint8Array(await bytes.arrayBuffer())], [1, 2, 3]);
    const map = await app().request(`${base}/m`);
    assert.deepEqual(await map.json(), { $type: 'Map', entries: [['k', { $type: 'BigInt', value: '1' }]] });
  });

  it('is read-only, serves nothing outside the datastore, and names what is missing', async () => {
    assert.equal((await app().request('/api/flows', { method: 'POST' })).status, 405);
    const missing = await app().request('/api/run/WideFlow/999');
    assert.equal(missing.status, 404);
    assert.match(((await missing.json()) as { message: string }).message, /1700000000000001/);
    assert.equal((await app().request('/api/runs/a%2F..')).status, 400);
    assert.equal(
      (await app().request('/api/task/WideFlow/1700000000000000/start/..%2F..%2F..%2Fetc')).status,
      400,
    );
    assert.equal((await app().request('/a/b/c/d/e')).status, 404);
    const page = await app().request('/WideFlow/1700000000000000');
    assert.equal(page.status, 200);
    assert.match(page.headers.get('content-security-policy') ?? '', /script-src 'self'/);
    assert.match(await page.text(), /<script src="\/static\/page.js">/);
  });

  it('needs the token when one is set (query once, then the cookie), and refuses unknown Host headers', async () => {
    const a = app({ token: 's3cret' });
    assert.equal((await a.request('/api/flows')).status, 401);
    assert.equal((await a.request('/api/flows?token=wrong')).status, 401);
    const ok = await a.request('/?token=s3cret');
    assert.equal(ok.status, 200);
    assert.match(ok.headers.get('set-cookie') ?? '', new RegExp(`${TOKEN_COOKIE}=s3cret; .*HttpOnly`));
    const withCookie = await a.request('/api/flows', { headers: { Cookie: `${TOKEN_COOKIE}=s3cret` } });
    assert.equal(withCookie.status, 200);
    const hosts = app({ allowedHosts: ['127.0.0.1:9'] });
    assert.equal(
      (await hosts.request('http://evil.example/api/flows', { headers: { Host: 'evil.example' } })).status,
      403,
    );
    assert.equal((await hosts.request('/api/flows', { headers: { Host: '127.0.0.1:9' } })).status, 200);
  });
});
