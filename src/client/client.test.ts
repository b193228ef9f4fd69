import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, before, describe, it } from 'node:test';
import { FlowDatastore } from '../datastore/flow-datastore.js';
import { LocalStorage } from '../datastore/local-storage.js';
import type { TaskErrorInfo } from '../datastore/types.js';
import {
  ClientError,
  defaultNamespace,
  Flow,
  getByPathspec,
  getDatastore,
  getNamespace,
  NamespaceMismatchError,
  NotFoundError,
  namespace,
  setDatastore,
  type Task,
} from './index.js';

interface AttemptFixture {
  readonly ok?: boolean;
  readonly error?: TaskErrorInfo;
  readonly killed?: boolean;
  /** No done record: still running. */
  readonly unfinished?: boolean;
  readonly stdout?: string;
  readonly stderr?: string;
  readonly artifacts?: Record<string, unknown>;
  readonly foreachIndex?: number;
  readonly inputs?: readonly string[];
}

interface RunFixture {
  readonly runId: string;
  readonly user?: string;
  readonly tags?: readonly string[];
  readonly status?: 'successful' | 'failed';
  readonly parameters?: Record<string, unknown>;
  readonly originRunId?: string;
  /** step → taskId → attempts */
  readonly tasks?: Record<string, Record<string, readonly AttemptFixture[]>>;
}

const ORDER = ['start', 'train', 'end'];

/** Writes a run through the datastore, as the runtime would. */
async function writeRun(fds: FlowDatastore, run: RunFixture): Promise<void> {
  const user = run.user ?? 'alice';
  const startedAt = new Date(Number(run.runId) || 0).toISOString();
  const parameters = await fds.saveArtifacts(run.parameters ?? {});
  await fds.writeRun({
    flowName: fds.flow,
    runId: run.runId,
    user,
    tags: [`user:${user}`, ...(run.tags ?? [])],
    startedAt,
    codePackage: 'c'.repeat(64),
    graph: { flowName: fds.flow, file: 'f.ts', line: 1, steps: {}, order: ORDER, parameters: [] },
    parameters,
    ...(run.originRunId ? { originRunId: run.originRunId } : {}),
  });
  for (const [step, tasks] of Object.entries(run.tasks ?? {})) {
    for (const [taskId, attempts] of Object.entries(tasks)) {
      const td = fds.task(run.runId, step, taskId);
      for (const [attempt, a] of attempts.entries()) {
        const foreachStack =
          a.foreachIndex === undefined
            ? []
            : [{ step: 'start', taskId: '1', field: 'items', index: a.foreachIndex, count: 3 }];
        await td.writeAttemptStart({ attempt, startedAt, inputs: a.inputs ?? [], foreachStack, host: 'h' });
        await td.writeData(attempt, await fds.saveArtifacts(a.artifacts ?? {}));
        if (a.stdout) await td.saveLog(attempt, 'stdout', Buffer.from(a.stdout));
        if (a.stderr) await td.saveLog(attempt, 'stderr', Buffer.from(a.stderr));
        if (a.unfinished) continue;
        await td.writeDone(attempt, {
          attempt,
          ok: a.ok ?? true,
          endedAt: new Date(Date.parse(startedAt) + 1000).toISOString(),
          ...(a.error ? { error: a.error } : {}),
          ...(a.killed ? { killed: true } : {}),
        });
      }
    }
  }
  if (run.status) {
    await fds.writeRunStatus(run.runId, {
      status: run.status,
      endedAt: new Date(Date.parse(startedAt) + 5000).toISOString(),
    });
  }
}

let dir: string;
let root: string;
const savedUser = process.env.METAFLOW_USER;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'stepflow-client-'));
  root = join(dir, '.stepflow');
  const fds = new FlowDatastore(new LocalStorage(root), 'TrainFlow');
  const boom = { type: 'RangeError', message: 'boom', stack: 'RangeError: boom\n    at train (f.ts:3:9)' };
  await writeRun(fds, {
    runId: '1000',
    status: 'successful',
    parameters: { alpha: 0.5, name: 'first' },
    tasks: {
      start: { '1': [{ artifacts: { items: ['a', 'b'] }, stdout: 'starting\n' }] },
      train: {
        '2': [
          {
            ok: false,
            error: boom,
            stdout: 'try 0\n',
            stderr: 'oops\n',
            foreachIndex: 0,
            inputs: ['start/1'],
          },
          { artifacts: { score: 0.9, model: new Map([['w', 1n]]) }, stdout: 'try 1\n', foreachIndex: 0 },
        ],
        '3': [{ artifacts: { score: 0.7 }, foreachIndex: 1, inputs: ['start/1'] }],
        '10': [{ artifacts: { score: 0.1 }, foreachIndex: 2 }],
      },
      end: { '11': [{ artifacts: { best: 0.9, alpha: 0.5 } }] },
    },
  });
  await writeRun(fds, {
    runId: '2000',
    status: 'failed',
    tags: ['nightly'],
    tasks: {
      start: { '1': [{}] },
      train: {
        '2': [{ ok: false, error: boom, artifacts: { before: 'kept' } }],
        '3': [{ ok: false, killed: true }],
      },
    },
  });
  await writeRun(fds, { runId: '3000', user: 'bob', status: 'successful', tasks: { end: { '1': [{}] } } });
  await writeRun(fds, {
    runId: '4000',
    originRunId: '2000',
    tasks: { start: { '1': [{ unfinished: true, stdout: 'partial' }] } },
  });
  await writeRun(new FlowDatastore(new LocalStorage(root), 'OtherFlow'), { runId: '5', user: 'bob' });
  process.env.METAFLOW_USER = 'alice';
  setDatastore({ kind: 'local', root });
  defaultNamespace();
});

afterEach(() => {
  setDatastore({ kind: 'local', root });
  defaultNamespace();
});

after(async () => {
  setDatastore(undefined);
  if (savedUser === undefined) delete process.env.METAFLOW_USER;
  else process.env.METAFLOW_USER = savedUser;
  await rm(dir, { recursive: true, force: true });
});

describe('Flow', () => {
  it('lists runs newest first within the namespace, filters by tag, finds the latest', async () => {
    const flow = new Flow('TrainFlow');
    assert.deepEqual(
      (await flow.runs()).map((r) => r.id),
      ['4000', '2000', '1000'],
    );
    assert.deepEqual(
      (await flow.runs('nightly')).map((r) => r.id),
      ['2000'],
    );
    assert.equal((await flow.latestRun())?.id, '4000');
    assert.equal((await flow.latestSuccessfulRun())?.id, '1000');
    const seen: string[] = [];
    for await (const run of flow) seen.push(run.id);
    assert.deepEqual(seen, ['4000', '2000', '1000']);
    assert.deepEqual(await flow.runIds(), ['4000', '3000', '2000', '1000']);
  });

  it('lists the flows with runs in the namespace', async () => {
    assert.deepEqual(
      (await Flow.list()).map((f) => f.name),
      ['TrainFlow'],
    );
    namespace(null);
    assert.deepEqual(
      (await Flow.list()).map((f) => f.name),
      ['OtherFlow', 'TrainFlow'],
    );
  });

  it('throws NotFoundError naming what exists', async () => {
    await assert.rejects(new Flow('TrainFlo').runs(), (err: NotFoundError) => {
      assert.ok(err instanceof NotFoundError && err instanceof ClientError);
      assert.equal(err.kind, 'flow');
      assert.deepEqual(err.nearby, ['OtherFlow', 'TrainFlow']);
      assert.match(err.message, /Flow TrainFlo does not exist .*Existing flows: OtherFlow, TrainFlow/);
      return true;
    });
    await assert.rejects(new Flow('TrainFlow').run('999'), /Run TrainFlow\/999 does not exist.*4000, 3000/);
    await assert.rejects(new Flow('TrainFlow').run('a/b'), NotFoundError);
    assert.throws(() => new Flow('a/b'), ClientError);
  });
});

describe('Run', () => {
  it('exposes the run and status records', async () => {
    const run = await new Flow('TrainFlow').run('1000');
    assert.equal(run.pathspec, 'TrainFlow/1000');
    assert.equal(run.successful, true);
    assert.equal(run.finished, true);
    assert.equal(run.status, 'successful');
    assert.equal(run.user, 'alice');
    assert.deepEqual(run.tags, ['user:alice']);
    assert.equal(run.createdAt.getTime(), 1000);
    assert.equal(run.finishedAt?.getTime(), 6000);
    assert.equal(run.codePackage, 'c'.repeat(64));
    assert.deepEqual(await run.parameters(), { alpha: 0.5, name: 'first' });
    assert.deepEqual(
      run.parameterArtifacts().map((a) => [a.name, a.type]),
      [
        ['alpha', 'number'],
        ['name', 'string'],
      ],
    );
    assert.deepEqual(await run.stepNames(), ['start', 'train', 'end']);
    assert.deepEqual(await run.data(), { best: 0.9, alpha: 0.5 });
    assert.equal((await run.endTask())?.pathspec, 'TrainFlow/1000/end/11');
  });

  it('tells failed and unfinished runs apart', async () => {
    const failed = await new Flow('TrainFlow').run('2000');
    assert.equal(failed.successful, false);
    assert.equal(failed.finished, true);
    assert.equal(failed.status, 'failed');
    assert.equal(await failed.endTask(), undefined);
    assert.equal(await failed.data(), undefined);
    const running = await new Flow('TrainFlow').run('4000');
    assert.equal(running.finished, false);
    assert.equal(running.status, 'running');
    assert.equal(running.finishedAt, undefined);
    assert.equal(running.originRunId, '2000');
    await assert.rejects(
      running.step('train'),
      /The step is in the flow but did not run.*Existing steps: start/,
    );
  });
});

describe('Step and Task', () => {
  it('lists tasks in id order and reads a retried task attempt by attempt', async () => {
    const step = await (await new Flow('TrainFlow').run('1000')).step('train');
    const tasks = await step.tasks();
    assert.deepEqual(
      tasks.map((t) => t.id),
      ['2', '3', '10'],
    );
    const task = await step.task();
    assert.equal(task.pathspec, 'TrainFlow/1000/train/2');
    assert.equal(task.successful, true);
    assert.equal(task.finished, true);
    assert.equal(task.exitStatus, 'successful');
    assert.equal(task.currentAttempt, 1);
    assert.equal(task.exception, undefined, 'a successful retry clears the exception');
    assert.equal(await task.stdout(), 'try 1\n');
    assert.equal(await task.stdout(0), 'try 0\n');
    assert.equal(await task.stderr(0), 'oops\n');
    assert.equal(await task.stderr(), '');
    await assert.rejects(
      task.stdout(5),
      /Attempt 5 of task TrainFlow\/1000\/train\/2 does not exist.*attempts: 0, 1/,
    );
    const attempts = await task.attempts();
    assert.deepEqual(
      attempts.map((a) => [a.attempt, a.status, a.ok, a.error?.type]),
      [
        [0, 'failed', false, 'RangeError'],
        [1, 'successful', true, undefined],
      ],
    );
    assert.equal(attempts[0].host, 'h');
    assert.ok(attempts[0].startedAt instanceof Date && attempts[0].endedAt instanceof Date);
    assert.deepEqual(await task.data(), { score: 0.9, model: new Map([['w', 1n]]) });
    const model = await task.artifact('model');
    assert.equal(model.type, 'Map');
    assert.equal(model.pathspec, 'TrainFlow/1000/train/2/model');
    assert.match(model.sha, /^[0-9a-f]{64}$/);
    assert.ok(model.size > 0 && model.encoding === 'v8');
    assert.deepEqual(await model.value(), new Map([['w', 1n]]));
    await assert.rejects(task.artifact('nope'), /Artifact TrainFlow\/1000\/train\/2\/nope .*score, model/);
    assert.equal(tasks[1].index, 1);
    assert.deepEqual(tasks[1].inputs, ['TrainFlow/1000/start/1']);
    assert.equal(tasks[1].foreachStack[0].field, 'items');
    await assert.rejects(step.task('99'), /Task TrainFlow\/1000\/train\/99 does not exist.*2, 3, 10/);
  });

  it('reads the task states of a wide step from one listing, and loads a page of tasks by id', async () => {
    const ok = await (await new Flow('TrainFlow').run('1000')).step('train');
    assert.deepEqual(await ok.taskStates(), [
      { id: '2', attempt: 1, status: 'successful' },
      { id: '3', attempt: 0, status: 'successful' },
      { id: '10', attempt: 0, status: 'successful' },
    ]);
    const bad = await (await new Flow('TrainFlow').run('2000')).step('train');
    assert.deepEqual(
      (await bad.taskStates()).map((t) => t.status),
      (await bad.tasks()).map((t) => t.exitStatus),
    );
    assert.deepEqual(
      (await ok.tasksOf(['10', '2'])).map((t) => [t.id, t.currentAttempt]),
      [
        ['10', 0],
        ['2', 1],
      ],
    );
  });

  it('reads the records a compute layer keeps beside an attempt, and the start record extra', async () => {
    const storage = new LocalStorage(root);
    const prefix = new FlowDatastore(storage, 'TrainFlow').task('1000', 'train', '2').prefix;
    await storage.put(`${prefix}1.batch.json`, Buffer.from('{"jobId":"j-1","queue":"q"}'));
    const task = (await getByPathspec('TrainFlow/1000/train/2', { namespace: null })) as Task;
    assert.deepEqual(await task.attemptRecords(), { batch: { jobId: 'j-1', queue: 'q' } });
    assert.deepEqual(
      await task.attemptRecords(0),
      {},
      'data, done, attempt and logs records are not side records',
    );
    await storage.delete(`${prefix}1.batch.json`);
  });

  it('reports the exception of a failed task, keeps its artifacts, and shows killed and unfinished ones', async () => {
    const step = await (await new Flow('TrainFlow').run('2000')).step('train');
    const [failed, killed] = await step.tasks();
    assert.equal(failed.successful, false);
    assert.equal(failed.finished, true);
    assert.equal(failed.exitStatus, 'failed');
    assert.deepEqual(failed.exception, {
      type: 'RangeError',
      message: 'boom',
      stack: 'RangeError: boom\n    at train (f.ts:3:9)',
    });
    assert.deepEqual(await failed.data(), { before: 'kept' });
    assert.equal(killed.exitStatus, 'killed');
    assert.equal(killed.exception?.type, 'Killed');
    const unfinished = await (await (await new Flow('TrainFlow').run('4000')).step('start')).task();
    assert.equal(unfinished.finished, false);
    assert.equal(unfinished.exitStatus, 'unfinished');
    assert.equal(unfinished.finishedAt, undefined);
    assert.deepEqual(await unfinished.artifacts(), [], 'an attempt without done.json shows nothing');
    assert.equal(await unfinished.stdout(), 'partial');
  });
});

describe('namespaces', () => {
  it('defaults to user:<METAFLOW_USER>; namespace(null) sees every run', async () => {
    assert.equal(getNamespace(), 'user:alice');
    assert.equal(defaultNamespace(), 'user:alice');
    await assert.rejects(new Flow('TrainFlow').run('3000'), (err: NamespaceMismatchError) => {
      assert.ok(err instanceof NamespaceMismatchError);
      assert.equal(err.namespace, 'user:alice');
      assert.match(
        err.message,
        /not in the namespace "user:alice".*namespace\(null\).*namespace\('user:bob'\)/,
      );
      return true;
    });
    assert.equal(namespace(null), null);
    assert.equal(getNamespace(), null);
    assert.equal((await new Flow('TrainFlow').latestSuccessfulRun())?.id, '3000');
    namespace('user:bob');
    assert.deepEqual(
      (await new Flow('TrainFlow').runs()).map((r) => r.id),
      ['3000'],
    );
    namespace('nightly');
    assert.deepEqual(
      (await new Flow('TrainFlow').runs()).map((r) => r.id),
      ['2000'],
    );
  });

  it('objects keep the namespace they were made in; options override the global one', async () => {
    const flow = new Flow('TrainFlow');
    namespace(null);
    assert.equal(flow.namespace, 'user:alice');
    assert.equal((await flow.runs()).length, 3);
    const all = new Flow('TrainFlow', { namespace: null });
    defaultNamespace();
    assert.equal((await all.runs()).length, 4);
    assert.throws(() => namespace(''), TypeError);
  });
});

describe('getByPathspec', () => {
  it('returns the object each pathspec names', async () => {
    const flow = await getByPathspec('TrainFlow');
    assert.ok(flow.kind === 'flow' && flow.name === 'TrainFlow');
    const run = await getByPathspec('TrainFlow/1000');
    assert.ok(run.kind === 'run' && run.successful);
    const step = await getByPathspec('TrainFlow/1000/train');
    assert.ok(step.kind === 'step' && step.name === 'train');
    const task = await getByPathspec('TrainFlow/1000/train/3');
    assert.ok(task.kind === 'task' && task.id === '3');
    const artifact = await getByPathspec('TrainFlow/1000/train/3/score');
    assert.ok(artifact.kind === 'artifact');
    assert.equal(await artifact.value(), 0.7);
  });

  it('checks the namespace, and explains bad or missing pathspecs', async () => {
    await assert.rejects(getByPathspec('TrainFlow/3000/end/1'), NamespaceMismatchError);
    const task = await getByPathspec('TrainFlow/3000/end/1', { namespace: null });
    assert.equal(task.kind, 'task');
    await assert.rejects(getByPathspec('TrainFlow//end'), /Invalid pathspec "TrainFlow\/\/end"/);
    await assert.rejects(getByPathspec('A/1/b/2/c/d'), ClientError);
    await assert.rejects(getByPathspec('Nope'), /Flow Nope does not exist/);
    await assert.rejects(getByPathspec('TrainFlow/1000/nope'), /Step TrainFlow\/1000\/nope does not exist/);
  });

  it('reads the datastore set with setDatastore, else METAFLOW_DATASTORE_SYSROOT_LOCAL, else ./.stepflow', async () => {
    const saved = process.env.METAFLOW_DATASTORE_SYSROOT_LOCAL;
    try {
      setDatastore(undefined);
      process.env.METAFLOW_DATASTORE_SYSROOT_LOCAL = root;
      assert.deepEqual(getDatastore(), { kind: 'local', root });
      assert.equal((await new Flow('TrainFlow').latestRun())?.id, '4000');
      delete process.env.METAFLOW_DATASTORE_SYSROOT_LOCAL;
      assert.deepEqual(getDatastore(), { kind: 'local', root: join(process.cwd(), '.stepflow') });
      const other = await new Flow('TrainFlow', { datastore: { kind: 'local', root: join(dir, 'empty') } });
      await assert.rejects(other.runs(), /Flow TrainFlow does not exist in the datastore .*empty/);
    } finally {
      if (saved === undefined) delete process.env.METAFLOW_DATASTORE_SYSROOT_LOCAL;
      else process.env.METAFLOW_DATASTORE_SYSROOT_LOCAL = saved;
    }
  });
});
